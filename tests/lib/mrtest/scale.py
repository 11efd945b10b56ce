"""A database at production scale (1,000,000 accounts) for plan checks:
the reference schema, every migration, and rows made on the server by
MariaDB's sequence engine, so loading takes seconds, not a client loop.

Shape per 10 accounts: one domain with two names (primary + alias), each
account with its canonical localpart and one alias localpart, every tenth
account also on an external domain. Names are predictable, so a test can
ask for any of them: user<N>@dom<D>.example, alias<N>@dom<D>.example,
alias<N>@alias<D>.example, user<N>@ext<N>.example."""
import base64
import hashlib

from . import fixtures

ACCOUNTS_PER_DOMAIN = 10

# One real, cheap hash for everyone, so that logins succeed; the plans
# do not depend on it.
PLAIN_PASSWORD = "scale-secret"
PASSWORD_ITERATIONS = 1000
PASSWORD = "pbkdf2_sha256$%d$scalesalt$%s" % (
    PASSWORD_ITERATIONS,
    base64.b64encode(hashlib.pbkdf2_hmac("sha256", PLAIN_PASSWORD.encode(), b"scalesalt",
                                         PASSWORD_ITERATIONS)).decode())


def load(server, db, accounts=1_000_000):
    domains = accounts // ACCOUNTS_PER_DOMAIN
    server.create_database(db)
    fixtures.load_reference(server, db)
    statements = [
        "INSERT INTO amavisd_customer (id, name) VALUES (1, 'scale')",
        "INSERT INTO amavisd_policy (id, policy_name, priority) VALUES (1, 'scale', 10)",
        "INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id)"
        " SELECT seq, CONCAT('dom', seq, '.example'), LPAD(seq, 32, '0'), 1, 1"
        " FROM seq_1_to_%d" % domains,
        "INSERT INTO amavisd_domainalias (domain_id, name)"
        " SELECT seq, CONCAT('dom', seq, '.example') FROM seq_1_to_%d" % domains,
        "INSERT INTO amavisd_domainalias (domain_id, name)"
        " SELECT seq, CONCAT('alias', seq, '.example') FROM seq_1_to_%d" % domains,
        "INSERT INTO auth_user (id, username, password, is_active)"
        " SELECT seq, CONCAT('user', seq), '%s', 1 FROM seq_1_to_%d" % (PASSWORD, accounts),
        "INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id)"
        " SELECT seq, LPAD(seq, 32, '0'), seq, CONCAT('user', seq), 1 FROM seq_1_to_%d" % accounts,
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
    conn = server.connect(db)
    try:
        cur = conn.cursor()
        cur.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        for sql in statements:
            cur.execute(sql)
    finally:
        conn.close()
    fixtures.migrate(server, db, "up")
    # hosted everywhere, set after migration 0001 has added the column
    server.query("UPDATE amavisd_policy SET hosted_mail_enabled = 1, quota_mb = 2048", db=db)
    server.query("ANALYZE TABLE amavisd_domain, amavisd_domainalias, auth_user,"
                 " amavisd_emailaccount, amavisd_localpartalias, amavisd_policy", db=db)


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
