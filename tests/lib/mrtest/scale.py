"""A database at production scale (1,000,000 accounts) for plan checks:
the reference schema, every migration, and rows made on the server by
MariaDB's sequence engine, so loading takes seconds, not a client loop.

Shape per 10 accounts: one domain with two names (primary + alias), each
account with its canonical localpart and one alias localpart, every tenth
account also on an external domain. Names are predictable, so a test can
ask for any of them: user<N>@dom<D>.example, alias<N>@dom<D>.example,
alias<N>@alias<D>.example, user<N>@ext<N>.example.

Distribution lists (migration 0009): every domain has team@ with its ten
accounts and one external address as members; every tenth domain's list
also has the list of the domain before as a member.

Shared-folder groups (migration 0011): every domain has staff@, whose
member is the domain's third account (the one test_scale measures,
accounts // 2 + 3), so that a lookup reads a group, not only an empty
index range.

Policies as production mixes them: domains in turn hosted with a quota,
hosted without one, and continuity-only (30 days); every seventh account
with a policy of its own that overrides the quota. Every account may log
in and receive. Passwords: the same one under four hash formats in turn
(pbkdf2_sha256, argon2id, bcrypt, scrypt), at low cost."""
import base64
import hashlib

import argon2
import bcrypt

from . import fixtures

ACCOUNTS_PER_DOMAIN = 10

# Real, cheap hashes of one password, so that logins succeed; the plans do
# not depend on them.
PLAIN_PASSWORD = "scale-secret"
PASSWORD_ITERATIONS = 1000
PASSWORD = "pbkdf2_sha256$%d$scalesalt$%s" % (
    PASSWORD_ITERATIONS,
    base64.b64encode(hashlib.pbkdf2_hmac("sha256", PLAIN_PASSWORD.encode(), b"scalesalt",
                                         PASSWORD_ITERATIONS)).decode())
PASSWORDS = [
    PASSWORD,
    "argon2" + argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    .hash(PLAIN_PASSWORD),
    "bcrypt$" + bcrypt.hashpw(PLAIN_PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
    "scrypt$16$scalesalt$1$1$" + base64.b64encode(hashlib.scrypt(
        PLAIN_PASSWORD.encode(), salt=b"scalesalt", n=16, r=1, p=1, dklen=64)).decode(),
]

# id: (hosted, continuity, storage days, quota MB); 1-3 are domain
# policies, 4 an account's own quota, 5 an account policy that sets nothing
POLICIES = {
    1: (1, None, None, 2048),
    2: (1, None, None, None),
    3: (None, 1, 30, None),
    4: (None, None, None, 512),
    5: (None, None, None, None),
}


def address_statements(accounts):
    """The rows that name the accounts (domains and accounts already in):
    two names per domain, each account's canonical and alias localparts,
    every tenth account also on an external domain."""
    domains = accounts // ACCOUNTS_PER_DOMAIN
    return [
        "INSERT INTO amavisd_domainalias (domain_id, name)"
        " SELECT seq, CONCAT('dom', seq, '.example') FROM seq_1_to_%d" % domains,
        "INSERT INTO amavisd_domainalias (domain_id, name)"
        " SELECT seq, CONCAT('alias', seq, '.example') FROM seq_1_to_%d" % domains,
        "INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, external_domain)"
        " SELECT seq, CONCAT('user', seq), (seq - 1) DIV %d + 1, NULL FROM seq_1_to_%d"
        % (ACCOUNTS_PER_DOMAIN, accounts),
        "INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, external_domain)"
        " SELECT seq, CONCAT('alias', seq), (seq - 1) DIV %d + 1, NULL FROM seq_1_to_%d"
        % (ACCOUNTS_PER_DOMAIN, accounts),
        "INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, external_domain)"
        " SELECT seq, CONCAT('user', seq), (seq - 1) DIV %d + 1, CONCAT('ext', seq, '.example')"
        " FROM seq_1_to_%d WHERE seq %% 10 = 0" % (ACCOUNTS_PER_DOMAIN, accounts),
    ]


def run_bulk(server, db, statements):
    """Bulk inserts on one connection, without per-row key checks."""
    conn = server.connect(db)
    try:
        cur = conn.cursor()
        cur.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        for sql in statements:
            cur.execute(sql)
    finally:
        conn.close()


def load(server, db, accounts=1_000_000):
    domains = accounts // ACCOUNTS_PER_DOMAIN
    server.create_database(db)
    fixtures.load_reference(server, db)
    statements = [
        "INSERT INTO amavisd_customer (id, name) VALUES (1, 'scale')",
        "INSERT INTO amavisd_policy (id, policy_name, priority) SELECT seq,"
        " CONCAT('scale', seq), 10 FROM seq_1_to_%d" % len(POLICIES),
        "INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id)"
        " SELECT seq, CONCAT('dom', seq, '.example'), LPAD(seq, 32, '0'), (seq - 1) %% 3 + 1, 1"
        " FROM seq_1_to_%d" % domains,
        "INSERT INTO auth_user (id, username, password, is_active)"
        " SELECT seq, CONCAT('user', seq), ELT(seq %% 4 + 1, '%s'), 1 FROM seq_1_to_%d"
        % ("', '".join(PASSWORDS), accounts),
        "INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id)"
        " SELECT seq, LPAD(seq, 32, '0'), seq, CONCAT('user', seq), IF(seq %% 7 = 0, 4, 5)"
        " FROM seq_1_to_%d" % accounts,
    ] + address_statements(accounts)
    run_bulk(server, db, statements)
    fixtures.migrate(server, db, "up")
    # the settings go in once migration 0001 has added their columns
    for policy, values in POLICIES.items():
        server.query("UPDATE amavisd_policy SET hosted_mail_enabled = %s, continuity_enabled = %s,"
                     " continuity_storage_days = %s, quota_mb = %s WHERE id = %s",
                     values + (policy,), db=db)
    # statistics from every row (engine-independent), not InnoDB's random
    # index dives: the same data gets the same plans at every load, so
    # that read counts compare between loads
    run_bulk(server, db, list_statements(accounts) + group_statements(accounts))
    server.query("ANALYZE TABLE amavisd_domain, amavisd_domainalias, auth_user,"
                 " amavisd_emailaccount, amavisd_localpartalias, amavisd_policy,"
                 " mailroute_list, mailroute_list_member, mailroute_group,"
                 " mailroute_group_member PERSISTENT FOR ALL", db=db)


def list_statements(accounts):
    """team@ on every domain: its accounts, an external address, and on
    every tenth domain the list of the domain before."""
    domains = accounts // ACCOUNTS_PER_DOMAIN
    return [
        "INSERT INTO mailroute_list (id, domain_id, localpart, description)"
        " SELECT seq, seq, 'team', 'scale' FROM seq_1_to_%d" % domains,
        "INSERT INTO mailroute_list_member (list_id, account_id)"
        " SELECT (seq - 1) DIV %d + 1, seq FROM seq_1_to_%d" % (ACCOUNTS_PER_DOMAIN, accounts),
        "INSERT INTO mailroute_list_member (list_id, external_address)"
        " SELECT seq, CONCAT('partner', seq, '@outside.example') FROM seq_1_to_%d" % domains,
        "INSERT INTO mailroute_list_member (list_id, member_list_id)"
        " SELECT seq, seq - 1 FROM seq_1_to_%d WHERE seq %% 10 = 0" % domains,
    ]


def group_statements(accounts):
    """staff@ on every domain, the domain's third account its member."""
    domains = accounts // ACCOUNTS_PER_DOMAIN
    return [
        "INSERT INTO mailroute_group (id, domain_id, name)"
        " SELECT seq, seq, 'staff' FROM seq_1_to_%d" % domains,
        "INSERT INTO mailroute_group_member (group_id, account_id)"
        " SELECT (seq - 1) DIV %d + 1, seq FROM seq_1_to_%d WHERE seq %% %d = 3"
        % (ACCOUNTS_PER_DOMAIN, accounts, ACCOUNTS_PER_DOMAIN),
    ]


def domain_of(account):
    return (account - 1) // ACCOUNTS_PER_DOMAIN + 1


def addresses(account):
    """The ways to name one scale account, and a name no account has."""
    d = domain_of(account)
    return {
        "canonical": "user%d@dom%d.example" % (account, d),
        "alias": "alias%d@alias%d.example" % (account, d),
        "detail": "user%d+tag@dom%d.example" % (account, d),
        "unknown": "nobody%d@dom%d.example" % (account, d),
    }


def list_address(account):
    """The list of the account's domain, on the domain's alias name."""
    return "team@alias%d.example" % domain_of(account)
