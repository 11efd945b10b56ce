#!/usr/bin/python3
"""MariaDB's own CPU per address lookup: the module's lookup as it runs
now (groups read by a statement of their own, only for an account marked
in mailroute_grouped_account, migration 0014), the same with the tenant
read by a join instead of a subquery, the statement before
migration 0011 (no groups, no tenant), the statement of 0011 to 0013
(every row's groups and tenant by subqueries) and the groups read in the
lookup for marked rows alone (a CASE around the subquery) or as a joined
derived table, in one run on one
database, apart from the client and the network (issue 25, item 3).

The statement is the one the programs prepare, taken from MariaDB's
general log while `mailroute-auth lookup` runs; the others are made from
it. Each is prepared on the server (PREPARE / EXECUTE) and executed for
the same random canonical, alias and `+detail` addresses of the scale
data (tests/lib/mrtest/scale.py: every tenth account is in a group). CPU
and busy time come from MariaDB's user statistics (userstat); they
include one SET and the EXECUTE per lookup, the same for every variant.
Handler reads per lookup from the session's status.

    bench/lookup_cost.py [--accounts 1000000] [--lookups 20000] [--rounds 3]
"""
import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))

from mrtest import fixtures, scale  # noqa: E402
from mrtest.mariadb import MariaDB  # noqa: E402
from mrtest.paths import ADMIN_CLI, SOURCE_DIR  # noqa: E402

RESULTS_DIR = os.path.join(SOURCE_DIR, "bench", "results")
GROUPED = "grouped_account_id IS NOT NULL AS grouped"
GROUPED_JOIN = " LEFT JOIN mailroute_grouped_account ON grouped_account_id = account_id"
TENANT = ("(SELECT CAST(d.customer_id AS CHAR) FROM amavisd_domain d"
          " WHERE d.id = domain_id) AS tenant")
# the tenant read by a join of the domain instead of a subquery per row
# (the view's columns are not qualified here: the test schema's
# amavisd_domain shares none of their names)
TENANT_JOINED = "CAST(tenant_domain.customer_id AS CHAR) AS tenant"
TENANT_JOIN = " JOIN amavisd_domain tenant_domain ON tenant_domain.id = domain_id"
# migrations 0011 to 0013: every row's groups by a subquery
SUBQUERY_GROUPS = ("(SELECT CONCAT(COUNT(*), ':', GROUP_CONCAT(acl_group ORDER BY acl_group"
                   " SEPARATOR ',')) FROM mailroute_account_group"
                   " WHERE member_account_id = account_id) AS acl_groups")
# the groups in the lookup itself, read only for a row whose account is
# marked: CASE evaluates its subquery for the branch taken alone
MARKED_GROUPS = ("CASE WHEN grouped_account_id IS NOT NULL THEN "
                 + SUBQUERY_GROUPS.replace(" AS acl_groups", "") + " END AS grouped")
# the groups joined as a derived table grouped by member: MariaDB's
# split-materialized plan reads it for the joined account alone
DERIVED_GROUPS_JOIN = (" LEFT JOIN (SELECT member_account_id, CONCAT(COUNT(*), ':',"
                       " GROUP_CONCAT(acl_group ORDER BY acl_group SEPARATOR ','))"
                       " AS acl_groups FROM mailroute_account_group"
                       " GROUP BY member_account_id) g"
                       " ON g.member_account_id = account_id")
SLOTS = 8


def module_statement(server, db, config, work):
    """The lookup statement as mailroute-auth prepares it."""
    log = os.path.join(work, "general.log")
    server.query("SET GLOBAL general_log_file = %s", (log,))
    server.query("SET GLOBAL general_log = 1")
    subprocess.run([ADMIN_CLI, "-c", config, "lookup", scale.addresses(1)["canonical"]],
                   capture_output=True, check=False)
    server.query("SET GLOBAL general_log = 0")
    with open(log) as f:
        for line in f:
            if "Prepare\t" in line and "login_localpart IN" in line:
                return line.split("Prepare\t", 1)[1].strip()
    raise RuntimeError("the lookup statement is not in the general log")


def candidates(localpart):
    """The localparts the module asks for (SPEC 3: exact, then cut at the
    first '+'), every slot filled."""
    names = [localpart]
    if "+" in localpart:
        names.append(localpart.split("+", 1)[0])
    return names + [names[0]] * (SLOTS - len(names))


def handler_reads(cur):
    cur.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
    return sum(int(value) for _, value in cur.fetchall())


def cpu_and_busy(cur):
    cur.execute("SELECT CPU_TIME, BUSY_TIME FROM information_schema.USER_STATISTICS"
                " WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
    cpu, busy = cur.fetchone()
    return float(cpu), float(busy)


def replaced(statement, changes):
    """statement with each (old, new) replaced, every old present."""
    for old, new in changes:
        assert old in statement, "the lookup statement changed: %r" % old
        statement = statement.replace(old, new)
    return statement


# the groups of the chosen account, as the module reads them
ACCOUNT_GROUPS = ("SELECT CONCAT(COUNT(*), ':', GROUP_CONCAT(acl_group ORDER BY acl_group"
                  " SEPARATOR ',')) FROM mailroute_account_group"
                  " WHERE member_account_id = ?")
# where the lookup statement has the account id and the grouped mark
ACCOUNT_ID_COLUMN, GROUPED_COLUMN = 3, 14


def measure(cur, statement, addresses, then_groups=False):
    """(CPU us, busy us, handler reads) per lookup; then_groups: the
    found account's groups read by ACCOUNT_GROUPS after it when it is
    marked grouped, as the module does."""
    cur.execute("PREPARE lookup FROM %s", (statement,))
    cur.execute("PREPARE groups_of FROM %s", (ACCOUNT_GROUPS,))
    using = ", ".join(["@c%d" % i for i in range(SLOTS)] + ["@d"]
                      + ["@c%d" % i for i in range(SLOTS)] + ["@d"])
    reads_before = handler_reads(cur)
    cpu_before, busy_before = cpu_and_busy(cur)
    for address in addresses:
        localpart, domain = address.rsplit("@", 1)
        names = candidates(localpart)
        cur.execute("SET " + ", ".join("@c%d = %%s" % i for i in range(SLOTS)) + ", @d = %s",
                    names + [domain])
        cur.execute("EXECUTE lookup USING " + using)
        found = cur.fetchall()
        if then_groups and found and found[0][GROUPED_COLUMN]:
            cur.execute("SET @a = %s", (found[0][ACCOUNT_ID_COLUMN],))
            cur.execute("EXECUTE groups_of USING @a")
            cur.fetchall()
    cpu, busy = cpu_and_busy(cur)
    reads = handler_reads(cur) - reads_before
    cur.execute("DEALLOCATE PREPARE lookup")
    cur.execute("DEALLOCATE PREPARE groups_of")
    n = len(addresses)
    return (cpu - cpu_before) / n * 1e6, (busy - busy_before) / n * 1e6, reads / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", default=RESULTS_DIR)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mailroute-lookup-cost-")
    os.chmod(work, 0o755)
    server = MariaDB(os.path.join(work, "mariadb"), buffer_pool="2G")
    server.start()
    rows = []
    try:
        started = time.monotonic()
        scale.load(server, "cost", args.accounts)
        print("# %d accounts loaded in %.0f s" % (args.accounts, time.monotonic() - started),
              flush=True)
        config = fixtures.write_config(os.path.join(work, "mailroute-auth.conf"), server, "cost")
        statement = module_statement(server, "cost", config, work)
        # (statement, then the found account's groups by a statement of their own)
        variants = {
            "module": (statement, True),
            # ablations: what the lookup costs without each of its parts
            "module without the members' statement": (statement, False),
            "module without the tenant": (replaced(statement, [
                (TENANT, "'' AS tenant")]), True),
            "module without the mark (nor the members' statement)": (replaced(statement, [
                (GROUPED, "0 AS grouped"), (GROUPED_JOIN, "")]), False),
            "the tenant by a join": (replaced(statement, [
                (TENANT, TENANT_JOINED), (GROUPED_JOIN, GROUPED_JOIN + TENANT_JOIN)]), True),
            "before 0011 (no groups, no tenant)": (replaced(statement, [
                (GROUPED, "NULL AS acl_groups"), (GROUPED_JOIN, ""),
                (TENANT, "'' AS tenant")]), False),
            "marked rows' groups in the lookup (CASE)": (replaced(statement, [
                (GROUPED, MARKED_GROUPS)]), False),
            "groups as a derived table joined (split-materialized)": (replaced(statement, [
                (GROUPED, "g.acl_groups AS grouped"), (GROUPED_JOIN, DERIVED_GROUPS_JOIN)]),
                False),
            "0011 to 0013 (every row's groups and tenant by subqueries)": (replaced(
                statement, [(GROUPED, SUBQUERY_GROUPS), (GROUPED_JOIN, "")]), False),
        }
        rng = random.Random(args.accounts)
        addresses = [scale.addresses(rng.randrange(1, args.accounts + 1))[kind]
                     for _ in range(args.lookups // 3)
                     for kind in ("canonical", "alias", "detail")]
        server.query("SET GLOBAL userstat = 1")
        conn = server.connect("cost")
        cur = conn.cursor()
        print("# round\tvariant\tcpu_us\tbusy_us\thandler_reads")
        for round_no in range(1, args.rounds + 1):
            for name, (text, then_groups) in variants.items():
                cpu, busy, reads = measure(cur, text, addresses, then_groups)
                row = dict(accounts=args.accounts, round=round_no, variant=name,
                           cpu_us=round(cpu, 1), busy_us=round(busy, 1),
                           handler_reads=round(reads, 2))
                rows.append(row)
                print("%d\t%s\t%.1f\t%.1f\t%.2f" % (round_no, name, cpu, busy, reads),
                      flush=True)
        conn.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, "lookup-cost-%s.csv" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("# wrote " + path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
