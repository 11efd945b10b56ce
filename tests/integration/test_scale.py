"""Every statement the programs really send stays index-driven as the
server runs it (SPEC 2.2, 8): the real programs (the admin CLI,
mailroute-checkpassword in both modes, the Dovecot module through doveadm,
Dovecot's stock sql driver with the shipped include) and every Stalwart
query as a server-side prepared statement with one bound value, against
10,000 and 100,000 accounts, counting the server's Handler_read_* around
each lookup. A statement that scans a view or a table reads tens of
thousands of rows here and ten times more at the larger size; an
index-driven one reads the same few dozen at both.

EXPLAIN of hand-written literal SQL is no evidence: MariaDB pushes literal
values into a UNION view and bound parameters not."""
import os
import re
import subprocess

import pytest

from mrtest import checkpassword, fixtures, scale, stalwart
from mrtest.dovecot import Dovecot
from mrtest.dovecot_conf import module_auth, sql_auth
from mrtest.dovecot_modules import install_auth_modules
from mrtest.paths import ADMIN_CLI, SOURCE_DIR

SIZES = (10_000, 100_000)
# Reading one account through the indexes touches a few dozen entries
# (a few hundred for Stalwart's emails query with its temporary table).
MAX_READS = 200
MAX_STALWART_READS = 1000
# the larger database may cost at most this much more per lookup
MAX_GROWTH = 1.1


def handler_reads(conn):
    cur = conn.cursor()
    cur.execute("SHOW GLOBAL STATUS LIKE 'Handler_read%'")
    return sum(int(value) for _, value in cur.fetchall())


class ReadCounter:
    """Handler_read_* deltas of the whole server (the harness's private
    one: nothing else runs on it meanwhile), less what reading the
    counters costs."""

    def __init__(self, server):
        self.conn = server.connect()
        samples = []
        for _ in range(3):
            before = handler_reads(self.conn)
            samples.append(handler_reads(self.conn) - before)
        self.overhead = min(samples)

    def count(self, action):
        before = handler_reads(self.conn)
        result = action()
        return handler_reads(self.conn) - before - self.overhead, result

    def close(self):
        self.conn.close()


class Site:
    """One scale database with everything that reads it."""

    def __init__(self, workdir, server, accounts):
        self.accounts = accounts
        self.db = "scale_%d" % accounts
        self.root = os.path.join(workdir, self.db)
        os.makedirs(self.root)
        os.chmod(self.root, 0o755)
        scale.load(server, self.db, accounts)
        stalwart.create_user(server, self.db, "127.0.0.1")
        self.config = fixtures.write_config(os.path.join(self.root, "mailroute-auth.conf"),
                                            server, self.db)
        self.module = Dovecot(os.path.join(self.root, "module"), module_auth(self.config))
        self.sql = Dovecot(os.path.join(self.root, "sql"),
                           sql_auth(os.path.join(self.root, "dovecot-sql.conf.ext"), server,
                                    self.db, "/nonexistent/mail", "/nonexistent/index"))
        self.stalwart = stalwart.Directory(server, self.db)
        self.addresses = scale.addresses(accounts // 2 + 3)

    def start(self):
        for dovecot in (self.module, self.sql):
            dovecot.start()
            # the first request starts an auth worker and connects: not a
            # lookup's cost
            dovecot.doveadm("user", "warm-up@invalid.example")

    def stop(self):
        self.stalwart.close()
        for dovecot in (self.module, self.sql):
            dovecot.stop()


def run_cli(site, address):
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "lookup", address],
                         capture_output=True, text=True)
    return out.returncode, out.stdout


def run_checkpassword_passdb(site, address):
    result = checkpassword.run(site.config, address, scale.PLAIN_PASSWORD)
    return result.status, result.fields.get("user")


def run_checkpassword_userdb(site, address):
    result = checkpassword.run(site.config, address, userdb=True)
    return result.status, result.fields.get("userdb_user")


def doveadm_user(dovecot):
    def run(site, address):
        out = dovecot(site).doveadm("user", address)
        fields = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
        # doveadm shows `user` only where it differs from the name asked
        return out.returncode, fields.get("user", address) if out.returncode == 0 else None
    return run


def doveadm_auth_test(dovecot):
    def run(site, address):
        out = dovecot(site).doveadm("auth", "test", "-x", "service=imap", address,
                                    scale.PLAIN_PASSWORD)
        return out.returncode, out.stdout.strip()
    return run


def module(site):
    return site.module


def sql(site):
    return site.sql


# program -> (how to run it, the answer's status for a found and an
# unknown address)
PROGRAMS = {
    "cli-lookup": (run_cli, 0, 1),
    "checkpassword-passdb": (run_checkpassword_passdb, 0, 1),
    "checkpassword-userdb": (run_checkpassword_userdb, 2, 3),
    "module-doveadm-user": (doveadm_user(module), 0, 67),
    "module-doveadm-auth-test": (doveadm_auth_test(module), 0, 77),
    "sql-doveadm-user": (doveadm_user(sql), 0, 67),
    "sql-doveadm-auth-test": (doveadm_auth_test(sql), 0, 77),
}
# passdb logins take the exact localpart only: a detail address is not a
# login name
LOGIN_PROGRAMS = {"checkpassword-passdb", "module-doveadm-auth-test", "sql-doveadm-auth-test"}
KINDS = ("canonical", "alias", "detail", "unknown")


def list_with_doveadm(site):
    out = site.module.doveadm("user", "*")
    return out.returncode, len(out.stdout.split())


def list_stalwart_lists(site):
    """mailroute-auth stalwart-lists: every list, one JSON object a line,
    read a page of list ids at a time (one statement for all 10,000 lists
    at 100,000 accounts ran 5 s and was cut by db_read_timeout, 5 here)."""
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "stalwart-lists"],
                         capture_output=True, text=True)
    return out.returncode, len(out.stdout.splitlines())


def quota_report(site, domain):
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "quota", domain],
                         capture_output=True, text=True)
    return out.returncode, re.findall(r"^user\t(\S+)", out.stdout, re.M)


def list_with_census(site):
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "hash-census"],
                         capture_output=True, text=True)
    # the per-format table: format, accounts, may log in, Stalwart verifies
    table = [line.split("\t") for line in out.stdout.splitlines()
             if not line.startswith("#") and line.count("\t") == 3]
    return out.returncode, sum(int(row[1]) for row in table)


def first_name_then_stop(site):
    """The module's listing stopped after the first name (mailroute-auth
    users 1: the same iterator): what the server did for it must be one
    page, not a sort of every account. (Dovecot 2.3 itself cannot stop a
    worker's listing: an abandoned doveadm user '*' is drained to the
    end, userdb-blocking.c.)"""
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "users", "1"],
                         capture_output=True, text=True)
    return out.returncode, out.stdout.strip()


# one page of names (1,000 alias rows) costs about 15,000 reads
MAX_READS_FIRST_PAGE = 30_000

# Listing every user (doveadm -A, dsync, hash-census) or every list is
# linear by nature: what must not grow is the cost per item listed.
# name -> (how to run it, accounts per item listed, most reads per item)
LISTINGS = {
    "module-doveadm-user-all": (list_with_doveadm, 1, 30),
    "cli-hash-census": (list_with_census, 1, 30),
    # every domain has one list (team@ on two names, ten members and an
    # external one, every tenth also the list before): about 370 reads
    "cli-stalwart-lists": (list_stalwart_lists, scale.ACCOUNTS_PER_DOMAIN, 500),
}

STALWART_QUERIES = stalwart.all_queries()


# Postfix asks its virtual_alias_maps about every recipient, lists or not:
# the shipped map's query as Postfix sends it (%u and %d quoted in).
with open(os.path.join(SOURCE_DIR, "conf.d", "postfix", "mailroute-lists.cf")) as _f:
    _map = _f.read()
POSTFIX_LIST_QUERY = re.search(r"^query = (.*?)(?=^\S|\Z)", _map, re.M | re.S).group(1)
LIST_KINDS = ("list", "account")


def postfix_list_query(address):
    localpart, domain = address.rsplit("@", 1)
    return " ".join(POSTFIX_LIST_QUERY.replace("%u", localpart).replace("%d", domain).split())


def run_cli_list(site, address):
    out = subprocess.run([ADMIN_CLI, "-c", site.config, "list", address],
                         capture_output=True, text=True)
    return out.returncode, out.stdout


def list_addresses(accounts):
    account = accounts // 2 + 3
    return {"list": scale.list_address(account), "account": scale.addresses(account)["canonical"]}


BASE_TABLES = ("amavisd_customer", "amavisd_domain", "amavisd_domainalias", "amavisd_emailaccount",
               "amavisd_localpartalias", "amavisd_policy", "auth_user")


# the migrations hosted mail added (lists, quota usage, shared-folder
# groups, Stalwart's lists): down and up again at scale
ROUND_TRIP_FROM = "0009"


def round_trip_newest_migrations(server, db):
    """Down (newest first) then up on the scale database: the tables they
    do not own unchanged, their own gone and back (empty: down drops the
    lists, the usage and the groups)."""
    def checksums():
        return server.query("CHECKSUM TABLE %s" % ", ".join(BASE_TABLES), db=db)

    def run(direction):
        results = [server.run_file(path, db) for path in fixtures.migrations(direction)
                   if os.path.basename(path) >= ROUND_TRIP_FROM]
        return [code if code == 0 else (code, err[-500:]) for code, out, err in results]
    before = checksums()
    down = run("down")
    after_down = checksums()
    gone = server.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s"
                        " AND (table_name LIKE 'mailroute\\_list%%'"
                        " OR table_name LIKE 'mailroute\\_quota%%'"
                        " OR table_name LIKE 'mailroute\\_group%%'"
                        " OR table_name = 'mailroute_account_group')", (db,))[0][0]
    up = run("up")
    lists = server.query("SELECT COUNT(*) FROM mailroute_list_expansion", db=db)[0][0]
    usage = server.query("SELECT COUNT(*) FROM mailroute_quota_usage", db=db)[0][0]
    groups = server.query("SELECT COUNT(*) FROM mailroute_account_group", db=db)[0][0]
    return {"down": down, "up": up, "unchanged": before == after_down == checksums(),
            "gone": gone, "rows after up": lists + usage + groups}


def stalwart_value(key, address):
    return address.rsplit("@", 1)[1] if key == "domains" else address


@pytest.fixture(scope="module")
def measured(workdir, mariadb):
    """reads[(program, kind, accounts)] and answers[...], every program
    and Stalwart query against both sizes."""
    install_auth_modules()
    counter = ReadCounter(mariadb)
    reads, answers = {}, {}
    sites = []
    try:
        for accounts in SIZES:
            site = Site(workdir, mariadb, accounts)
            sites.append(site)
            site.start()
            answers[("check-config", accounts)] = subprocess.run(
                [ADMIN_CLI, "-c", site.config, "check-config"], capture_output=True, text=True)
            for name, (run, _, _) in PROGRAMS.items():
                for kind in KINDS:
                    n, answer = counter.count(lambda: run(site, site.addresses[kind]))
                    reads[(name, kind, accounts)] = n
                    answers[(name, kind, accounts)] = answer
            n, answer = counter.count(lambda: first_name_then_stop(site))
            reads[("first-name", accounts)] = n
            answers[("first-name", accounts)] = answer
            for name, (run, _, _) in LISTINGS.items():
                n, answer = counter.count(lambda: run(site))
                reads[(name, accounts)] = n
                answers[(name, accounts)] = answer
            domain = "alias%d.example" % scale.domain_of(accounts // 2 + 3)
            n, answer = counter.count(lambda: quota_report(site, domain))
            reads[("cli-quota", accounts)] = n
            answers[("cli-quota", accounts)] = answer
            for source, key, query in STALWART_QUERIES:
                cur = site.stalwart.conn.cursor()
                cur.execute("PREPARE scale_query FROM %s", (query,))
                for kind in KINDS:
                    cur.execute("SET @v = %s", (stalwart_value(key, site.addresses[kind]),))

                    def execute():
                        cur.execute("EXECUTE scale_query USING @v")
                        return cur.fetchall()
                    # once before counting: the first call of a stored
                    # function on a connection reads it from mysql.proc
                    # (about 60 reads); Stalwart's pooled connections
                    # have it cached
                    execute()
                    n, rows = counter.count(execute)
                    reads[("stalwart-%s-%s" % (source, key), kind, accounts)] = n
                    answers[("stalwart-%s-%s" % (source, key), kind, accounts)] = rows
            # the map's reads, on a connection of its own
            map_conn = mariadb.connect(db=site.db)
            cur = map_conn.cursor()
            for kind, address in list_addresses(accounts).items():
                n, answer = counter.count(lambda: run_cli_list(site, address))
                reads[("cli-list", kind, accounts)] = n
                answers[("cli-list", kind, accounts)] = answer

                def postfix_lookup():
                    cur.execute(postfix_list_query(address))
                    return cur.fetchall()
                postfix_lookup()
                n, rows = counter.count(postfix_lookup)
                reads[("postfix-list-map", kind, accounts)] = n
                answers[("postfix-list-map", kind, accounts)] = rows
            map_conn.close()
            answers[("round-trip", accounts)] = round_trip_newest_migrations(mariadb, site.db)
        yield reads, answers
    finally:
        counter.close()
        for site in sites:
            site.stop()
            mariadb.query("DROP DATABASE %s" % site.db)


def report(reads, program, kinds=KINDS):
    return " ".join("%s:%s" % (kind, "/".join(str(reads[(program, kind, a)]) for a in SIZES))
                    for kind in kinds)


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_program_is_index_driven(measured, program):
    reads, answers = measured
    print("%s handler reads at %s accounts: %s" % (
        program, "/".join(str(a) for a in SIZES), report(reads, program)))
    _, found_status, unknown_status = PROGRAMS[program]
    for kind in KINDS:
        if kind == "detail" and program in LOGIN_PROGRAMS:
            expected = unknown_status
        else:
            expected = unknown_status if kind == "unknown" else found_status
        for accounts in SIZES:
            status, answer = answers[(program, kind, accounts)]
            assert status == expected, (program, kind, accounts, status, answer)
            n = reads[(program, kind, accounts)]
            assert n < MAX_READS, (program, kind, accounts, n)
        small, large = (reads[(program, kind, a)] for a in SIZES)
        assert large <= max(small * MAX_GROWTH, small + 2), (program, kind, small, large)


def test_found_user_is_the_canonical_user(measured):
    reads, answers = measured
    account = SIZES[-1] // 2 + 3
    canonical = scale.addresses(account)["canonical"]
    for kind in ("canonical", "alias", "detail"):
        assert answers[("module-doveadm-user", kind, SIZES[-1])][1] == canonical, kind
        assert answers[("checkpassword-userdb", kind, SIZES[-1])][1] == canonical, kind


@pytest.mark.parametrize("source,key,query", [pytest.param(*q, id="%s-%s" % q[:2])
                                              for q in STALWART_QUERIES])
def test_stalwart_query_is_index_driven(measured, source, key, query):
    reads, _ = measured
    program = "stalwart-%s-%s" % (source, key)
    print("%s handler reads at %s accounts: %s" % (
        program, "/".join(str(a) for a in SIZES), report(reads, program)))
    for kind in KINDS:
        for accounts in SIZES:
            assert reads[(program, kind, accounts)] < MAX_STALWART_READS, (program, kind, accounts)
        small, large = (reads[(program, kind, a)] for a in SIZES)
        assert large <= max(small * MAX_GROWTH, small + 2), (program, kind, small, large)


@pytest.mark.parametrize("program", ["cli-list", "postfix-list-map"])
def test_list_lookup_is_index_driven(measured, program):
    """mailroute-auth list and the Postfix map, for a list address and for
    an account's (Postfix asks the map about every recipient)."""
    reads, answers = measured
    print("%s handler reads at %s accounts: %s" % (
        program, "/".join(str(a) for a in SIZES), report(reads, program, LIST_KINDS)))
    for accounts in SIZES:
        account = accounts // 2 + 3
        domain = scale.domain_of(account)
        members = {"user%d@dom%d.example" % (n, domain)
                   for n in range((domain - 1) * 10 + 1, domain * 10 + 1)}
        members.add("partner%d@outside.example" % domain)
        if domain % 10 == 0:
            members |= {"user%d@dom%d.example" % (n, domain - 1)
                        for n in range((domain - 2) * 10 + 1, (domain - 1) * 10 + 1)}
            members.add("partner%d@outside.example" % (domain - 1))
        if program == "cli-list":
            status, out = answers[(program, "list", accounts)]
            assert status == 0, out
            assert set(re.findall(r"^member\t(\S+)", out, re.M)) == members
            assert answers[(program, "account", accounts)][0] == 1
        else:
            assert {row[0] for row in answers[(program, "list", accounts)]} == members
            assert answers[(program, "account", accounts)] == ()
        for kind in LIST_KINDS:
            assert reads[(program, kind, accounts)] < MAX_READS, (kind, accounts)
    for kind in LIST_KINDS:
        small, large = (reads[(program, kind, a)] for a in SIZES)
        assert large <= max(small * MAX_GROWTH, small + 2), (kind, small, large)


def test_newest_migrations_round_trip_at_scale(measured):
    _, answers = measured
    for accounts in SIZES:
        result = answers[("round-trip", accounts)]
        zeros = [0] * len([path for path in fixtures.migrations("up")
                           if os.path.basename(path) >= ROUND_TRIP_FROM])
        assert result == {"down": zeros, "up": zeros, "unchanged": True, "gone": 0,
                          "rows after up": 0}, (accounts, result)


def test_check_config_shows_the_index_plan(measured):
    """check-config prints the plan of the lookup statement as the programs
    send it (prepared, values bound): every table read through an index."""
    _, answers = measured
    out = answers[("check-config", SIZES[-1])]
    assert out.returncode == 0, out.stderr
    plan = [dict(field.split("=", 1) for field in line.split("\t")[1:])
            for line in out.stdout.splitlines() if line.startswith("plan\t")]
    print("\n".join(str(step) for step in plan))
    tables = {step["table"] for step in plan}
    assert {"la", "da"} <= tables, plan
    for step in plan:
        if step["table"].startswith("<union"):
            continue
        assert step["type"] not in ("ALL", "index"), step
        assert int(step["rows"]) < 100, step


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_listing_costs_the_same_per_item(measured, listing):
    reads, answers = measured
    _, accounts_per_item, max_reads_per_item = LISTINGS[listing]
    per_item = {}
    for accounts in SIZES:
        status, listed = answers[(listing, accounts)]
        assert status == 0 and listed == accounts // accounts_per_item, (
            listing, accounts, status, listed)
        per_item[accounts] = reads[(listing, accounts)] / listed
    print("%s handler reads per listed item at %s accounts: %s" % (
        listing, "/".join(str(a) for a in SIZES),
        "/".join("%.1f" % per_item[a] for a in SIZES)))
    small, large = (per_item[a] for a in SIZES)
    assert large < max_reads_per_item, (listing, per_item)
    assert large <= small * MAX_GROWTH, (listing, per_item)


def test_abandoned_listing_costs_one_page(measured):
    reads, answers = measured
    counts = [reads[("first-name", a)] for a in SIZES]
    print("handler reads for the first name of the listing, then stop: %s" %
          "/".join(str(n) for n in counts))
    for accounts, n in zip(SIZES, counts):
        status, first = answers[("first-name", accounts)]
        assert status == 0 and first == "user1@dom1.example", (accounts, first)
        assert n < MAX_READS_FIRST_PAGE, (accounts, n)
    assert counts[1] <= max(counts[0] * MAX_GROWTH, counts[0] + 100), counts


def test_quota_report_reads_one_domain(measured):
    """mailroute-auth quota DOMAIN (by an alias name of the domain) reads
    the domain's ten users, not the database."""
    reads, answers = measured
    counts = [reads[("cli-quota", a)] for a in SIZES]
    print("cli-quota handler reads for one domain at %s accounts: %s" % (
        "/".join(str(a) for a in SIZES), "/".join(str(n) for n in counts)))
    for accounts in SIZES:
        domain = scale.domain_of(accounts // 2 + 3)
        status, users = answers[("cli-quota", accounts)]
        expected = ["user%d@dom%d.example" % (n, domain)
                    for n in range((domain - 1) * 10 + 1, domain * 10 + 1)]
        assert status == 0 and sorted(users) == sorted(expected), (accounts, users)
    assert counts[-1] < MAX_READS * scale.ACCOUNTS_PER_DOMAIN, counts
    assert counts[1] <= max(counts[0] * MAX_GROWTH, counts[0] + 2), counts
