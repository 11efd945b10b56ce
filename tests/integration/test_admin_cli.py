"""mailroute-auth lookup / check-config / pw-test."""
import os
import re
import subprocess

import pytest

from mrtest import fixtures, scale
from mrtest.paths import ADMIN_CLI


def cli(*args, stdin=None):
    return subprocess.run([ADMIN_CLI] + list(args), input=stdin, capture_output=True, text=True)


def test_lookup_shows_rule_and_fields(config):
    out = cli("-c", config, "lookup", "john-other+x@example.net")
    assert out.returncode == 0, out
    assert "matched\tlocalpart cut at '+' (john-other)" not in out.stdout
    assert "matched\tlocalpart cut at '-' (john)" in out.stdout
    assert "user\tjohn@example.com" in out.stdout
    assert "home\t/data/mailstorage/e/x/example.com/j/john" in out.stdout
    assert "quota_rule\t*:storage=1024M" in out.stdout
    assert "password\tpbkdf2_sha256" in out.stdout
    assert "pbkdf2_sha256$" not in out.stdout


def test_lookup_continuity_lists_imports(config):
    out = cli("-c", config, "lookup", "cont@continuity30.org")
    assert out.returncode == 0
    assert out.stdout.count("userdb_import\tnamespace/inbox/mailbox/") == 10
    assert "acl_groups\tcontinuity" in out.stdout


def test_lookup_refusals_and_errors(config):
    out = cli("-c", config, "lookup", "nothosted@nothosted.com")
    assert out.returncode == 1 and "neither hosted nor continuity" in out.stdout
    out = cli("-c", config, "lookup", "nobody@example.com")
    assert out.returncode == 1 and "unknown" in out.stdout
    out = cli("-c", config, "lookup", "../x@unsafe.test")
    assert out.returncode == 3 and "account 113" in out.stdout
    out = cli("-c", config, "lookup", "shared-box@quota0.com")
    assert out.returncode == 3 and "account 122" in out.stdout
    out = cli("-c", config, "lookup", "inactive@example.com")
    assert out.returncode == 0 and "user is not active" in out.stdout


def test_check_config(config, workdir, mariadb):
    out = cli("-c", config, "check-config")
    assert out.returncode == 0 and out.stdout.strip().endswith(": ok")
    shown = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
    assert shown["server"] == mariadb.socket and shown["tls"] == "none"
    assert "MariaDB" in shown["version"]
    assert shown["schema"] == str(len(fixtures.migrations("up")))
    # over TCP with TLS: the host that answered and the cipher
    tls = fixtures.write_config(os.path.join(workdir, "cc-tls.conf"), mariadb, "mailroute",
                                db_socket=None, db_hosts="127.0.0.1:%d" % mariadb.port,
                                db_tls="verify", db_tls_ca=mariadb.tls_ca)
    out = cli("-c", tls, "check-config")
    shown = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
    assert out.returncode == 0, out.stderr
    assert shown["server"] == "127.0.0.1:%d" % mariadb.port and shown["tls"].startswith("TLS_")
    # a schema older than the code: refused, with what to apply
    latest = len(fixtures.migrations("up"))
    saved = mariadb.query("SELECT version, name FROM mailroute_schema_version WHERE version = %s",
                          (latest,), db="mailroute")
    mariadb.query("DELETE FROM mailroute_schema_version WHERE version = %s", (latest,),
                  db="mailroute")
    try:
        out = cli("-c", config, "check-config")
        assert out.returncode == 3, out.stderr
        assert "schema version %d, this version reads %d" % (latest - 1, latest) in out.stderr
    finally:
        mariadb.query("INSERT INTO mailroute_schema_version (version, name) VALUES (%s, %s)",
                      saved[0], db="mailroute")
    dead = fixtures.write_config(os.path.join(workdir, "cc-dead.conf"), mariadb, "mailroute",
                                 db_socket="/nonexistent.sock")
    assert cli("-c", dead, "check-config").returncode == 3
    # a database without the view: the grant or migration is missing
    mariadb.create_database("empty")
    empty = fixtures.write_config(os.path.join(workdir, "cc-empty.conf"), mariadb, "empty")
    out = cli("-c", empty, "check-config")
    assert out.returncode == 3 and "mailroute_login" in out.stderr
    bad = os.path.join(workdir, "cc-bad.conf")
    with open(bad, "w") as f:
        f.write("db_read_timeout = soon\n")
    out = cli("-c", bad, "check-config")
    assert out.returncode == 2 and "cc-bad.conf:1: db_read_timeout" in out.stderr


def test_usage_errors():
    assert cli().returncode == 2
    assert cli("frobnicate").returncode == 2
    out = cli("--help")
    assert out.returncode == 0 and "lookup USER@DOMAIN" in out.stdout


COMMANDS = ["lookup", "check-config", "pw-test", "users", "hash-census", "list",
            "check-lists", "stalwart-lists", "stalwart-mailing-lists", "quota",
            "compare-legacy"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_helps(command):
    """COMMAND --help, COMMAND -h and help COMMAND print that command's
    usage on stdout and exit 0, without a configuration file or a
    database: never a lookup of "--help" or a file of that name."""
    listed = cli("--help").stdout
    assert re.search(r"^  %s\b" % re.escape(command), listed, re.M), command
    for args in ([command, "--help"], [command, "-h"], ["help", command]):
        out = cli("-c", "/nonexistent/mailroute-auth.conf", *args)
        assert out.returncode == 0, (args, out)
        assert out.stdout.startswith("Usage: mailroute-auth [-c FILE] %s" % command), out
        assert "exit: 0" in out.stdout and out.stderr == "", out
    assert cli("help", "frobnicate").returncode == 2


def test_shipped_example_config_parses(workdir, mariadb, migrated_db):
    """conf.d/mailroute-auth.conf as shipped, with only the database lines
    pointed at the private server."""
    from mrtest.mariadb import APP_PASSWORD, APP_USER
    from mrtest.paths import SOURCE_DIR
    text = open(os.path.join(SOURCE_DIR, "conf.d", "mailroute-auth.conf")).read()
    password_file = os.path.join(workdir, "shipped.password")
    with open(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(APP_PASSWORD + "\n")
    text = (text.replace("/run/mysqld/mysqld.sock", mariadb.socket)
                .replace("db_name = mail\n", "db_name = %s\n" % migrated_db)
                .replace("mailroute_ro", APP_USER)
                .replace("/etc/dovecot/mailroute-db.password", password_file))
    path = os.path.join(workdir, "shipped.conf")
    with open(path, "w") as f:
        f.write(text)
    out = cli("-c", path, "check-config")
    assert out.returncode == 0, out.stderr
    # every commented default, uncommented, must parse too
    import re
    setting = re.compile(r"^#(?!db_hosts|db_tls)[a-z_0-9]+ = ")
    uncommented = "\n".join(l[1:] if setting.match(l) else l for l in text.splitlines())
    assert uncommented.count("\nhash_max_") == 7
    with open(path, "w") as f:
        f.write(uncommented + "\n")
    out = cli("-c", path, "check-config")
    assert out.returncode == 0, out.stderr


def test_pw_test_takes_the_hash_on_stdin_not_argv():
    """A hash on the command line is readable by every local user
    (/proc/PID/cmdline): pw-test reads it from standard input."""
    stored, password = scale.PASSWORD, scale.PLAIN_PASSWORD
    out = cli("pw-test", stdin="%s\n%s\n" % (stored, password))
    assert out.returncode == 0 and out.stdout == "match\n", out
    out = cli("pw-test", stdin="%s\nwrong\n" % stored)
    assert out.returncode == 1 and out.stdout == "mismatch\n", out
    out = cli("pw-test", stored, stdin=password + "\n")
    assert out.returncode == 2 and "Usage" in out.stderr, out


def test_malformed_row_names_the_account(config, mariadb, migrated_db):
    """A canonical name holding a NUL byte is a malformed row: a data error
    naming the account (exit 3), never a name cut short at the NUL."""
    saved = mariadb.query("SELECT localpart FROM amavisd_emailaccount WHERE id = 116",
                          db=migrated_db)[0][0]
    try:
        mariadb.query("UPDATE amavisd_emailaccount SET localpart = %s WHERE id = 116",
                      ("ali\0ce",), db=migrated_db)
        out = cli("-c", config, "lookup", "alice@shared-a.com")
    finally:
        mariadb.query("UPDATE amavisd_emailaccount SET localpart = %s WHERE id = 116",
                      (saved,), db=migrated_db)
    assert out.returncode == 3, out
    assert "malformed row for account 116: NUL byte in a name" in out.stdout
    assert "user\t" not in out.stdout
    assert cli("-c", config, "lookup", "alice@shared-a.com").returncode == 0
