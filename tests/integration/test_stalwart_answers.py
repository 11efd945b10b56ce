"""Stalwart's SQL directory (SPEC 8), its answers: the queries of
conf.d/stalwart run as server-side prepared statements with one bound
value by the read-only user over TLS, with Stalwart's rules applied to
the answers (logins by canonical name, recipients by the userdb rule,
every address once, no group across customers, 0.16's logins and
deliveries as its code runs them), and the same answers as the Dovecot
side (lib/, through mailroute-auth lookup) for every fixture address."""
import re
import subprocess

import pytest

from mrtest import fixtures, stalwart
from mrtest.paths import ADMIN_CLI

DB = stalwart.DB
Q = stalwart.queries()
Q09 = stalwart.queries(stalwart.TOML_09_FILE)
J16 = stalwart.load_json()
COLUMNS = stalwart.columns()


def login(directory, name):
    return directory.principal(Q["name"], name, COLUMNS)


# --- Stalwart's answers -----------------------------------------------------

def test_login_by_canonical_name(directory):
    p = login(directory, "john@example.com")
    assert p.typ == "individual"
    assert p.quota == 1024 * 1048576
    assert p.emails == ["john@example.com"]
    assert p.secret.startswith("$pbkdf2-sha256$i=%d,l=32$" % fixtures.django_pbkdf2_iterations())
    # case-insensitive, as the database's collation and Dovecot
    assert login(directory, "JOHN@Example.COM").emails == ["john@example.com"]
    assert login(directory, "Mary@Mixed.Example").quota == 0  # no quota anywhere


@pytest.mark.parametrize("name", ["johnny@example.com", "john@example.net",
                                  "john@john-external.example", "postmaster@Mixed.Example",
                                  "john+x@example.com", "nobody@example.com", "john",
                                  "nothosted@nothosted.com", "optout@example.com",
                                  # look-alikes the collation equates (SPEC 3)
                                  "jöhn@example.com", "john@exämple.com", "JÜRGEN@example.com",
                                  "jurgen@example.com", "\u212aohn@example.com"])
def test_no_principal_for_alias_detail_unknown_or_not_hosted(directory, name):
    assert login(directory, name) is None


def test_inactive_account_receives_but_has_no_secret(directory):
    p = login(directory, "inactive@example.com")
    assert p is not None and p.secret is None and p.quota == 1024 * 1048576
    assert directory.first_column(Q["recipients"], "inactive@example.net") == ["inactive@example.com"]


def test_quota_is_integer_bytes(directory):
    result = directory.execute(Q["name"], "bigquota@example.com")
    column = [n.lower() for n in result.names].index(COLUMNS["quota"])
    assert result.types[column] in stalwart.INTEGER_TYPES
    assert result.rows[0][column] == 10240 * 1048576
    assert login(directory, "zero@quota0.com").quota == 0
    assert login(directory, "contnull@contnull.org").quota == 200 * 1048576


def test_recipients_follow_the_userdb_rule(directory):
    r = lambda a: directory.first_column(Q["recipients"], a)  # noqa: E731
    assert r("john-smith@example.com") == ["john-smith@example.com"]   # exact wins
    assert r("john+newsletter@example.net") == ["john@example.com"]
    assert r("john-other+x@example.net") == ["john@example.com"]      # '+' then '-'
    assert r("johnny@john-external.example") == []
    assert r("john@john-external.example") == ["john@example.com"]
    assert r("POSTMASTER@mixed-alias.example") == ["Mary@Mixed.Example"]
    assert r("nothosted@nothosted.com") == []
    assert r("optin@nothosted.com") == ["optin@nothosted.com"]
    assert r("no-at-sign") == [] and r("@example.com") == []
    # look-alikes are not the account's addresses (SPEC 3)
    for lookalike in ("jöhn@example.com", "jóhn+x@example.net", "john@exämple.com",
                      "JÜRGEN@example.com"):
        assert r(lookalike) == [], lookalike
    assert r("jürgen@EXAMPLE.NET") == ["jürgen@example.com"]   # ASCII case only


@pytest.mark.parametrize("address,account", [("shared-box@quota0.com", "accounts 122 and 123"),
                                             ("../x@unsafe.test", "account 113"),
                                             ("a/b+x@unsafe.test", "account 114")])
def test_data_errors_fail_the_query(directory, address, account):
    with pytest.raises(stalwart.QueryError) as failed:
        directory.execute(Q["recipients"], address)
    assert failed.value.errno == 1644 and account in failed.value.message


def test_no_group_spans_customers(directory):
    """Stalwart turns every name a members query returns into one group
    principal whose mailbox all its members read and write: a shared
    "continuity" group joined the continuity users of every customer. No
    file asks for groups, and every principal the name query returns, for
    every fixture address, is an individual of its own."""
    assert "members" not in Q and "members" not in Q09
    assert J16["queryMemberOf"] is None  # null: left out, Stalwart would add its default query
    for key in ("name", "recipients", "emails", "verify", "expand", "domains"):
        assert "member_of" not in Q09[key]
    for address in ("cont@continuity30.org", "contuser@example.com", "alice@shared-a.com",
                    "bob@shared-b.com", "john@example.com"):
        principal = login(directory, address)
        assert principal.typ == "individual", (address, principal)
        assert principal.emails == [address]


def test_emails_primary_first_then_every_alias(directory):
    emails = directory.first_column(Q09["emails"], "john@example.com")
    assert emails[0] == "john@example.com"
    assert sorted(emails[1:]) == ["john@example.net", "john@john-external.example",
                                  "johnny@example.com", "johnny@example.net"]
    assert directory.first_column(Q09["emails"], "Mary@Mixed.Example")[0] == "Mary@Mixed.Example"
    assert directory.first_column(Q09["emails"], "johnny@example.com") == []
    assert directory.first_column(Q["emails"], "john@example.com") == emails[1:]


def addresses_each_version_builds(directory, name):
    """The principal's address list for the canonical name, as each
    version builds it from the shipped file (lowercased, as Stalwart does):
    0.9.0-0.10.6 the emails query's rows (no email column is read);
    0.10.7-0.15 the name query's email column, then the emails query's
    rows appended (lookup.rs row_to_principal, then "Obtain emails"); 0.16
    the recipient query's email column, then queryEmailAliases."""
    lower = lambda rows: [a.lower() for a in rows]  # noqa: E731
    primary = login(directory, name).emails
    j16 = directory.first_column(J16["queryRecipient"], name)
    return {
        "0.9.0-0.10.6": lower(directory.first_column(Q09["emails"], name)),
        "0.10.7-0.15": lower(primary + directory.first_column(Q["emails"], name)),
        "0.16": lower(j16 + directory.first_column(J16["queryEmailAliases"], name)),
    }


CANONICAL_NAMES = ["john@example.com", "Mary@Mixed.Example", "jürgen@example.com",
                   "inactive@example.com", "cont@continuity30.org", "bigquota@example.com",
                   "optin@nothosted.com"]


@pytest.mark.parametrize("name", CANONICAL_NAMES)
def test_each_version_gets_one_primary_and_every_alias_once(directory, name):
    """Stalwart compares the address list it builds with the stored one,
    in order, and rewrites the principal when they differ (0.12.0
    core/principal.rs update_external): the primary twice would rewrite
    it at every lookup."""
    every = [a.lower() for a in directory.first_column(Q09["emails"], name)]
    assert every and every[0] == name.lower()
    for version, addresses in addresses_each_version_builds(directory, name).items():
        assert addresses == every, version
        assert len(set(addresses)) == len(addresses), version

# --- the same answers as Dovecot --------------------------------------------

# Every address of the fixtures' login view, and detail, case and unknown
# variants (test_address_list_is_complete keeps the first part complete).
VIEW_ADDRESSES = """john@example.com john@example.net john@john-external.example
johnny@example.com johnny@example.net john-smith@example.com john-smith@example.net
jürgen@example.com jürgen@example.net Mary@mixed-alias.example Mary@Mixed.Example
postmaster@mixed-alias.example postmaster@Mixed.Example inactive@example.com
inactive@example.net nopass@example.com nopass@example.net cont@continuity30.org
contnull@contnull.org cont0@cont0.org both@both.net nothosted@nothosted.com zero@quota0.com
../x@unsafe.test a/b@unsafe.test short@x alice@shared-a.com bob@shared-b.com
optout@example.com optout@example.net optin@nothosted.com bigquota@example.com
bigquota@example.net contuser@example.com contuser@example.net dup1@quota0.com
shared-box@quota0.com dup2@quota0.com emptypw@example.com emptypw@example.net""".split()
VARIANTS = ["john+tag@example.net", "john-smith+tag@example.com", "john-x@example.com",
            "JOHNNY@EXAMPLE.NET", "mary+x@mixed-alias.example", "nobody@example.com",
            "john@unknown.example", "cont-x@continuity30.org"]


def test_address_list_is_complete(mariadb, stalwart_db):
    rows = mariadb.query("SELECT DISTINCT CONCAT(login_localpart, '@', login_domain) "
                         "FROM mailroute_login", db=stalwart_db)
    assert sorted(r[0] for r in rows) == sorted(VIEW_ADDRESSES)


def dovecot_answer(config, address):
    """(account, quota bytes, can log in) from lib/ via mailroute-auth
    lookup; 'error' for a data error (Dovecot's internal failure)."""
    out = subprocess.run([ADMIN_CLI, "-c", config, "lookup", address],
                         capture_output=True, text=True)
    if out.returncode == 3:
        return "error"
    if out.returncode == 1:
        return None
    fields = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
    quota = re.fullmatch(r"\*:storage=(\d+)M", fields.get("quota_rule", "*:storage=0M"))
    may_match = fields["password"] not in ("empty", "unusable", "unknown")
    can_login = "login" not in fields and may_match
    return fields["user"], int(quota.group(1)) * 1048576, can_login


def stalwart_answer(directory, address):
    try:
        names = directory.first_column(Q["recipients"], address)
        if not names:
            return None
        p = login(directory, names[0])
    except stalwart.QueryError as e:
        assert e.errno == 1644, e
        return "error"
    return p.emails[0], p.quota, p.secret is not None


@pytest.mark.parametrize("address", VIEW_ADDRESSES + VARIANTS)
def test_same_answer_as_dovecot(directory, stalwart_config, address):
    assert stalwart_answer(directory, address) == dovecot_answer(stalwart_config, address)

# --- Stalwart 0.16: logins and deliveries as its code runs them ---------------

def test_016_login_needs_a_usable_secret(directory):
    """0.16 answers a login row without a secret with an internal error
    ("Account does not have a secret", directory/src/backend/sql/lookup.rs),
    not a failed login: the login query returns no row for an account that
    may not log in, while the recipient query still returns it."""
    j16 = {"class": J16["columnClass"], "secret": J16["columnSecret"],
           "email": J16["columnEmail"]}
    john = directory.principal(J16["queryLogin"], "john@example.com", j16)
    assert john.secret.startswith("$pbkdf2-sha256$") and john.emails == ["john@example.com"]
    for name in ("inactive@example.com", "nopass@example.com", "emptypw@example.com"):
        assert directory.principal(J16["queryLogin"], name, j16) is None, name
        assert directory.first_column(J16["queryRecipient"], name) == [name], name
    # the recipient query hands out no secret: the registry copy it makes
    # of an account needs none, logins always ask the directory
    assert J16["columnSecret"] not in directory.execute(J16["queryRecipient"],
                                                        "john@example.com").names


def rcpt_016(directory, rcpt, rewrites):
    """rcpt_resolve of Stalwart 0.16 (crates/common/src/network/mta.rs)
    with the domain's default sub-addressing: the address cut before its
    first '+', the recipient query asked for the cut address, a row
    accepts it. 0.16.8 and later rewrite a cut recipient to the cut
    address; 0.16.0-0.16.7 deliver to the address as sent. Returns (the
    address delivery looks up, the account's email), None when refused."""
    local, _, domain = rcpt.rpartition("@")
    cut = "+" in local
    asked = local.split("+", 1)[0] + "@" + domain if cut else rcpt
    rows = directory.first_column(J16["queryRecipient"], asked)
    if not rows:
        return None
    return (asked if cut and rewrites else rcpt), rows[0]


def deliverable(directory, delivered, email):
    """Delivery finds the recipient among the addresses the account was
    synchronized with: its email and queryEmailAliases, lowercased."""
    addresses = [email] + directory.first_column(J16["queryEmailAliases"], email)
    return delivered.lower() in [a.lower() for a in addresses]


DASH_DETAILS = ["john-tag@example.com", "john-tag@example.net", "john-tag@john-external.example",
                "mary-x@mixed-alias.example", "john-smith-x@example.com"]
PLUS_DETAILS = ["john+tag@example.net", "john-smith+tag@example.com", "JOHNNY+x@EXAMPLE.NET",
                "cont+x@continuity30.org"]
DATA_ERRORS = {"shared-box@quota0.com", "../x@unsafe.test", "a/b@unsafe.test", "short@x"}


@pytest.mark.parametrize("address", VIEW_ADDRESSES + VARIANTS + DASH_DETAILS + PLUS_DETAILS)
def test_016_an_accepted_recipient_is_delivered(directory, stalwart_config, address):
    """On 0.16.8+ every address the recipient query accepts is found again
    at delivery, and reaches the account Dovecot's userdb gives; a '-'
    detail is refused at RCPT (there is no delivery 0.16 could make of
    it); on 0.16.0-0.16.7 a '+' detail is accepted and then bounced by
    Stalwart's own code, whatever the query does (README.md)."""
    if address in DATA_ERRORS:
        with pytest.raises(stalwart.QueryError) as failed:
            rcpt_016(directory, address, rewrites=True)
        assert failed.value.errno == 1644
        return
    local, _, domain = address.rpartition("@")
    asked = local.split("+", 1)[0] + "@" + domain
    answer = rcpt_016(directory, address, rewrites=True)
    if ascii_lower(asked) not in {ascii_lower(a) for a in VIEW_ADDRESSES}:
        assert answer is None, address  # a '-' detail, or no such address
        return
    dovecot = dovecot_answer(stalwart_config, asked)
    if dovecot is None:
        assert answer is None, address  # neither hosted nor continuity
        return
    delivered, email = answer
    assert email == dovecot[0], address
    assert deliverable(directory, delivered, email), address
    delivered_before_0168, _ = rcpt_016(directory, address, rewrites=False)
    assert deliverable(directory, delivered_before_0168, email) == ("+" not in local), address


def ascii_lower(text):
    """SPEC 3's case rule: ASCII letters only."""
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)
