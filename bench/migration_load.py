"""Migration 0001 on a production-sized database under a read/write load
(issue 14): what the load's queries pay while it runs.

A private MariaDB (loopback, a temporary directory) with the pre-migration
schema at N accounts (default 1,000,000): one policy per domain and one
per account (1.1 M policy rows), 2.1 M localpart aliases, temporary_hosted
for every domain. Four clients run amavisd-like work without pause:
policy lookups by account and by domain (reads), a policy update and an
alias insert + delete (writes), each timed. Phases, each measured:

  baseline    the load alone
  migration   the load while sql/migrations/0001 up runs
  blocked     the load while 0001 up runs behind a transaction that holds
              amavisd_policy's metadata lock (a long amavisd read), for
              this tree's 0001 and, for comparison, the 0001 of a commit
              before the online change (--old-commit): the old one waits
              for the transaction and every policy query queues behind it

Prints p50/p99/max per phase and p99 against the baseline's (the ratio),
and the migration's own duration. Never part of the test suite."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))

from mrtest import fixtures, scale  # noqa: E402
from mrtest.mariadb import MariaDB, _find  # noqa: E402
from mrtest.paths import SOURCE_DIR, SQL_DIR  # noqa: E402

DB = "migload"
UP = os.path.join(SQL_DIR, "migrations", "0001_policy_settings.up.sql")
DOWN = os.path.join(SQL_DIR, "migrations", "0001_policy_settings.down.sql")


def load(server, accounts):
    domains = accounts // 10
    server.create_database(DB)
    fixtures.load_reference(server, DB)
    statements = [
        "INSERT INTO amavisd_customer (id, name) VALUES (1, 'load')",
        "INSERT INTO amavisd_policy (id, policy_name, priority) SELECT seq,"
        " CONCAT('p', seq), 10 FROM seq_1_to_%d" % (domains + accounts),
        "INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id)"
        " SELECT seq, CONCAT('dom', seq, '.example'), LPAD(seq, 32, '0'), seq, 1"
        " FROM seq_1_to_%d" % domains,
        "INSERT INTO auth_user (id, username, password, is_active)"
        " SELECT seq, CONCAT('user', seq), '!', 1 FROM seq_1_to_%d" % accounts,
        "INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id)"
        " SELECT seq, LPAD(seq, 32, '0'), seq, CONCAT('user', seq), %d + seq"
        " FROM seq_1_to_%d" % (domains, accounts),
        "INSERT INTO temporary_hosted (domain_id, hosted, continuity, cont_storage_days,"
        " quota_mb) SELECT seq, seq %% 3 <> 0, seq %% 3 = 0, IF(seq %% 3 = 0, 30, NULL),"
        " IF(seq %% 3 = 1, 2048, NULL) FROM seq_1_to_%d" % domains,
    ] + scale.address_statements(accounts)
    scale.run_bulk(server, DB, statements)
    server.query("ANALYZE TABLE amavisd_policy, amavisd_domain, amavisd_emailaccount,"
                 " amavisd_localpartalias, amavisd_domainalias, temporary_hosted", db=DB)


class Load:
    """Clients doing amavisd-like reads and writes, each operation timed."""

    def __init__(self, server, accounts, clients=4):
        self.server = server
        self.accounts = accounts
        self.clients = clients
        self.samples = []
        self.lock = threading.Lock()
        self.running = False
        self.phase = None

    def _client(self, n):
        import random
        rng = random.Random(n)
        conn = self.server.connect(DB)
        cur = conn.cursor()
        domains = self.accounts // 10
        while self.running:
            account = rng.randint(1, self.accounts)
            kind = rng.choice(("read-account", "read-domain", "write-policy", "write-alias"))
            start = time.monotonic()
            if kind == "read-account":
                cur.execute("SELECT p.* FROM amavisd_localpartalias la"
                            " JOIN amavisd_emailaccount e ON e.id = la.email_account_id"
                            " JOIN amavisd_policy p ON p.id = e.policy_id"
                            " WHERE la.email_account_id = %s", (account,))
                cur.fetchall()
            elif kind == "read-domain":
                cur.execute("SELECT p.* FROM amavisd_domain d JOIN amavisd_policy p"
                            " ON p.id = d.policy_id WHERE d.id = %s",
                            (rng.randint(1, domains),))
                cur.fetchall()
            elif kind == "write-policy":
                cur.execute("UPDATE amavisd_policy SET priority = 10 WHERE id = %s",
                            (domains + account,))
            else:
                cur.execute("INSERT INTO amavisd_localpartalias (email_account_id, localpart,"
                            " domain_id) VALUES (%s, %s, %s)",
                            (account, "load%d" % n, (account - 1) // 10 + 1))
                cur.execute("DELETE FROM amavisd_localpartalias WHERE id = LAST_INSERT_ID()")
            elapsed = time.monotonic() - start
            with self.lock:
                self.samples.append((self.phase, kind, elapsed))
        conn.close()

    def start(self):
        self.running = True
        self.threads = [threading.Thread(target=self._client, args=(n,))
                        for n in range(self.clients)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join()


def run_sql(server, path_or_text):
    text = path_or_text
    if os.path.exists(path_or_text):
        with open(path_or_text) as f:
            text = f.read()
    start = time.monotonic()
    p = subprocess.run([_find("mariadb", "mysql"), "--no-defaults", "--batch",
                        "--socket=" + server.socket, "-uroot", DB],
                       input=text.encode(), capture_output=True)
    return p.returncode, time.monotonic() - start, p.stderr.decode(errors="replace").strip()


def behind_a_long_read(server, migration_text, hold_seconds):
    """Runs the migration while a transaction holds amavisd_policy's
    metadata lock for hold_seconds."""
    holder = server.connect(DB)
    holder.autocommit(False)
    cur = holder.cursor()
    cur.execute("SELECT COUNT(*) FROM amavisd_policy WHERE id < 10")
    cur.fetchall()
    release = threading.Timer(hold_seconds, holder.rollback)
    release.start()
    try:
        return run_sql(server, migration_text)
    finally:
        release.join()
        holder.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def report(load, phases, durations):
    base = [e for phase, _, e in load.samples if phase == "baseline"]
    base_p99 = percentile(base, 99)
    print("| phase | operations | p50 ms | p99 ms | max ms | p99 / baseline p99 | migration |")
    print("|---|---|---|---|---|---|---|")
    for phase in phases:
        values = [e for ph, _, e in load.samples if ph == phase]
        if not values:
            continue
        print("| %s | %d | %.2f | %.2f | %.1f | %.1f | %s |" % (
            phase, len(values), statistics.median(values) * 1000, percentile(values, 99) * 1000,
            max(values) * 1000, percentile(values, 99) / base_p99, durations.get(phase, "")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--hold", type=float, default=20,
                        help="seconds the long read holds the metadata lock")
    parser.add_argument("--old-commit", default="fef03f0",
                        help="a commit whose 0001 predates the online change")
    args = parser.parse_args()
    old_up = subprocess.run(["git", "-C", SOURCE_DIR, "show",
                             "%s:sql/migrations/0001_policy_settings.up.sql" % args.old_commit],
                            check=True, capture_output=True, text=True).stdout
    with open(UP) as f:
        new_up = f.read()
    root = tempfile.mkdtemp(prefix="mailroute-migload-")
    server = MariaDB(os.path.join(root, "db"), buffer_pool="1G")
    server.start()
    durations = {}
    try:
        print("# loading %d accounts" % args.accounts, flush=True)
        load(server, args.accounts)
        load_ = Load(server, args.accounts)
        load_.phase = "baseline"
        load_.start()
        time.sleep(args.seconds)
        load_.phase = "migration"
        code, took, err = run_sql(server, UP)
        durations["migration"] = "0001 up %.1f s, exit %d %s" % (took, code, err[:60])
        load_.phase = "after"
        time.sleep(args.seconds / 2)
        code, took, err = run_sql(server, DOWN)
        assert code == 0, err
        for name, text in (("blocked, this tree", new_up), ("blocked, " + args.old_commit, old_up)):
            load_.phase = name
            code, took, err = behind_a_long_read(server, text, args.hold)
            durations[name] = "0001 up %.1f s, exit %d %s" % (took, code, err[-60:])
            load_.phase = "after " + name
            time.sleep(2)
            run_sql(server, DOWN)
        load_.stop()
        report(load_, ["baseline", "migration", "after", "blocked, this tree",
                       "blocked, " + args.old_commit], durations)
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
