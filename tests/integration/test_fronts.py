"""One expected-answer table (mrtest/expected.py) for the fixture accounts,
driven through every front besides checkpassword (test_checkpassword.py):
the CLI's lookup and login, and the Dovecot module through `doveadm user`
and `doveadm auth test`. A front that answers one address otherwise than the
others fails here, by address."""
import os
import re
import subprocess

import pytest

from mrtest import expected
from mrtest.dovecot import start_mail_host
from mrtest.dovecot_version import is_dovecot_24
from mrtest.fixtures import fixture_password
from mrtest.mail_clients import client_address
from mrtest.paths import ADMIN_CLI

# the CLI's exit statuses (mailroute-auth(1)) and doveadm's (sysexits)
CLI_STATUS = {"found": 0, "unknown": 1, "tempfail": 3}
CLI_LOGIN_STATUS = {"ok": 0, "refused": 1, "tempfail": 3}
DOVEADM_USER_STATUS = {"found": 0, "unknown": 67, "tempfail": 75}
# doveadm auth test exits 77 for any failure; a temporary one says so
DOVEADM_LOGIN_STATUS = {"ok": 0, "refused": 77, "tempfail": 77}
DEFAULT_MAIL_ROOT = "/data/mailstorage"


def userdb_fields(lines):
    """key -> value of "key<TAB>value" lines; userdb_import's lines (one per
    import, as Dovecot splits them) joined by TAB, as the userdb sends
    them."""
    fields = {}
    for line in lines:
        if "\t" not in line:
            continue
        key, value = line.split("\t", 1)
        key = key.strip()
        fields[key] = fields[key] + "\t" + value if key in fields else value
    return fields


def assert_fields(got, want, mail_root, address):
    for key, value in want.items():
        if value is not None and key == "home":
            value = mail_root + value[len(DEFAULT_MAIL_ROOT):]
        assert got.get(key) == value, (address, key, got)


@pytest.fixture(scope="module")
def host(workdir, mariadb, migrated_db):
    """The module's Dovecot without its auth cache: every answer is the
    module's own."""
    dovecot = start_mail_host(os.path.join(workdir, "dovecot-fronts"), mariadb, migrated_db,
                              "module", extra_config="auth_cache_size = 0\n")
    yield dovecot
    dovecot.stop()


@pytest.mark.parametrize("recipient,outcome,fields", expected.LOOKUPS,
                         ids=[row[0] for row in expected.LOOKUPS])
def test_cli_lookup(config, recipient, outcome, fields):
    out = subprocess.run([ADMIN_CLI, "-c", config, "lookup", recipient],
                         capture_output=True, text=True)
    assert out.returncode == CLI_STATUS[outcome], (recipient, out.stdout, out.stderr)
    if fields is not None:
        assert_fields(userdb_fields(out.stdout.splitlines()), fields, DEFAULT_MAIL_ROOT,
                      recipient)


LOGIN_IDS = ["%s/%d" % (row[0], i) for i, row in enumerate(expected.LOGINS)]


@pytest.mark.parametrize("login,password,outcome,user", expected.LOGINS, ids=LOGIN_IDS)
def test_cli_login(config, login, password, outcome, user):
    out = subprocess.run([ADMIN_CLI, "-c", config, "login", login], input=password + "\n",
                         capture_output=True, text=True)
    assert out.returncode == CLI_LOGIN_STATUS[outcome], (login, out.stdout, out.stderr)
    if user is not None:
        assert userdb_fields(out.stdout.splitlines())["user"] == user, (login, out.stdout)
    else:
        assert not re.search(r"^user\t", out.stdout, re.M), (login, out.stdout)
    # the password is read, never printed
    assert password == "" or password not in out.stdout + out.stderr


def test_cli_login_takes_no_password_operand(config):
    out = subprocess.run([ADMIN_CLI, "-c", config, "login", "john@example.com", "secret"],
                         input="", capture_output=True, text=True)
    assert out.returncode == 2, out


def test_cli_login_a_wrong_password_then_the_right_one(config):
    """Each login is decided anew: a refusal leaves nothing that refuses
    (or admits) the next."""
    account = "john@example.com"
    answers = [subprocess.run([ADMIN_CLI, "-c", config, "login", account], input=password,
                              capture_output=True, text=True).returncode
               for password in ("wrong", fixture_password(account), "wrong")]
    assert answers == [1, 0, 1]


@pytest.mark.parametrize("recipient,outcome,fields", expected.LOOKUPS,
                         ids=[row[0] for row in expected.LOOKUPS])
@pytest.mark.skipif(is_dovecot_24(), reason="the table has Dovecot 2.3's field names")
def test_module_userdb(host, recipient, outcome, fields):
    out = host.doveadm("user", recipient)
    assert out.returncode == DOVEADM_USER_STATUS[outcome], (recipient, out.stdout, out.stderr)
    if fields is not None:
        got = userdb_fields(out.stdout.splitlines())
        # doveadm shows user only where it differs from the name asked,
        # and userdb_import as the settings it imports, in their order
        got.setdefault("user", recipient)
        imports = ["%s=%s" % (key, value) for key, value in got.items()
                   if key.startswith("namespace/inbox/mailbox/")]
        if imports:
            got["userdb_import"] = "\t".join(imports)
        assert_fields(got, fields, host.mail_root, recipient)


@pytest.mark.parametrize("login,password,outcome,user", expected.LOGINS, ids=LOGIN_IDS)
def test_module_login(host, login, password, outcome, user):
    # a fresh remote address per login: Dovecot's auth penalty grows per
    # address with every failure
    out = subprocess.run(["doveadm", "-c", host.config_path, "auth", "test",
                          "-x", "service=imap", "-x", "rip=" + client_address(),
                          login, password], capture_output=True, text=True, timeout=30)
    assert out.returncode == DOVEADM_LOGIN_STATUS[outcome], (login, out.stdout, out.stderr)
    assert ("code=temp_fail" in out.stdout) == (outcome == "tempfail"), (login, out.stdout)
    if user is not None:
        assert re.search(r"\buser=%s(\s|$)" % re.escape(user), out.stdout), (login, out.stdout)
