"""mailroute-checkpassword driven as Dovecot drives it, against the
migrated fixtures: every fixture login and userdb lookup, and the
protocol's failure semantics."""
import os
import subprocess

import pytest

from mrtest import checkpassword, expected, fixtures
from mrtest.dovecot import Dovecot
from mrtest.dovecot_conf import checkpassword_auth, share_config_with_dovecot
from mrtest.paths import CHECKPASSWORD

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MISUSE = 2
EXIT_UNKNOWN = 3
EXIT_TEMPFAIL = 111

pw = fixtures.fixture_password

# exit statuses for the expected outcomes (mrtest/expected.py)
LOGIN_STATUS = {"ok": EXIT_OK, "refused": EXIT_FAILED, "tempfail": EXIT_TEMPFAIL}
# checkpassword-reply exits 2 on success when AUTHORIZED=2 (Dovecot's
# userdb success code), which is what reaches Dovecot
USERDB_STATUS = {"found": EXIT_MISUSE, "unknown": EXIT_UNKNOWN, "tempfail": EXIT_TEMPFAIL}
LOGINS = [(login, password, LOGIN_STATUS[outcome], user)
          for login, password, outcome, user in expected.LOGINS]
LOOKUPS = [(recipient, USERDB_STATUS[outcome],
            fields and {"userdb_" + key: value for key, value in fields.items()})
           for recipient, outcome, fields in expected.LOOKUPS]


@pytest.mark.parametrize("login,password,status,user", LOGINS,
                         ids=["%s/%d" % (l[0], i) for i, l in enumerate(LOGINS)])
def test_login(config, login, password, status, user):
    result = checkpassword.run(config, login, password)
    print("login %-32s -> exit %d %s" % (login, result.status, result.fields.get("user", "")))
    assert result.status == status, result
    if status == EXIT_OK:
        assert result.fields["user"] == user
        localpart, domain = user.rsplit("@", 1)
        assert result.fields["userdb_home"].endswith("/%s/%s/%s" % (domain, localpart[0], localpart))
        assert result.fields["userdb_mail"].startswith("maildir:" + result.fields["userdb_home"] + "/mail:")
    else:
        assert result.raw_reply == ""
    # never a password or a hash in what Dovecot logs
    assert password == "" or password not in result.stderr
    assert "pbkdf2_sha256$" not in result.stderr and "argon2$" not in result.stderr


@pytest.mark.parametrize("recipient,status,expected", LOOKUPS,
                         ids=[l[0] for l in LOOKUPS])
def test_userdb_lookup(config, recipient, status, expected):
    # checkpassword-reply exits 2 on success when AUTHORIZED=2 (Dovecot's
    # userdb success code), which is what reaches Dovecot.
    result = checkpassword.run(config, recipient, userdb=True)
    print("userdb %-32s -> exit %d %s" % (recipient, result.status,
                                           result.fields.get("userdb_user", "")))
    assert result.status == status, result
    if expected is None:
        assert result.raw_reply == ""
        return
    for key, value in expected.items():
        assert result.fields.get(key) == value, (key, result.fields)


def test_data_errors_name_the_accounts(config):
    result = checkpassword.run(config, "shared-box@quota0.com", userdb=True)
    assert "account 122" in result.stderr and "account 123" in result.stderr
    result = checkpassword.run(config, "../x@unsafe.test", userdb=True)
    assert "account 113" in result.stderr


def test_database_down_is_temporary(workdir, mariadb):
    dead = fixtures.write_config(os.path.join(workdir, "dead.conf"), mariadb, "mailroute",
                                 db_socket=os.path.join(workdir, "no-such.sock"))
    login = checkpassword.run(dead, "john@example.com", pw("john@example.com"))
    assert login.status == EXIT_TEMPFAIL, login
    wrong = checkpassword.run(dead, "john@example.com", "wrong")
    assert wrong.status == EXIT_TEMPFAIL, wrong
    lookup = checkpassword.run(dead, "john@example.com", userdb=True)
    assert lookup.status == EXIT_TEMPFAIL, lookup
    assert "no-such.sock" in login.stderr


def test_database_down_over_tcp(workdir, mariadb):
    from mrtest.mariadb import free_port
    dead = fixtures.write_config(os.path.join(workdir, "dead-tcp.conf"), mariadb, "mailroute",
                                 db_socket=None, db_hosts="127.0.0.1:%d" % free_port())
    assert checkpassword.run(dead, "john@example.com", "x").status == EXIT_TEMPFAIL


def test_second_host_used_when_first_is_down(workdir, mariadb):
    from mrtest.mariadb import free_port
    conf = fixtures.write_config(os.path.join(workdir, "two-hosts.conf"), mariadb, "mailroute",
                                 db_socket=None,
                                 db_hosts="127.0.0.1:%d 127.0.0.1:%d" % (free_port(), mariadb.port))
    result = checkpassword.run(conf, "john@example.com", pw("john@example.com"))
    assert result.status == EXIT_OK, result


def test_bad_config_is_temporary(workdir):
    path = os.path.join(workdir, "bad.conf")
    with open(path, "w") as f:
        f.write("db_name = x\ncolour = blue\n")
    result = checkpassword.run(path, "john@example.com", "x")
    assert result.status == EXIT_TEMPFAIL
    assert "bad.conf:2: colour: unknown key" in result.stderr


def test_credentials_lookup_refused(config):
    result = checkpassword.run(config, "john@example.com", userdb=True,
                               env_extra={"CREDENTIALS_LOOKUP": "1", "SCHEME": "PLAIN"})
    assert result.status == EXIT_MISUSE
    assert result.raw_reply == ""
    assert "credentials lookups are not supported" in result.stderr


def test_protocol_misuse(config):
    # more than 512 bytes on fd 3
    result = checkpassword.run(config, "", request=b"a" * 600 + b"\0b\0\0")
    assert result.status == EXIT_MISUSE
    # no NUL separators
    assert checkpassword.run(config, "", request=b"john@example.com").status == EXIT_MISUSE
    # no reply program
    assert checkpassword.run(config, "john@example.com", "x",
                             reply_program=None).status == EXIT_MISUSE


def test_reply_program_failure_is_passed_on(config):
    result = checkpassword.run(config, "john@example.com", pw("john@example.com"),
                               reply_program="/bin/false")
    assert result.status == 1
    result = checkpassword.run(config, "john@example.com", pw("john@example.com"),
                               reply_program="/nonexistent/reply")
    assert result.status == EXIT_TEMPFAIL


def test_qmail_style_environment(config):
    """djb checkpassword consumers read USER and HOME from the environment."""
    result = checkpassword.run(config, "johnny@example.net", pw("john@example.com"),
                               reply_program="/bin/sh",
                               args=["-c", config, "/bin/sh", "-c", 'printf "%s|%s" "$USER" "$HOME" >&4'])
    assert result.status == 0
    assert result.raw_reply == "john@example.com|" + expected.HOME + "/j/john"


def test_help_and_version():
    import subprocess
    out = subprocess.run([CHECKPASSWORD, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "Exit status" in out.stdout
    out = subprocess.run([CHECKPASSWORD, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mailroute-checkpassword ")


@pytest.fixture(scope="module")
def checkpassword_dovecot(workdir, mariadb, migrated_db):
    """A real Dovecot with the shipped checkpassword include."""
    root = os.path.join(workdir, "dovecot-checkpassword")
    os.makedirs(root)
    os.chmod(root, 0o755)
    conf = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), mariadb, migrated_db)
    share_config_with_dovecot(conf)
    dovecot = Dovecot(os.path.join(root, "dovecot"), checkpassword_auth(CHECKPASSWORD, conf))
    dovecot.start()
    yield dovecot
    dovecot.stop()


def test_shipped_include_reaches_detail_addresses(checkpassword_dovecot):
    """Dovecot's default auth_username_chars refuses '+' before any
    userdb runs: the include must clear it, or every detail recipient is
    an unknown user."""
    out = checkpassword_dovecot.doveadm("user", "john+tag@example.net")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "user\tjohn@example.com" in out.stdout
    out = checkpassword_dovecot.doveadm("auth", "test", "-x", "service=imap", "john@example.com",
                                        pw("john@example.com"))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("name", ["forged\nmailroute-checkpassword: login admin@example.com ok",
                                  "x\r\nEvil: 1@example.com", "esc\x1b[2Jape@example.com"])
def test_log_lines_cannot_be_forged(config, name):
    """-v logs refused names: escaped, one line per event, whatever the
    client sent (Dovecot passes any byte when auth_username_chars is
    empty)."""
    result = checkpassword.run(config, name, "whatever", args=["-v", "-c", config])
    assert result.status == EXIT_FAILED, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "\n" not in lines[0].replace("\\x0a", "") and "\x1b" not in lines[0]
    assert "\\x0a" in lines[0] or "\\x0d" in lines[0] or "\\x1b" in lines[0], lines


def test_runner_survives_pipes_on_fds_3_and_4(config):
    """The harness itself, in a fresh process where os.pipe() returns fds
    3 and 4 (dup2(3, 3) would keep close-on-exec)."""
    script = (
        "import os, sys\n"
        "sys.path.insert(0, %r)\n"
        "from mrtest import checkpassword\n"
        "r, w = os.pipe(); assert (r, w) == (3, 4), (r, w); os.close(r); os.close(w)\n"
        "result = checkpassword.run(%r, 'john@example.com', %r)\n"
        "sys.exit(result.status)\n"
    ) % (os.path.join(os.path.dirname(__file__), "..", "lib"), config, pw("john@example.com"))
    out = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True)
    assert out.returncode == EXIT_OK, out.stdout + out.stderr


@pytest.mark.parametrize("stored", ["pbkdf2_sha256$0260000$salt$AAAA",
                                    "pbkdf2_sha256$99000000$salt$AAAA",
                                    "crypt$$$2b$18$" + "a" * 53])
def test_bad_stored_hash_is_logged_without_verbose(config, mariadb, migrated_db, stored):
    """Malformed or over a cap: a refusal, and an error naming the account
    even without -v: only an operator can mend it."""
    saved = mariadb.query("SELECT password FROM auth_user WHERE id = 16", db=migrated_db)[0][0]
    mariadb.query("UPDATE auth_user SET password = %s WHERE id = 16", (stored,), db=migrated_db)
    try:
        result = checkpassword.run(config, "alice@shared-a.com", pw("alice@shared-a.com"))
    finally:
        mariadb.query("UPDATE auth_user SET password = %s WHERE id = 16", (saved,),
                      db=migrated_db)
    assert result.status == EXIT_FAILED, result
    assert "account 116" in result.stderr and "refused" in result.stderr, result
    assert stored not in result.stderr
