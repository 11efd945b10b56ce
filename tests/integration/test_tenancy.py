"""The tenant matrix (issue 24): three customers, and every path that
links accounts tried between each two of them, both ways. Customer 1
(Acme) has an alias domain (example.com answers as example.net),
customer 2 (Globex) a continuity domain (continuity30.org), customer 3
(Initech, added here) an alias domain of its own. Every cross-customer
path is refused: shared folders by user and by group over real IMAP,
group and list membership by account and by list in the database,
Postfix's list map and Stalwart's list outputs for a row written before
the rules, and the quota report of a domain."""
import json
import os
import subprocess

import MySQLdb
import pytest

from mrtest.dovecot_version import is_dovecot_24
from mrtest.mail_clients import IMAP
from mrtest.fixtures import django_hashers, fixture_password
from mrtest.paths import ADMIN_CLI, SOURCE_DIR

# customer -> (user, its group's ACL name, a list of it, a domain name of it)
CUSTOMERS = {
    1: ("alice@shared-a.com", "projects@shared-a.com", 1, "example.net"),
    2: ("both@both.net", "projects@continuity30.org", 4, "continuity30.org"),
    3: ("carol@initech.example", "team@initech.example", 930, "initech-alias.example"),
}
ACCOUNTS = {1: 116, 2: 110, 3: 930}
# a list of each customer that may be a member list (no lists in it)
MEMBER_LISTS = {1: 3, 2: 4, 3: 930}
PAIRS = [(a, b) for a in CUSTOMERS for b in CUSTOMERS if a != b]
PAIR_IDS = ["%d-to-%d" % pair for pair in PAIRS]
MODES = ["module"] if is_dovecot_24() else ["module", "sql"]


@pytest.fixture(scope="module")
def tenants(mariadb, migrated_db):
    """Customer 3 with a domain answering on two names, an account, a
    group and a list; the groups of customers 1 and 2; all removed
    afterwards."""
    q = lambda sql, params=None: mariadb.query(sql, params, db=migrated_db)  # noqa: E731
    password = django_hashers().make_password(fixture_password(CUSTOMERS[3][0]),
                                              hasher="pbkdf2_sha256")
    q("INSERT INTO amavisd_customer (id, name) VALUES (3, 'Initech')")
    q("INSERT INTO amavisd_policy (id, policy_name, priority, hosted_mail_enabled, quota_mb) "
      "VALUES (930, 'initech.example', 10, 1, 100), (931, 'carol', 20, NULL, NULL)")
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(930, 'initech.example', 'd0000000000000000000000000000930', 930, 3)")
    q("INSERT INTO amavisd_domainalias (id, domain_id, name) VALUES "
      "(930, 930, 'initech.example'), (931, 930, 'initech-alias.example')")
    q("INSERT INTO auth_user (id, username, password, is_active) "
      "VALUES (930, 'carol@initech.example', %s, 1)", (password,))
    q("INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id) VALUES "
      "(930, 'a0000000000000000000000000000930', 930, 'carol', 931)")
    q("INSERT INTO amavisd_localpartalias (id, email_account_id, localpart, domain_id) "
      "VALUES (9930, 930, 'carol', 930)")
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES "
      "(901, 11, 'projects'), (902, 3, 'projects'), (930, 930, 'team')")
    q("INSERT INTO mailroute_group_member (group_id, account_id) VALUES "
      "(901, 116), (902, 110), (930, 930)")
    q("INSERT INTO mailroute_list (id, domain_id, localpart) VALUES (930, 930, 'all')")
    q("INSERT INTO mailroute_list_member (id, list_id, account_id) VALUES (930, 930, 930)")
    yield q
    q("DELETE FROM mailroute_list WHERE id = 930")
    q("DELETE FROM mailroute_group WHERE id IN (901, 902, 930)")
    q("DELETE FROM mailroute_group_retired")
    q("DELETE FROM amavisd_localpartalias WHERE id = 9930")
    q("DELETE FROM amavisd_emailaccount WHERE id = 930")
    q("DELETE FROM auth_user WHERE id = 930")
    q("DELETE FROM amavisd_domainalias WHERE domain_id = 930")
    q("DELETE FROM amavisd_domain WHERE id = 930")
    q("DELETE FROM amavisd_policy WHERE id IN (930, 931)")
    q("DELETE FROM amavisd_customer WHERE id = 3")


# --- the database: membership across customers -------------------------------

@pytest.mark.parametrize("owner, other", PAIRS, ids=PAIR_IDS)
def test_group_member_of_another_customer_is_refused(tenants, owner, other):
    group = {1: 901, 2: 902, 3: 930}[owner]
    with pytest.raises(MySQLdb.OperationalError, match="is not of the customer of group"):
        tenants("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (%s, %s)",
                (group, ACCOUNTS[other]))


@pytest.mark.parametrize("owner, other", PAIRS, ids=PAIR_IDS)
def test_list_member_of_another_customer_is_refused(tenants, owner, other):
    lst, other_list = CUSTOMERS[owner][2], MEMBER_LISTS[other]
    with pytest.raises(MySQLdb.OperationalError, match="is not of the customer of list"):
        tenants("INSERT INTO mailroute_list_member (list_id, account_id) VALUES (%s, %s)",
                (lst, ACCOUNTS[other]))
    with pytest.raises(MySQLdb.OperationalError, match="belongs to another customer"):
        tenants("INSERT INTO mailroute_list_member (list_id, member_list_id) VALUES (%s, %s)",
                (lst, other_list))


@pytest.fixture
def older_cross_rows(mariadb, migrated_db, tenants):
    """Each list with the other customers' accounts as members, written
    before the trigger's rule (the trigger dropped a moment, then put
    back by running 0009 again)."""
    from mrtest.paths import SQL_DIR
    tenants("DROP TRIGGER mailroute_list_member_insert")
    try:
        for n, (owner, other) in enumerate(PAIRS):
            tenants("INSERT INTO mailroute_list_member (id, list_id, account_id) "
                    "VALUES (%s, %s, %s)", (940 + n, CUSTOMERS[owner][2], ACCOUNTS[other]))
    finally:
        code, _, err = mariadb.run_file(os.path.join(
            SQL_DIR, "migrations", "0009_distribution_lists.up.sql"), migrated_db)
        assert code == 0, err
    yield
    tenants("DELETE FROM mailroute_list_member WHERE id BETWEEN 940 AND 949")


# the primary domain of each customer's list
LIST_DOMAINS = {"example.com": 1, "continuity30.org": 2, "initech.example": 3}


def test_older_cross_rows_reach_no_reader(mariadb, migrated_db, config, tenants,
                                          older_cross_rows):
    """Postfix's map (mailroute_list_expansion) and stalwart-lists
    (0.10.7-0.15; 0.9's functions read the same view) give each list
    only its own customer's members."""
    for owner, (_, _, lst, _) in CUSTOMERS.items():
        members = {r[0] for r in mariadb.query(
            "SELECT account_id FROM mailroute_list_expansion WHERE list_id = %s "
            "AND member_kind = 'account'", (lst,), db=migrated_db)}
        others = {ACCOUNTS[o] for o in CUSTOMERS if o != owner}
        assert members and not members & others, (owner, members)
    out = subprocess.run([ADMIN_CLI, "-c", config, "stalwart-lists"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    for obj in map(json.loads, out.stdout.splitlines()):
        owner = LIST_DOMAINS[obj["name"].split("@")[1]]
        others = {CUSTOMERS[o][0] for o in CUSTOMERS if o != owner}
        assert not others & set(obj.get("members", [])), obj


# --- the quota report: one domain's users only --------------------------------

@pytest.mark.parametrize("customer", sorted(CUSTOMERS))
def test_quota_report_shows_one_customers_users(config, tenants, customer):
    out = subprocess.run([ADMIN_CLI, "-c", config, "quota", CUSTOMERS[customer][3]],
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    users = [line.split("\t")[1] for line in out.stdout.splitlines() if line.startswith("user\t")]
    others = {CUSTOMERS[o][0] for o in CUSTOMERS if o != customer}
    assert not others & set(users), users


# --- shared folders over IMAP, by user and by group ---------------------------

@pytest.fixture(scope="module", params=MODES)
def dovecot(request, workdir, mariadb, tenants):
    from test_shared_folders import DICT_PASSWORD, clear_shares, start_shared_host
    mariadb.run_template(os.path.join(SOURCE_DIR, "conf.d", "dovecot", "shared-mailbox-db-user.sql"),
                         "mailroute", {"@DOVECOT_HOST@": "localhost", "@PASSWORD@": DICT_PASSWORD})
    host = start_shared_host(os.path.join(workdir, "tenancy-" + request.param), mariadb,
                             "mailroute", request.param)
    yield host
    host.stop()
    clear_shares(mariadb, "mailroute")


def session(dovecot, user):
    conn = IMAP("127.0.0.1", dovecot.imap_port)
    conn.login(user, fixture_password(user))
    return conn


@pytest.fixture(scope="module")
def cross_grants(dovecot):
    """Each customer's user shares a folder with each other customer's
    user and group."""
    for owner, (user, _, _, _) in CUSTOMERS.items():
        conn = session(dovecot, user)
        try:
            for other, (other_user, other_group, _, _) in CUSTOMERS.items():
                if other == owner:
                    continue
                folder = "For-%d" % other
                if conn.create(folder)[0] == "OK":
                    conn.append(folder, None, None, b"Subject: secret\r\n\r\nsecret\r\n")
                for grantee in (other_user, "$" + other_group):
                    assert conn.setacl(folder, grantee, "lrs")[0] == "OK"
        finally:
            conn.logout()


@pytest.mark.parametrize("owner, other", PAIRS, ids=PAIR_IDS)
def test_shared_folder_of_another_customer_reaches_nothing(dovecot, cross_grants, owner, other):
    """The grant names the other customer's user and its group; that user
    (a member of that group) lists nothing of the owner's, and SELECT,
    EXAMINE and STATUS are refused (so no FETCH)."""
    owner_user, other_user = CUSTOMERS[owner][0], CUSTOMERS[other][0]
    mailbox = '"shared/%s/For-%d"' % (owner_user, other)
    conn = session(dovecot, other_user)
    try:
        status, lines = conn.list('""', '"shared/*"')
        assert status == "OK" and owner_user.encode() not in b"".join(l for l in lines if l)
        assert conn.select(mailbox, readonly=True)[0] == "NO"
        assert conn.select(mailbox)[0] == "NO"
        assert conn.status(mailbox, "(MESSAGES)")[0] == "NO"
        assert conn.noop()[0] == "OK"
    finally:
        conn.logout()


def test_moving_a_domain_to_another_customer_closes_its_shares(dovecot, tenants):
    """A sequence on a user grant: carol (customer 3) reads the folder
    dave of her customer shared with her; dave's domain moves to customer
    2, and after the auth cache flush (the operator's step) carol reads
    nothing of his; moved back, she reads it again."""
    q = tenants
    password = django_hashers().make_password(fixture_password("dave@initech-b.example"),
                                              hasher="pbkdf2_sha256")
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(931, 'initech-b.example', 'd0000000000000000000000000000931', 930, 3)")
    q("INSERT INTO amavisd_domainalias (id, domain_id, name) VALUES "
      "(932, 931, 'initech-b.example')")
    q("INSERT INTO auth_user (id, username, password, is_active) "
      "VALUES (931, 'dave@initech-b.example', %s, 1)", (password,))
    q("INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id) VALUES "
      "(931, 'a0000000000000000000000000000931', 931, 'dave', 931)")
    q("INSERT INTO amavisd_localpartalias (id, email_account_id, localpart, domain_id) "
      "VALUES (9931, 931, 'dave', 931)")
    carol, mailbox = CUSTOMERS[3][0], '"shared/dave@initech-b.example/Plans"'

    def carol_selects():
        assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
        conn = session(dovecot, carol)
        try:
            return conn.select(mailbox, readonly=True)[0]
        finally:
            conn.logout()

    try:
        conn = session(dovecot, "dave@initech-b.example")
        try:
            conn.create("Plans")
            assert conn.setacl("Plans", carol, "lrs")[0] == "OK"
        finally:
            conn.logout()
        assert carol_selects() == "OK"
        q("UPDATE amavisd_domain SET customer_id = 2 WHERE id = 931")
        assert carol_selects() == "NO"
        q("UPDATE amavisd_domain SET customer_id = 3 WHERE id = 931")
        assert carol_selects() == "OK"
    finally:
        q("DELETE FROM amavisd_localpartalias WHERE id = 9931")
        q("DELETE FROM amavisd_emailaccount WHERE id = 931")
        q("DELETE FROM auth_user WHERE id = 931")
        q("DELETE FROM amavisd_domainalias WHERE domain_id = 931")
        q("DELETE FROM amavisd_domain WHERE id = 931")
