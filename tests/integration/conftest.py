import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

from mrtest import fixtures, stalwart  # noqa: E402
from mrtest.mariadb import MariaDB  # noqa: E402
from mrtest.paths import ADMIN_CLI, CHECKPASSWORD  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "postfix: needs Debian's postfix and postfix-mysql "
                            "(the chroot runs leave these out)")


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="mailroute-test-")
    os.chmod(path, 0o755)  # mail processes run as the vmail user
    yield path
    if os.environ.get("MR_KEEP_WORKDIR"):  # for reading logs after a failure
        print("work directory kept: " + path)
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb(workdir):
    for binary in (CHECKPASSWORD, ADMIN_CLI):
        assert os.access(binary, os.X_OK), "build first: %s missing" % binary
    server = MariaDB(os.path.join(workdir, "mariadb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_db(mariadb):
    """Fixtures + all migrations + per-account overrides."""
    fixtures.load_migrated(mariadb, "mailroute")
    return "mailroute"


@pytest.fixture(scope="session")
def config(workdir, mariadb, migrated_db):
    return fixtures.write_config(os.path.join(workdir, "mailroute-auth.conf"), mariadb, migrated_db)


# Stalwart's SQL directory (test_stalwart_*.py): the fixtures migrated in a
# database of their own, the read-only user of db-user.sql, a connection
# as that user over TLS, a configuration for mailroute-auth on the same
# database, and the independent PHC verifier.
@pytest.fixture(scope="module")
def stalwart_db(mariadb):
    fixtures.load_migrated(mariadb, stalwart.DB)
    stalwart.create_user(mariadb, stalwart.DB, "127.0.0.1")
    return stalwart.DB


@pytest.fixture(scope="module")
def directory(mariadb, stalwart_db):
    d = stalwart.Directory(mariadb, stalwart_db)
    yield d
    d.close()


@pytest.fixture(scope="module")
def stalwart_config(workdir, mariadb, stalwart_db):
    return fixtures.write_config(os.path.join(workdir, "stalwart-lookup.conf"), mariadb,
                                 stalwart_db)


@pytest.fixture(scope="module")
def phc_verify(workdir):
    return stalwart.phc_verifier(os.path.join(workdir, "phc-verify"))
