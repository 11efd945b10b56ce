"""Two database hosts (issue 14): a first host that hangs (accepts TCP,
never answers) or dies, a second that answers: a server of its own loaded
with the same fixtures, and, in the last test, a real replica of the
first (MariaDB replication between two private servers). Only loopback.

One-process-per-request programs remember a failed host in the state
file; the Dovecot module in memory; both log each failure with host:port
and its cost, the failover and the recovery, and go back to the first
host when it returns. No request is answered as a wrong password or an
unknown user because a host failed."""
import os
import subprocess
import time

import pytest

from mrtest import checkpassword, fixtures, relay
from mrtest.dovecot import Dovecot
from mrtest.dovecot_conf import module_auth
from mrtest.dovecot_modules import install_auth_modules
from mrtest.mariadb import MariaDB
from mrtest.paths import ADMIN_CLI

DB = "mailroute"
pw = fixtures.fixture_password


@pytest.fixture(scope="module")
def second_server(workdir):
    server = MariaDB(os.path.join(workdir, "db-second"))
    server.start()
    fixtures.load_migrated(server, DB)
    yield server
    server.stop()


def write_config(workdir, name, server, ports, **extra):
    return fixtures.write_config(
        os.path.join(workdir, name + ".conf"), server, DB, db_socket=None,
        db_hosts=" ".join("127.0.0.1:%d" % p for p in ports),
        db_connect_timeout="1", **extra)


def module_dovecot(workdir, name, server, ports, extra_config="", **settings):
    """A started Dovecot with the module over the given db_hosts ports."""
    root = os.path.join(workdir, "dovecot-" + name)
    os.makedirs(root)
    os.chmod(root, 0o755)
    install_auth_modules()
    config = write_config(workdir, name + "-module", server, ports,
                          mail_root=os.path.join(root, "mail"),
                          index_root=os.path.join(root, "index"), **settings)
    dovecot = Dovecot(os.path.join(root, "dovecot"), module_auth(config) + extra_config)
    dovecot.start()
    return dovecot


def lookup(config, address="john@example.com"):
    return subprocess.run([ADMIN_CLI, "-c", config, "lookup", address],
                          capture_output=True, text=True)


def test_hung_first_host_is_skipped_then_used_again(workdir, mariadb, migrated_db,
                                                    second_server):
    """The first run pays the connect timeout once and logs it; the
    following runs, CLI and checkpassword alike, skip the hung host
    through the state file; when the host answers again after the retry
    interval, the next run uses it and logs it back."""
    hung = relay.BlackHole()
    port = hung.port
    state = os.path.join(workdir, "db-hosts.state")
    config = write_config(workdir, "failover-oneshot", second_server,
                          [port, second_server.port], db_retry_interval="60",
                          db_host_state_file=state)
    try:
        first = lookup(config)
        assert first.returncode == 0 and "\nuser\tjohn@example.com\n" in "\n" + first.stdout
        failed = [line for line in first.stderr.splitlines() if "failed after" in line]
        assert len(failed) == 1 and "127.0.0.1:%d" % port in failed[0], first.stderr
        cost_ms = int(failed[0].split("failed after ")[1].split(" ms")[0])
        assert cost_ms >= 900, failed  # db_connect_timeout = 1
        assert "failed over to 127.0.0.1:%d" % second_server.port in first.stderr
        assert hung.connections == 1
        # skipped: no new connection to the hung host, nothing logged
        for _ in range(3):
            again = lookup(config)
            assert again.returncode == 0 and again.stderr == "", again
        login = checkpassword.run(config, "john@example.com", pw("john@example.com"))
        assert login.status == 0 and login.fields.get("user") == "john@example.com", login
        assert "failed" not in login.stderr, login.stderr
        assert hung.connections == 1
        with open(state) as f:
            assert "127.0.0.1 %d " % port in f.read()
    finally:
        hung.close()
    # the host answers again (a relay to the first server on its port) and
    # the retry interval is over (the state file says so)
    back = relay.Relay(mariadb.port, listen_port=port)
    try:
        with open(state, "w") as f:
            f.write("127.0.0.1 %d %d\n" % (port, int(time.time()) - 1))
        config = write_config(workdir, "failover-oneshot", mariadb,
                              [port, second_server.port], db_retry_interval="60",
                              db_host_state_file=state)
        returned = lookup(config)
        assert returned.returncode == 0, returned
        assert "database host 127.0.0.1:%d is back" % port in returned.stderr
        assert back.connections == 1
        assert lookup(config).stderr == ""
    finally:
        back.close()


def test_without_a_state_file_each_run_pays_again(workdir, second_server):
    """The state file is what one-shot programs remember with: without it
    every run tries the hung host first (and says so)."""
    hung = relay.BlackHole()
    config = write_config(workdir, "failover-nostate", second_server,
                          [hung.port, second_server.port])
    try:
        for run in range(2):
            out = lookup(config)
            assert out.returncode == 0 and "failed after" in out.stderr
        assert hung.connections == 2
    finally:
        hung.close()


def test_all_hosts_down_is_a_temporary_failure(workdir, second_server):
    hung, dead = relay.BlackHole(), relay.BlackHole()
    dead.close()  # refused
    config = write_config(workdir, "failover-down", second_server, [hung.port, dead.port],
                          db_host_state_file=os.path.join(workdir, "down.state"))
    try:
        for _ in range(2):  # the second run tries the hosts marked down too
            out = lookup(config)
            assert out.returncode == 3, out
            assert out.stderr.count("failed after") == 2, out.stderr
            login = checkpassword.run(config, "john@example.com", pw("john@example.com"))
            assert login.status == 111, login  # temporary, never "wrong password"
    finally:
        hung.close()


def test_worker_fails_over_and_returns(workdir, mariadb, migrated_db, second_server):
    """The Dovecot module's auth worker: the first host dies under it (its
    connections closed, the port refused); the request in flight is
    retried on the second host, and later ones stay there; when the first
    comes back, after the retry interval the worker returns to it."""
    primary = relay.Relay(mariadb.port)
    port = primary.port
    # every lookup's end is an event a metric can count
    metric = """
metric mailroute_lookups {
  filter = event=mailroute_lookup_finished
  fields = duration_usecs
}
"""
    dovecot = module_dovecot(workdir, "failover", mariadb, [port, second_server.port],
                             extra_config=metric, db_retry_interval="1")
    lookups = iter(range(1000))

    def user_ok():
        # a name the auth cache has not seen, so that the worker asks
        out = dovecot.doveadm("user", "bigquota+%d@example.com" % next(lookups))
        return out.returncode == 0 and "/example.com/b/bigquota\n" in out.stdout

    try:
        assert user_ok() and primary.connections == 1
        primary.close()
        for _ in range(5):
            assert user_ok()
        assert dovecot.logged("database host 127.0.0.1:%d failed after" % port)
        assert dovecot.logged("failed over to 127.0.0.1:%d" % second_server.port)
        primary = relay.Relay(mariadb.port, listen_port=port)
        time.sleep(1.2)  # db_retry_interval = 1
        assert user_ok()
        assert primary.connections == 1
        assert dovecot.logged("database host 127.0.0.1:%d is back" % port)
        assert dovecot.logged("leaving 127.0.0.1:%d for 127.0.0.1:%d" % (second_server.port, port))
        assert dovecot.logged("recipient lookup found in ")
        assert "password mismatch" not in dovecot.log() and "unknown user" not in dovecot.log()
        stats = dovecot.doveadm("stats", "dump")
        counted = [line.split("\t") for line in stats.stdout.splitlines()
                   if line.startswith("mailroute_lookups\t")]
        assert counted and int(counted[0][2]) >= 7, stats.stdout
    finally:
        dovecot.stop()
        primary.close()


def test_worker_fails_over_from_a_hung_host(workdir, mariadb, migrated_db, second_server):
    """The first host stops answering under an auth worker (connections
    kept open, nothing relayed; new ones accepted and never answered). The
    request in flight waits db_read_timeout, is retried on a new
    connection, which waits db_connect_timeout, and is answered by the
    second host; the next requests skip the hung host."""
    primary = relay.Relay(mariadb.port)
    dovecot = module_dovecot(workdir, "hang", mariadb, [primary.port, second_server.port],
                             db_read_timeout="1", db_retry_interval="60")
    try:
        def user(n):
            return dovecot.doveadm("user", "zero+%d@quota0.com" % n)
        assert user(0).returncode == 0 and primary.connections == 1
        primary.hung = True
        for n in range(1, 5):
            out = user(n)
            assert out.returncode == 0, out
        assert dovecot.logged("failed over to 127.0.0.1:%d" % second_server.port)
        log = dovecot.log()
        assert log.count("database host 127.0.0.1:%d failed after" % primary.port) == 1
        assert "password mismatch" not in log and "unknown user" not in log
    finally:
        dovecot.stop()
        primary.close()


REPL_PASSWORD = "repl-secret-for-tests"


def wait_for(condition, what, timeout=60):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


@pytest.fixture(scope="module")
def replicated(workdir):
    """A primary with a binary log and a read-only replica of it, both on
    loopback, replicating from an empty start; the fixtures loaded on the
    primary only."""
    primary = MariaDB(os.path.join(workdir, "db-primary"), extra_args=[
        "--server-id=1", "--log-bin=" + os.path.join(workdir, "db-primary", "binlog"),
        "--binlog-format=ROW", "--log-bin-trust-function-creators=1"])
    replica = MariaDB(os.path.join(workdir, "db-replica"), extra_args=[
        "--server-id=2", "--read-only=1"])
    primary.start()
    replica.start()
    try:
        primary.query("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY %s", (REPL_PASSWORD,))
        primary.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
        log_file, position = primary.query("SHOW MASTER STATUS")[0][:2]
        replica.query("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, "
                      "MASTER_USER='repl', MASTER_PASSWORD='%s', MASTER_LOG_FILE='%s', "
                      "MASTER_LOG_POS=%d" % (primary.port, REPL_PASSWORD, log_file, position))
        replica.query("START SLAVE")
        fixtures.load_migrated(primary, DB)
        version = len(fixtures.migrations("up"))
        wait_for(lambda: replica.query(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'mailroute_schema_version'", (DB,))[0][0] == 1 and
            replica.query("SELECT MAX(version) FROM %s.mailroute_schema_version" % DB)[0][0]
            == version, "the replica to catch up")
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


def test_replica_takes_over_with_the_primary_s_latest_data(workdir, replicated):
    """A password changed on the primary reaches the replica; the primary
    stops; every lookup and login is answered by the replica with the new
    data, none fails; the primary starts again and is used again."""
    primary, replica = replicated
    state = os.path.join(workdir, "replica.state")
    config = write_config(workdir, "replicated", primary, [primary.port, replica.port],
                          db_retry_interval="60", db_host_state_file=state)
    new_password = "changed on the primary"
    new_hash = fixtures.django_hashers().make_password(new_password, hasher="pbkdf2_sha256")
    john = "SELECT password FROM auth_user WHERE username = 'john@example.com'"
    primary.query("UPDATE auth_user SET password = %s WHERE username = 'john@example.com'",
                  (new_hash,), db=DB)
    wait_for(lambda: replica.query(john, db=DB)[0][0] == new_hash, "the change on the replica")
    primary.stop()
    try:
        for run in range(3):
            out = lookup(config)
            assert out.returncode == 0, out
            login = checkpassword.run(config, "john@example.com", new_password)
            assert login.status == 0, login
            old = checkpassword.run(config, "john@example.com", pw("john@example.com"))
            assert old.status == 1, old  # the replica has the change
        with open(state) as f:
            assert "127.0.0.1 %d " % primary.port in f.read()
    finally:
        primary.start()
    with open(state, "w") as f:  # the retry interval is over
        f.write("127.0.0.1 %d %d\n" % (primary.port, int(time.time()) - 1))
    back = lookup(config)
    assert back.returncode == 0 and "database host 127.0.0.1:%d is back" % primary.port \
        in back.stderr, back


def test_worker_fails_over_under_load(workdir, mariadb, migrated_db, second_server):
    """Four clients look users up without pause through Dovecot (the
    module's auth workers) while the first host dies under them: no
    lookup fails beyond the ones in flight at that moment, none is
    answered "unknown user", and every lookup after it succeeds."""
    import threading
    primary = relay.Relay(mariadb.port)
    dovecot = module_dovecot(workdir, "load", mariadb, [primary.port, second_server.port],
                             db_retry_interval="60")
    results = []  # (after the kill, exit status)
    killed = threading.Event()
    stop = threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            after = killed.is_set()
            out = dovecot.doveadm("user", "john+c%d-%d@example.net" % (n, i))
            results.append((after, out.returncode))
            i += 1
    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        wait_for(lambda: len(results) >= 20, "lookups before the kill")
        primary.close()
        killed.set()
        count = len(results)
        wait_for(lambda: len(results) >= count + 40, "lookups after the kill")
        stop.set()
        for t in threads:
            t.join()
    finally:
        stop.set()
        dovecot.stop()
        primary.close()
    failed = [status for _, status in results if status != 0]
    print("%d lookups, %d after the kill, %d failed" % (
        len(results), sum(1 for after, _ in results if after), len(failed)))
    assert len(failed) <= len(threads), failed  # at most the ones in flight
    assert all(status == 0 for after, status in results[-20:]), results[-20:]
    assert 67 not in failed  # EX_NOUSER: never "unknown user"
