"""Quota usage (migration 0010): a real Dovecot (2.3, or 2.4 in its
chroot) with the module, the shipped mailroute-quota-usage.conf.ext and
its dict map writes each user's usage into MariaDB through quota_clone
and the dict service, as the shipped writer user; deliveries move the
numbers; `mailroute-auth quota DOMAIN` reports them beside the policy's
quota; a delivery over quota gets the permanent or temporary reply
quota_full_tempfail says."""
import os
import re
import smtplib
import subprocess

import pytest

from mrtest import hostile
from mrtest.dovecot import ensure_vmail_user, start_mail_host
from mrtest.dovecot_conf import read_conf, write_dict_config
from mrtest.dovecot_version import is_dovecot_24
from mrtest.mail_clients import IMAP
from mrtest.wait import wait_for
from mrtest.fixtures import fixture_password
from mrtest.paths import ADMIN_CLI, SOURCE_DIR


WRITER, WRITER_PASSWORD = "mailroute_quota", "quota-writer-secret-for-tests"
# bigquota@example.com has an account policy of its own (22): a test
# lowers its quota to 1 MB
SMALL_QUOTA_USER, SMALL_QUOTA_POLICY = "bigquota@example.com", 22


def quota_usage_config(dict_path, vmail_user):
    return (read_conf("mailroute-quota-usage.conf.ext")
            .replace("/etc/dovecot/dovecot-dict-quota.conf.ext", dict_path)
            .replace("user = vmail", "user = " + vmail_user))


def start_dovecot(root, mariadb, db, tempfail):
    """The module's Dovecot with the shipped quota usage include, its dict
    map pointed at the test server; quota_full_tempfail as asked."""
    os.makedirs(root)
    dict_path = os.path.join(root, "dovecot-dict-quota.conf.ext")
    write_dict_config(dict_path, "dovecot-dict-quota.conf.ext", mariadb, db, WRITER,
                      WRITER_PASSWORD)
    usage = quota_usage_config(dict_path, ensure_vmail_user().pw_name)
    if tempfail:
        assert "quota_full_tempfail = no" in usage
        usage = usage.replace("quota_full_tempfail = no", "quota_full_tempfail = yes")
    return start_mail_host(os.path.join(root, "host"), mariadb, db, extra_config=usage)


@pytest.fixture(scope="module")
def writer(workdir, mariadb, migrated_db):
    mariadb.run_template(os.path.join(SOURCE_DIR, "conf.d", "dovecot", "quota-usage-db-user.sql"),
                         migrated_db, {"@DOVECOT_HOST@": "localhost", "@PASSWORD@": WRITER_PASSWORD})


@pytest.fixture(scope="module")
def dovecot(writer, workdir, mariadb, migrated_db):
    server = start_dovecot(os.path.join(workdir, "quota-usage"), mariadb, migrated_db, False)
    yield server
    server.stop()


@pytest.fixture
def small_quota(mariadb, migrated_db):
    """bigquota@example.com's policy at 1 MB while a test runs."""
    before = mariadb.query("SELECT quota_mb FROM amavisd_policy WHERE id = %s",
                           (SMALL_QUOTA_POLICY,), db=migrated_db)[0][0]
    mariadb.query("UPDATE amavisd_policy SET quota_mb = 1 WHERE id = %s", (SMALL_QUOTA_POLICY,),
                  db=migrated_db)
    yield
    mariadb.query("UPDATE amavisd_policy SET quota_mb = %s WHERE id = %s",
                  (before, SMALL_QUOTA_POLICY), db=migrated_db)


def deliver(dovecot, recipient, size=0):
    body = "x" * 76 + "\r\n"
    message = ("Subject: quota\r\nFrom: sender@remote.example\r\n\r\n"
               + body * max(1, size // len(body)))
    with smtplib.LMTP("127.0.0.1", dovecot.lmtp_port) as lmtp:
        return lmtp.sendmail("sender@remote.example", [recipient], message)


def usage(mariadb, db, user):
    rows = mariadb.query("SELECT bytes, messages FROM mailroute_quota_usage WHERE username = %s",
                         (user,), db=db)
    return rows[0] if rows else None


def test_deliveries_move_the_numbers(dovecot, mariadb, migrated_db):
    """Each delivery through LMTP: quota_clone writes the user's bytes and
    messages, under the canonical user, through the dict service."""
    deliver(dovecot, "johnny+usage@example.net", 2000)
    first = wait_for(lambda: usage(mariadb, migrated_db, "john@example.com"))
    assert first is not None and first[1] >= 1 and first[0] > 2000, first
    deliver(dovecot, "john@example.com", 5000)
    second = wait_for(lambda: (lambda u: u if u[1] == first[1] + 1 else None)(
        usage(mariadb, migrated_db, "john@example.com")))
    assert second and second[0] > first[0] + 5000, (first, second)
    assert usage(mariadb, migrated_db, "johnny@example.net") is None


def test_quota_report_shows_usage_beside_the_policy(dovecot, mariadb, migrated_db, config):
    deliver(dovecot, "john-smith@example.com", 1000)
    assert wait_for(lambda: usage(mariadb, migrated_db, "john-smith@example.com"))
    out = subprocess.run([ADMIN_CLI, "-c", config, "quota", "EXAMPLE.net"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = {line.split("\t")[1]: line.split("\t")[2:] for line in out.stdout.splitlines()
            if line.startswith("user\t")}
    bytes_, messages = usage(mariadb, migrated_db, "john-smith@example.com")
    assert rows["john-smith@example.com"][:3] == [
        "quota 1024 MB", "used %d bytes (%.1f%%)" % (bytes_, 100.0 * bytes_ / 1024 ** 3),
        "messages %d" % messages]
    assert rows["optout@example.com"][-1] == "(receives no mail)"
    assert rows["jürgen@example.com"][1] == "used not reported"
    total = [line for line in out.stdout.splitlines() if line.startswith("total\t")]
    assert total and re.match(r"total\t\d+ users\t\d+ bytes\t\d+ messages$", total[0])
    assert subprocess.run([ADMIN_CLI, "-c", config, "quota", "nothing.example"],
                          capture_output=True).returncode == 1


def test_imap_append_and_expunge_move_the_numbers(dovecot, mariadb, migrated_db):
    """Not only LMTP: an IMAP APPEND adds the message to the row, an
    EXPUNGE takes it away (quota_clone is loaded for IMAP too: set only
    globally, after mailroute-mail.conf.ext's protocol imap section, it
    was not)."""
    user = "mary@mixed.example"
    canonical = "Mary@Mixed.Example"
    deliver(dovecot, user, 1000)
    before = wait_for(lambda: usage(mariadb, migrated_db, canonical))
    assert before is not None
    conn = IMAP("127.0.0.1", dovecot.imap_port)
    conn.login(user, fixture_password(canonical))
    try:
        assert conn.append("INBOX", None, None,
                           b"Subject: appended\r\n\r\n" + b"y" * 3000 + b"\r\n")[0] == "OK"
        appended = wait_for(lambda: (lambda u: u if u[1] == before[1] + 1 else None)(
            usage(mariadb, migrated_db, canonical)))
        assert appended and appended[0] > before[0] + 3000, (before, appended)
        conn.select("INBOX")
        status, found = conn.search(None, "SUBJECT", "appended")
        assert status == "OK" and found[0], found
        conn.store(found[0].split()[-1], "+FLAGS", "\\Deleted")
        assert conn.expunge()[0] == "OK"
        expunged = wait_for(lambda: (lambda u: u if u[1] == before[1] else None)(
            usage(mariadb, migrated_db, canonical)))
        assert expunged == before, (before, expunged)
    finally:
        conn.logout()


@pytest.mark.parametrize("bytes_,messages", hostile.QUOTA_ROWS)
def test_usage_row_refuses_negative_counts(mariadb, migrated_db, bytes_, messages):
    import MySQLdb
    with pytest.raises(MySQLdb.OperationalError, match="mailroute_quota_usage_not_negative"):
        mariadb.query("INSERT INTO mailroute_quota_usage (username, bytes, messages) "
                      "VALUES ('negative@example.com', %s, %s)", (bytes_, messages), db=migrated_db)


def test_quota_report_never_wraps(config, mariadb, migrated_db):
    """Three users at BIGINT's largest count: their total is past what the
    report can add up, a data error (exit 3), never a total wrapped
    round."""
    users = ["optout@example.com", "bigquota@example.com", "contuser@example.com"]
    saved = mariadb.query("SELECT username, bytes, messages FROM mailroute_quota_usage",
                          db=migrated_db)
    try:
        for user in users:
            mariadb.query("REPLACE INTO mailroute_quota_usage (username, bytes, messages) "
                          "VALUES (%s, 9223372036854775807, 1)", (user,), db=migrated_db)
        out = subprocess.run([ADMIN_CLI, "-c", config, "quota", "example.com"],
                             capture_output=True, text=True)
        assert out.returncode == 3 and "malformed quota row" in out.stderr, out
        assert "18446744073709551615" not in out.stdout, out.stdout
    finally:
        mariadb.query("DELETE FROM mailroute_quota_usage", db=migrated_db)
        for row in saved:
            mariadb.query("INSERT INTO mailroute_quota_usage (username, bytes, messages) "
                          "VALUES (%s, %s, %s)", row, db=migrated_db)


# A delivery may pass the quota by a grace: 10 % of it in 2.3, 10 MB in
# 2.4 (quota_storage_grace's default, which the shipped include keeps)
OVER_QUOTA_SIZE = 600_000 + (10 * 1024 * 1024 if is_dovecot_24() else 0)


def over_quota_reply(dovecot):
    """Fills bigquota@ (1 MB) with 600 KB, then answers a second message
    that takes it over the quota and its grace."""
    assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
    assert deliver(dovecot, SMALL_QUOTA_USER, 600_000) == {}
    with pytest.raises(smtplib.SMTPDataError) as refused:
        deliver(dovecot, SMALL_QUOTA_USER, OVER_QUOTA_SIZE)
    return refused.value.smtp_code, refused.value.smtp_error.decode()


def test_over_quota_is_permanent_by_default(dovecot, small_quota, mariadb, migrated_db):
    code, answer = over_quota_reply(dovecot)
    assert code == 552 and "5.2.2" in answer, (code, answer)
    stored = wait_for(lambda: usage(mariadb, migrated_db, SMALL_QUOTA_USER))
    # maildir stores LF line ends: a little under the 600 KB sent
    assert stored[1] == 1 and 500_000 < stored[0] < 1024 * 1024, stored


def test_over_quota_is_temporary_when_configured(writer, workdir, mariadb, migrated_db,
                                                small_quota):
    server = start_dovecot(os.path.join(workdir, "quota-tempfail"), mariadb, migrated_db, True)
    try:
        code, answer = over_quota_reply(server)
    finally:
        server.stop()
    assert code == 452 and "4.2.2" in answer, (code, answer)
