"""SPEC 4's path rule has two definitions, one per layer: C
(lib/mr-userdb-fields.c: the module, checkpassword, the CLI) and SQL (the
view mailroute_dovecot of migration 0007: Dovecot's stock sql driver).
They must give the same home, mail, quota rule, ACL group and imports, and
refuse the same names, for every fixture account and for hostile names."""
import os
import subprocess

import pytest

from mrtest import fixtures
from mrtest.paths import ADMIN_CLI

MAIL_ROOT, INDEX_ROOT = "/srv/mail-root", "/srv/index-root"
DB = "pathrule"

# canonical (localpart, domain) of accounts made for this test: reached
# through a plain alias (h<N>@h<N>.alias.example), since most of them are
# names no client can send
HOSTILE = [
    ("émile", "éxample.org"),
    ("ßtraße", "ñu.example"),
    ("日本語", "日本.jp"),
    ("a", "ab"),
    ("a b", "space.example"),
    ("\u0301x", "combining.example"),
    ("ǅemal", "titlecase.example"),
    ("x" * 64, "long-" + "d" * 50 + ".example"),
    ("c1\u0085", "c1-control.example"),
    ("nbsp\u00a0", "nbsp.example"),
    ("x", "y"),
    ("..", "dots.example"),
    (".", "dot.example"),
    ("a:b", "colon.example"),
    ("tab\there", "ctl.example"),
    ("del\x7f", "del.example"),
    ("a/b", "slash.example"),
    ("dom", ".."),
    ("dom", "co:lon.example"),
    ("dom", "sl/ash.example"),
    ("dom", "new\nline.example"),
]


@pytest.fixture(scope="module")
def db(mariadb):
    fixtures.load_migrated(mariadb, DB)
    for n, (localpart, domain) in enumerate(HOSTILE, start=1):
        account, alias_domain = 5000 + n, "h%d.alias.example" % n
        mariadb.query("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) "
                      "VALUES (%s, %s, %s, 1, 1)", (account, domain, "%032d" % account), db=DB)
        mariadb.query("INSERT INTO amavisd_domainalias (domain_id, name) VALUES (%s, %s), (%s, %s)",
                      (account, domain, account, alias_domain), db=DB)
        mariadb.query("INSERT INTO auth_user (id, username, password) VALUES (%s, %s, '!')",
                      (account, "hostile-%d" % n), db=DB)
        mariadb.query("INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id) "
                      "VALUES (%s, %s, %s, %s, 1)",
                      (account, "%032d" % account, account, localpart), db=DB)
        mariadb.query("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id) "
                      "VALUES (%s, %s, %s), (%s, %s, %s)",
                      (account, localpart, account, account, "h%d" % n, account), db=DB)
    return DB


@pytest.fixture(scope="module")
def config(workdir, mariadb, db):
    return fixtures.write_config(os.path.join(workdir, "path-rule.conf"), mariadb, db,
                                 mail_root=MAIL_ROOT, index_root=INDEX_ROOT)


def c_fields(config, address):
    """What the C rule gives (mailroute-auth lookup): the fields, or None
    when it refuses to build a path."""
    out = subprocess.run([ADMIN_CLI, "-c", config, "lookup", address],
                         capture_output=True, text=True)
    if out.stdout.startswith("refused:") or "\nrefused:" in out.stdout:
        assert "no mail path is built" in out.stdout, out.stdout
        return None
    assert out.returncode == 0, out
    fields = {}
    # split at LF only: splitlines() also splits at U+0085, a name here
    for line in out.stdout.rstrip("\n").split("\n"):
        name, value = line.split("\t", 1)
        if name == "userdb_import":
            fields[name] = fields[name] + "\t" + value if name in fields else value
        elif name in ("home", "mail", "quota_rule", "acl_groups"):
            fields[name] = value
    return fields


def sql_fields(mariadb, db, address):
    """What the SQL rule gives for the same login, with the same roots, as
    the stock include assembles it; None when mail_path is NULL."""
    localpart, domain = address.rsplit("@", 1)
    rows = mariadb.query("SELECT DISTINCT mail_path, quota_rule, acl_groups, userdb_import "
                         "FROM mailroute_dovecot WHERE login_localpart = %s AND login_domain = %s",
                         (localpart, domain), db=db)
    assert len(rows) == 1, (address, rows)
    mail_path, quota_rule, acl_groups, userdb_import = rows[0]
    if mail_path is None:
        return None
    fields = {"home": "%s/%s" % (MAIL_ROOT, mail_path),
              "mail": "maildir:%s/%s/mail:INDEX=%s/%s:LAYOUT=fs" % (MAIL_ROOT, mail_path,
                                                                   INDEX_ROOT, mail_path)}
    for name, value in (("quota_rule", quota_rule), ("acl_groups", acl_groups),
                        ("userdb_import", userdb_import)):
        if value is not None:
            fields[name] = value
    return fields


def fixture_addresses(mariadb, db):
    """One login of every account the CLI builds fields for (hosted or
    continuity, one account per address), by its canonical name."""
    rows = mariadb.query(
        "SELECT MIN(CONCAT(login_localpart, '@', login_domain)) FROM mailroute_login "
        "WHERE (hosted = 1 OR continuity = 1) AND account_id < 5000 "
        "AND login_localpart <> 'shared-box' GROUP BY account_id", db=db)
    return sorted(r[0] for r in rows)


def test_fixture_accounts_agree(mariadb, db, config):
    addresses = fixture_addresses(mariadb, db)
    assert len(addresses) >= 15
    refused = 0
    for address in addresses:
        c, sql = c_fields(config, address), sql_fields(mariadb, db, address)
        assert c == sql, address
        refused += c is None
    # ../x, a/b and short@x: refused by both
    assert refused == 3


@pytest.mark.parametrize("n,names", list(enumerate(HOSTILE, start=1)),
                         ids=[repr(h) for h in HOSTILE])
def test_hostile_names_agree(mariadb, db, config, n, names):
    address = "h%d@h%d.alias.example" % (n, n)
    assert c_fields(config, address) == sql_fields(mariadb, db, address)
