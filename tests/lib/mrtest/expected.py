"""The expected answers for the fixture accounts (sql/fixtures/), one table
for every front: checkpassword (test_checkpassword.py), the CLI and the
Dovecot module (test_fronts.py) are each held to it. Mail paths are
under the default mail_root, /data/mailstorage."""
from .fixtures import fixture_password as pw

# (login name, password, outcome, canonical user or None): outcome "ok",
# "refused" (unknown, wrong password, disabled: alike to the client) or
# "tempfail" (no safe path, two accounts: an internal failure)
LOGINS = [
    ("john@example.com", pw("john@example.com"), "ok", "john@example.com"),
    ("JOHN@Example.COM", pw("john@example.com"), "ok", "john@example.com"),
    ("john@example.net", pw("john@example.com"), "ok", "john@example.com"),
    ("johnny@example.com", pw("john@example.com"), "ok", "john@example.com"),
    ("john@john-external.example", pw("john@example.com"), "ok", "john@example.com"),
    ("john-smith@example.com", pw("john-smith@example.com"), "ok", "john-smith@example.com"),
    ("jürgen@example.com", pw("jürgen@example.com"), "ok", "jürgen@example.com"),
    ("mary@MIXED-ALIAS.example", pw("Mary@Mixed.Example"), "ok", "Mary@Mixed.Example"),
    ("postmaster@mixed.example", pw("Mary@Mixed.Example"), "ok", "Mary@Mixed.Example"),
    ("cont@continuity30.org", pw("cont@continuity30.org"), "ok", "cont@continuity30.org"),
    ("both@both.net", pw("both@both.net"), "ok", "both@both.net"),
    ("optin@nothosted.com", pw("optin@nothosted.com"), "ok", "optin@nothosted.com"),
    ("dup1@quota0.com", pw("dup1@quota0.com"), "ok", "dup1@quota0.com"),
    # refused: wrong password, unknown, detail address (passdb is exact)
    ("john@example.com", "pw-john@example.co", "refused", None),
    ("john@example.com", "", "refused", None),
    ("john-smith@example.com", pw("john@example.com"), "refused", None),
    ("nobody@example.com", "whatever", "refused", None),
    ("john@nowhere.example", pw("john@example.com"), "refused", None),
    ("john+tag@example.com", pw("john@example.com"), "refused", None),
    ("john", pw("john@example.com"), "refused", None),
    # correct password, not admitted (disabled)
    ("inactive@example.com", pw("inactive@example.com"), "refused", None),
    ("nothosted@nothosted.com", pw("nothosted@nothosted.com"), "refused", None),
    ("optout@example.com", pw("optout@example.com"), "refused", None),
    # unusable stored hashes never match
    ("nopass@example.com", "anything", "refused", None),
    ("emptypw@example.com", "", "refused", None),
    # correct password but no safe path, or two accounts: internal failure
    ("../x@unsafe.test", pw("../x@unsafe.test"), "tempfail", None),
    ("a/b@unsafe.test", pw("a/b@unsafe.test"), "tempfail", None),
    ("short@x", pw("short@x"), "tempfail", None),
    ("shared-box@quota0.com", pw("dup1@quota0.com"), "tempfail", None),
]


HOME = "/data/mailstorage/e/x/example.com"
IMPORTS_30 = "\t".join("namespace/inbox/mailbox/%s/autoexpunge=30d" % box for box in (
    "inbox", "Drafts", "Quarantine", "Quarantine.Spam", "Quarantine.BadHeaders",
    "Quarantine.BannedFiles", "Quarantine.Blocked", "Quarantine.Virus", "Trash", "Sent"))

# (recipient, outcome, the userdb fields expected, by Dovecot 2.3's names;
# None: absent): outcome "found", "unknown" or "tempfail"
LOOKUPS = [
    ("john@example.com", "found", {"user": "john@example.com",
     "home": HOME + "/j/john", "quota_rule": "*:storage=1024M",
     "acl_groups": None, "userdb_import": None}),
    ("john+tag@example.net", "found", {"user": "john@example.com",
     "home": HOME + "/j/john"}),
    ("john-smith@example.com", "found", {"user": "john-smith@example.com",
     "home": HOME + "/j/john-smith"}),
    ("john-smith+x@example.com", "found", {"user": "john-smith@example.com"}),
    ("john-other@example.com", "found", {"user": "john@example.com"}),
    ("johnny+a-b@example.com", "found", {"user": "john@example.com"}),
    ("JüRGEN+x@EXAMPLE.NET", "found", {"user": "jürgen@example.com",
     "home": HOME + "/j/jürgen"}),
    ("JOHN@EXAMPLE.COM", "found", {"user": "john@example.com"}),
    ("inactive@example.com", "found", {"user": "inactive@example.com"}),
    ("nopass@example.com", "found", {"user": "nopass@example.com"}),
    ("optin@nothosted.com", "found", {"user": "optin@nothosted.com",
     "quota_rule": None}),
    ("bigquota@example.com", "found", {"quota_rule": "*:storage=10240M"}),
    ("zero@quota0.com", "found", {"quota_rule": "*:storage=0M"}),
    ("alice@shared-a.com", "found", {"quota_rule": "*:storage=500M"}),
    ("cont+x@continuity30.org", "found", {"user": "cont@continuity30.org",
     "acl_groups": "continuity", "userdb_import": IMPORTS_30,
     "quota_rule": None}),
    ("contnull@contnull.org", "found", {"acl_groups": "continuity",
     "userdb_import": None, "quota_rule": "*:storage=200M"}),
    ("cont0@cont0.org", "found", {"acl_groups": "continuity",
     "userdb_import": None}),
    ("contuser@example.com", "found", {"acl_groups": "continuity",
     "userdb_import": IMPORTS_30.replace("=30d", "=7d"),
     "quota_rule": "*:storage=1024M"}),
    ("both@both.net", "found", {"acl_groups": None, "userdb_import": None,
     "quota_rule": "*:storage=300M"}),
    ("Mary+list@mixed-alias.example", "found", {"user": "Mary@Mixed.Example",
     "home": "/data/mailstorage/M/i/Mixed.Example/M/Mary"}),
    # refused: unknown, not hosted, switched off
    ("nobody@example.com", "unknown", None),
    ("nothosted@nothosted.com", "unknown", None),
    ("optout@example.com", "unknown", None),
    ("optout+x@example.com", "unknown", None),
    ("+john@example.com", "unknown", None),
    # SPEC 3: only ASCII letters fold; MariaDB's utf8_general_ci would
    # also hand these to john@example.com and jürgen@example.com
    ("jöhn@example.com", "unknown", None),
    ("jóhn@éxample.com", "unknown", None),
    ("john@exämple.com", "unknown", None),
    ("jurgen@example.com", "unknown", None),
    ("JÜRGEN@example.com", "unknown", None),
    ("jöhn+x@example.com", "unknown", None),
    # no safe path, two accounts for one address: internal failure
    ("../x@unsafe.test", "tempfail", None),
    ("a/b@unsafe.test", "tempfail", None),
    ("short@x", "tempfail", None),
    ("shared-box@quota0.com", "tempfail", None),
]
