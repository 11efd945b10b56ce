"""A database outage as Dovecot's auth master sees it. The module tells
the master when its worker cannot reach the database and when it can
again, as Dovecot's own sql driver does (db-sql.c: ERROR and SUCCESS on
the worker's connection). After ERROR the master starts no new worker,
and ends each further one that fails, until a worker says SUCCESS; without
it every queued request gets a worker of its own, up to the worker limit,
each waiting out the connect timeout and logging it.

The database at its worst is a loopback port that takes connections and
never answers (a hung server, a black-holed route): every request waits
db_connect_timeout. Then the same port forwards to the real MariaDB: the
database is back, and lookups are answered again."""
import os
import threading
import time

import pytest

from mrtest.auth_client import userdb_client
from mrtest.dovecot import start_mail_host
from mrtest.dovecot_version import is_dovecot_24
from mrtest.relay import Relay

WORKER_LIMIT = 6
CLIENTS = 12
USER = "john@example.com"


@pytest.fixture(scope="module")
def gate(mariadb):
    """The database's port behind a relay, hung until the test opens it."""
    relay = Relay(mariadb.port)
    relay.hung = True
    yield relay
    relay.close()


@pytest.fixture(scope="module")
def dovecot(workdir, mariadb, migrated_db, gate):
    limit = ("service auth-worker {\n  process_limit = %d\n}\n" % WORKER_LIMIT
             if is_dovecot_24() else "auth_worker_max_count = %d\n" % WORKER_LIMIT)
    dovecot = start_mail_host(
        os.path.join(workdir, "dovecot-worker-throttle"), mariadb, migrated_db, "module",
        extra_config="auth_cache_size = 0\n" + limit,
        module_config={"db_socket": None, "db_hosts": "127.0.0.1:%d" % gate.port,
                       "db_connect_timeout": "1", "db_read_timeout": "2"})
    yield dovecot
    dovecot.stop()


def lookups(dovecot, seconds):
    """CLIENTS clients asking USER's userdb for seconds; the worker count
    sampled meanwhile (the master's auth-worker children); every reply."""
    replies, samples = [], []
    deadline = time.time() + seconds

    def client():
        conn, _ = userdb_client(dovecot)
        try:
            while time.time() < deadline:
                conn.next_id += 1
                replies.append(conn.request("USER\t%d\t%s\tservice=lmtp"
                                            % (conn.next_id, USER)))
        finally:
            conn.close()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        samples.append((time.time(), len(dovecot.auth_worker_pids())))
        time.sleep(0.2)
    for t in threads:
        t.join()
    return replies, samples


def test_an_outage_does_not_fill_the_worker_limit_and_its_end_is_seen(dovecot, gate):
    """A sequence: the database hangs while 12 clients keep asking; then
    it answers again. During the outage every answer is a temporary
    failure (FAIL, never NOTFOUND); after the first seconds the master
    keeps at most two workers; once the database is back, lookups
    succeed again within seconds."""
    replies, samples = lookups(dovecot, 12)
    assert replies and all(r.startswith("FAIL\t") for r in replies), replies[:5]
    started = samples[0][0]
    late = [count for at, count in samples if at - started > 8]
    assert late and max(late) <= 2, samples
    gate.hung = False
    deadline = time.time() + 20
    while True:
        conn, lookup = userdb_client(dovecot)
        try:
            ok = lookup(USER)
        finally:
            conn.close()
        if ok or time.time() > deadline:
            break
        time.sleep(0.5)
    assert ok, "lookups did not succeed again after the database came back"
    replies, _ = lookups(dovecot, 3)
    assert replies and all(r.startswith("USER\t") for r in replies), replies[:5]
