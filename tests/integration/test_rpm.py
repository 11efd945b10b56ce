"""The RPM packages (rpm/mailroute-auth.spec), as AlmaLinux 9 gets them:
test_packages.py's build (Debian's rpmbuild, `make dist`'s tarball), here
against a Dovecot built from its own source (tests/chroot/run
bullseye+2.3.16: production's release), their file lists and
requirements read back, then installed with rpm into that chroot (a
cached copy made for this Dovecot; the packages are erased at the end)
and working there: Dovecot started with the installed include answers
doveadm auth test and doveadm user from the private MariaDB.

Runs only where Dovecot is not Debian's package (a from-source chroot), so
rpm never installs over files dpkg owns. AlmaLinux itself resolves the
BuildRequires and Requires that --nodeps skips here."""
import os
import re
import shutil

import pytest

from mrtest import fixtures
from mrtest.dovecot import Dovecot
from mrtest.dovecot_version import dovecot_version

from test_packages import RPM_DOVECOT_EVR, rpm_query, rpms, run  # noqa: F401 (a fixture)

pw = fixtures.fixture_password
# AlmaLinux 9's dovecot package carries epoch 1
DOVECOT_EPOCH = 1
INSTALLED_CONFIG = "/etc/dovecot/mailroute-auth.conf"


def dovecot_from_source():
    out = run("dpkg-query", "-W", "-f", "${Status}", "dovecot-core")
    return out.returncode != 0 or "install ok installed" not in out.stdout


pytestmark = pytest.mark.skipif(
    shutil.which("rpmbuild") is None or not dovecot_from_source(),
    reason="needs rpmbuild and a Dovecot built from source (tests/chroot/run bullseye+2.3.16)")


def test_packages_require_this_dovecot(rpms):
    """test_packages.py's RPMs name production's Dovecot; built here, that
    is the Dovecot they were built against."""
    assert RPM_DOVECOT_EVR == "%d:%s" % (DOVECOT_EPOCH, ".".join(map(str, dovecot_version())))
    module = rpm_query(rpms["dovecot-mailroute"], "--requires").splitlines()
    for library in ("libsodium.so.23()(64bit)", "libmariadb.so.3()(64bit)"):
        assert library in module, module
    tools = rpm_query(rpms["mailroute-auth"], "--requires").splitlines()
    assert not any(line.startswith("dovecot") for line in tools), tools


def test_file_lists(rpms):
    module_dir = "/usr/lib/dovecot/modules"
    files = set(rpm_query(rpms["dovecot-mailroute"], "--list").split())
    for path in (module_dir + "/auth/libauthdb_mailroute.so",
                 module_dir + "/auth/lib20_mailroute_django.so",
                 module_dir + "/lib00_mailroute_tenant_plugin.so",
                 "/etc/dovecot/conf.d/auth-mailroute.conf.ext",
                 "/etc/dovecot/conf.d/mailroute-mail.conf.ext",
                 "/etc/dovecot/conf.d/mailroute-shared.conf.ext",
                 "/etc/dovecot/conf.d/mailroute-quota-usage.conf.ext"):
        assert path in files, path
    # nothing outside Dovecot's directories, the docs and rpm's build ids
    for path in files:
        assert re.match(r"/(etc/dovecot|usr/lib/dovecot/modules|usr/share/doc|usr/lib/\.build-id)",
                        path), path
    # the settings module is 2.4's alone
    assert any("/settings/" in path for path in files) == (dovecot_version() >= (2, 4))
    tools = set(rpm_query(rpms["mailroute-auth"], "--list").split())
    for path in ("/usr/sbin/mailroute-auth", "/usr/libexec/mailroute-checkpassword",
                 INSTALLED_CONFIG, "/etc/dovecot/conf.d/auth-mailroute-checkpassword.conf.ext",
                 "/usr/share/mailroute-auth/sql/migrations/0001_policy_settings.up.sql"):
        assert path in tools, path
    # AlmaLinux's rpmbuild compresses man pages, Debian's does not
    for page in ("man1/mailroute-auth.1", "man5/mailroute-auth.conf.5",
                 "man8/mailroute-checkpassword.8"):
        assert {"/usr/share/man/" + page, "/usr/share/man/%s.gz" % page} & tools, page


def test_installed_packages_answer_through_dovecot(rpms, workdir, mariadb, migrated_db):
    installed = run("rpm", "-i", "--nodeps", rpms["mailroute-auth"], rpms["dovecot-mailroute"])
    assert installed.returncode == 0, installed.stderr
    dovecot = None
    try:
        st = os.stat(INSTALLED_CONFIG)
        assert st.st_mode & 0o777 == 0o640, oct(st.st_mode)
        listed = run("rpm", "-q", "dovecot-mailroute", "mailroute-auth")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        # the operator's step: the database settings in the installed file
        fixtures.write_config(INSTALLED_CONFIG, mariadb, migrated_db,
                              verify_cache_file=os.path.join(workdir, "rpm-verify-cache"))
        os.chmod(INSTALLED_CONFIG, 0o640)
        with open("/etc/dovecot/conf.d/auth-mailroute.conf.ext") as f:
            include = f.read()
        root = os.path.join(workdir, "dovecot-rpm")
        os.makedirs(root)
        os.chmod(root, 0o755)
        dovecot = Dovecot(root, include)
        dovecot.start()
        login = dovecot.doveadm("auth", "test", "-x", "service=imap", "john@example.com",
                                pw("john@example.com"))
        assert login.returncode == 0, login.stdout + login.stderr
        user = dovecot.doveadm("user", "john@example.com")
        assert user.returncode == 0, user.stdout + user.stderr
        assert re.search(r"home\s+/data/mailstorage/e/x/example\.com/j/john\s", user.stdout), \
            user.stdout
        wrong = dovecot.doveadm("auth", "test", "-x", "service=imap", "john@example.com",
                                "a wrong password")
        assert wrong.returncode != 0
    finally:
        if dovecot is not None:
            dovecot.stop()
        erased = run("rpm", "-e", "dovecot-mailroute", "mailroute-auth")
    assert erased.returncode == 0, erased.stderr
    assert not os.path.exists("/usr/lib/dovecot/modules/auth/libauthdb_mailroute.so")
