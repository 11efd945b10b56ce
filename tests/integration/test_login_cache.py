"""The verified-credential cache through a real Dovecot: one table for the
host (verify_cache_file), so a repeat login is answered cheaply by
whichever auth-worker gets it, including one started after the first
login; and sequences in which the cache must not answer: a wrong password,
a changed password, a disabled account. Dovecot's own auth cache is off
here, so every login reaches the module's passdb in a worker and its
event mailroute_password_verified says whether the table answered."""
import os
import re
import signal
import time

import pytest

from mrtest import fixtures
from mrtest.dovecot import start_mail_host
from mrtest.wait import wait_for

from test_dovecot import MailHost, imap_login

pw = fixtures.fixture_password
USER = "john@example.com"
NEW_PASSWORD = "a new password, changed in Django"


@pytest.fixture(scope="module")
def host(workdir, mariadb, migrated_db):
    root = os.path.join(workdir, "dovecot-login-cache")
    dovecot = start_mail_host(root, mariadb, migrated_db, "module",
                              extra_config="auth_cache_size = 0\n")
    yield MailHost("module", root, dovecot)
    dovecot.stop()


@pytest.fixture
def restore_john(mariadb, migrated_db):
    saved = mariadb.query("SELECT password, is_active FROM auth_user WHERE username = %s",
                          (USER,), db=migrated_db)[0]

    def change(**values):
        for column, value in values.items():
            mariadb.query("UPDATE auth_user SET %s = %%s WHERE username = %%s" % column,
                          (value, USER), db=migrated_db)
    yield change
    change(password=saved[0], is_active=saved[1])


def end_auth_workers(host):
    """What idle_kill does to an idle worker, to all of them now: the
    next login goes to a worker started after it."""
    pids = host.dovecot.auth_worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while time.time() < deadline and set(pids) & set(host.dovecot.auth_worker_pids()):
        time.sleep(0.1)
    assert not set(pids) & set(host.dovecot.auth_worker_pids()), "auth workers did not end"
    return pids


# the worker's pid: 2.3 "auth-worker(PID): Debug: mailroute(USER,...)",
# 2.4 "auth-worker(USER,...)<PID><session>: request [n]: Debug: mailroute"
WORKER_PID = re.compile(r"auth-worker(?:\((\d+)\)|\([^)]*\)<(\d+)>)")
VERIFIED = re.compile(r"password verified: verify cache (hit|miss)")


def verifications(host):
    """[(worker pid, hit or miss)] of USER's verifications in the log."""
    found = []
    for line in host.log().splitlines():
        verified, pid = VERIFIED.search(line), WORKER_PID.search(line)
        if verified and pid and USER in line:
            found.append((int(pid.group(1) or pid.group(2)), verified.group(1)))
    return found


def verified_lines(host):
    """The log's verification lines, for a failure's message."""
    return [line for line in host.log().splitlines() if "password verified" in line][-4:]


def login(host, password):
    """Logs in; returns (logged in, [(worker pid, hit or miss)] of the
    verifications this login added to the log)."""
    before = len(verifications(host))
    ok, answer = imap_login(host, USER, password)
    wait_for(lambda: len(verifications(host)) > before)
    return ok, verifications(host)[before:]


def test_shared_table_is_made_closed_to_others(host):
    path = os.path.join(host.root, "mailroute-auth.conf.verify-cache")
    assert imap_login(host, USER, pw(USER))[0]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert "verify_cache_file" not in host.log(), "the table was not opened: see the log"


def test_repeat_login_in_a_new_worker_is_answered_by_the_table(host):
    """The issue measured: every worker had its own table, and a worker
    ended by idle_kill took it with it."""
    end_auth_workers(host)
    ok, first = login(host, pw(USER))
    assert ok
    ended = end_auth_workers(host)
    ok, again = login(host, pw(USER))
    assert ok
    assert again and again[0][1] == "hit", (again, verified_lines(host))
    assert again[0][0] not in ended, "the same worker answered"
    assert first, "the first login verified nothing"


def test_wrong_password_is_never_answered_by_the_table(host):
    assert imap_login(host, USER, pw(USER))[0]
    end_auth_workers(host)
    ok, verified = login(host, "a wrong password")
    assert not ok
    assert verified and all(kind == "miss" for _, kind in verified), verified
    ok, verified = login(host, pw(USER))
    assert ok and verified[-1][1] == "hit", verified


def test_changed_password_is_never_answered_by_the_table(host, restore_john):
    """The password changed in Django: the old one fails at once, in a new
    worker and in the one that verified it; the new one is verified in
    full once, then answered by the table."""
    hashers = fixtures.django_hashers()
    assert imap_login(host, USER, pw(USER))[0]
    assert imap_login(host, USER, pw(USER))[0]
    restore_john(password=hashers.make_password(NEW_PASSWORD))
    ok, verified = login(host, pw(USER))
    assert not ok and verified[-1][1] == "miss", verified
    end_auth_workers(host)
    ok, verified = login(host, pw(USER))
    assert not ok, "the old password logged in from the table"
    ok, verified = login(host, NEW_PASSWORD)
    assert ok and verified[-1][1] == "miss", verified
    end_auth_workers(host)
    ok, verified = login(host, NEW_PASSWORD)
    assert ok and verified[-1][1] == "hit", verified


def test_disabled_account_is_refused_with_its_password_in_the_table(host, restore_john):
    """The table proves a password, never admission: an account disabled
    after its login is refused while its entry is live."""
    assert imap_login(host, USER, pw(USER))[0]
    restore_john(is_active=0)
    end_auth_workers(host)
    ok, verified = login(host, pw(USER))
    assert not ok
    assert verified[-1][1] == "hit", verified
    assert host.logged("user is not active")

