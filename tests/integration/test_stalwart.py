"""Stalwart's SQL directory (SPEC 8): the queries of conf.d/stalwart, read
from the shipped files, run as server-side prepared statements with one
bound value by the read-only user over TLS, with Stalwart's rules applied
to the answers; secrets checked by independent implementations; the same
answers as the Dovecot side (lib/, through mailroute-auth lookup); index
access at 1,000,000 accounts."""
import base64
import hashlib
import json
import os
import re
import subprocess

import pytest

from mrtest import fixtures, scale, stalwart
from mrtest.paths import ADMIN_CLI, STALWART_EXTRACT_SCHEMA, STALWART_GIT_DIR

DB = "stalwart"
Q = stalwart.queries()
Q09 = stalwart.queries(stalwart.TOML_09_FILE)
J16 = stalwart.load_json()
COLUMNS = stalwart.columns()

# Every query Stalwart can be given, by file and key.
ALL_QUERIES = [pytest.param(source, key, query, id="%s-%s" % (source, key))
               for source, key, query in stalwart.all_queries()]


@pytest.fixture(scope="module")
def stalwart_db(mariadb):
    """The fixtures migrated in a database of their own (the secret tests
    rewrite passwords), with the read-only user of db-user.sql."""
    fixtures.load_migrated(mariadb, DB)
    stalwart.create_user(mariadb, DB, "127.0.0.1")
    return DB


@pytest.fixture(scope="module")
def directory(mariadb, stalwart_db):
    d = stalwart.Directory(mariadb, stalwart_db)
    yield d
    d.close()


@pytest.fixture(scope="module")
def phc_verify(workdir):
    return stalwart.phc_verifier(os.path.join(workdir, "phc-verify"))


def login(directory, name):
    return directory.principal(Q["name"], name, COLUMNS)


# --- the files --------------------------------------------------------------

def test_config_files_agree():
    """The 0.9 file is the 0.10.7+ file plus verify/expand/domains, with
    the emails query giving the primary too, as those versions read no
    email column; the 0.16 object logs in by the same names; each query
    has one '?'."""
    differ = ("verify", "expand", "domains", "emails", "recipients")
    same = {k: v for k, v in Q09.items() if k not in differ}
    assert same == {k: v for k, v in Q.items() if k not in differ}
    # 0.10.7+ deliver to the first name only: one account, never a list
    assert "mailroute_stalwart_recipient(?)" in Q["recipients"]
    assert "mailroute_stalwart_recipients(?)" in Q09["recipients"]
    assert set(Q09) - set(Q) == {"verify", "expand", "domains"}
    assert Q["emails"] == Q09["emails"].replace(" ORDER BY", " AND position > 0 ORDER BY")
    assert J16["queryEmailAliases"] == Q["emails"]
    full_09 = stalwart.load_toml(stalwart.TOML_09_FILE)
    full = stalwart.load_toml()
    for key in ("storage", "session"):
        assert full_09[key] == full[key]
    assert COLUMNS["email"] == "email" and "email" not in stalwart.columns(stalwart.TOML_09_FILE)
    assert J16["@type"] == "Sql"
    assert "mailroute_stalwart_user(?)" in J16["queryLogin"]
    assert (J16["columnSecret"], J16["columnClass"], J16["columnDescription"], J16["columnEmail"]) \
        == (COLUMNS["secret"], COLUMNS["class"], COLUMNS["description"], COLUMNS["email"])
    for param in ALL_QUERIES:
        source, key, query = param.values
        assert query.count("?") == 1, (source, key)


def test_store_is_tls_read_only_user():
    store = stalwart.load_toml()["store"]["mailroute"]
    assert store["tls"] == {"enable": True, "allow-invalid-certs": False}
    assert store["user"] == stalwart.USER
    assert store["password"].startswith("%{file:")
    assert J16["store"]["useTls"] is True and J16["store"]["allowInvalidCerts"] is False
    assert J16["store"]["authUsername"] == stalwart.USER
    assert J16["store"]["authSecret"]["@type"] == "File"
    session = stalwart.load_toml()["session"]
    assert session["rcpt"]["sub-addressing"] is False  # the directory cuts +/- itself


@pytest.mark.parametrize("source,key,query", ALL_QUERIES)
def test_query_has_exactly_one_parameter(directory, source, key, query):
    assert directory.parameter_count_is_one(query), (source, key)


# --- the read-only user -----------------------------------------------------

def test_user_needs_tls_and_cannot_write(mariadb, stalwart_db, directory):
    assert directory.tls_cipher()
    with pytest.raises(Exception) as refused:
        stalwart.Directory(mariadb, stalwart_db, tls=False)
    assert "Access denied" in str(refused.value)
    cur = directory.conn.cursor()
    for sql in ("UPDATE auth_user SET password = '' WHERE id = 1",
                "INSERT INTO amavisd_policy (policy_name) VALUES ('x')",
                "SELECT username FROM auth_user",
                "SELECT * FROM temporary_hosted_retired"):
        with pytest.raises(Exception) as denied:
            cur.execute(sql)
        assert "denied" in str(denied.value), sql


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


# team@example.com (sql/fixtures/0003_lists.sql): john, Mary (another
# domain of the customer), optout (receives no mail), an external
# partner, and the list sales (john-smith and an external buyer); sorted
# by the schema's collation (ASCII case-insensitive)
TEAM = ["john-smith@example.com", "john@example.com", "Mary@Mixed.Example"]


def test_09_lists_deliver_to_every_member(directory, stalwart_config):
    """0.9.0-0.10.6 deliver a recipient to every name the recipients query
    returns: a list address gives its receiving account members (those of
    its member list included; external members are Postfix's), on every
    name of its domain, ASCII case-insensitively; a look-alike, a
    deactivated list and a detail address are no list. Each name is the
    principal the name query logs in, and the same accounts Dovecot's
    side (Postfix's map, `mailroute-auth list`) delivers to."""
    r = lambda a: directory.first_column(Q09["recipients"], a)  # noqa: E731
    assert r("team@example.com") == TEAM
    assert r("TEAM@example.net") == TEAM
    assert r("sales@example.com") == ["john-smith@example.com"]
    assert r("ops@continuity30.org") == ["cont@continuity30.org"]
    for not_a_list in ("tëam@example.com", "old@example.com", "team+x@example.com",
                       "team@example.org"):
        assert r(not_a_list) == [], not_a_list
    assert r("johnny@example.net") == ["john@example.com"]   # accounts as before
    for name in TEAM:
        assert login(directory, name).emails[0].lower() == name.lower()
    out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, "list", "team@example.com"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    delivered = {line.split("\t")[1] for line in out.stdout.splitlines()
                 if line.startswith("member\t") and "\taccount " in line}
    assert delivered == set(TEAM), out.stdout


def principal_fields_at(tag):
    """The field names Stalwart's management API parses for a principal
    (PrincipalField::try_parse) and the type names (Type::parse) at tag."""
    def show(path):
        return subprocess.run(["git", "--git-dir", STALWART_GIT_DIR, "show", "%s:%s" % (tag, path)],
                              check=True, capture_output=True, text=True).stdout
    fields = re.search(r"fn try_parse\(s: &str\) -> Option<Self> \{(.*?)\n    \}",
                       show("crates/directory/src/backend/internal/mod.rs"), re.S).group(1)
    types = re.search(r"pub fn parse\(value: &str\) -> Option<Self> \{(.*?)\n    \}",
                      show("crates/directory/src/core/principal.rs"), re.S).group(1)
    return set(re.findall(r'"(\w+)" =>', fields)), set(re.findall(r'"(\w+)" =>', types))


def test_stalwart_lists_renders_what_the_management_api_takes(mariadb, stalwart_db,
                                                             stalwart_config):
    """0.10.7+ read lists from their own store: `mailroute-auth
    stalwart-lists` prints each active list as the principal their
    management API creates, with the fields Stalwart parses at v0.10.7
    and v0.15.5 (read from its source where the git directory is at
    hand): every address of the list, the accounts it delivers to by
    principal name, external members apart; an inactive list is left
    out."""
    tricky = 'the "sales" team \\ 2\tfloor'
    mariadb.query("UPDATE mailroute_list SET description = %s WHERE id = 2", (tricky,),
                  db=stalwart_db)
    try:
        out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, "stalwart-lists"],
                             capture_output=True, text=True)
    finally:
        mariadb.query("UPDATE mailroute_list SET description = 'sales' WHERE id = 2",
                      db=stalwart_db)
    assert out.returncode == 0, out.stderr
    lists = {obj["name"]: obj for obj in map(json.loads, out.stdout.splitlines())}
    assert lists["sales@example.com"]["description"] == tricky
    assert set(lists) == {"team@example.com", "sales@example.com", "ops@continuity30.org"}
    assert lists["team@example.com"] == {
        "type": "list", "name": "team@example.com", "description": "the whole team",
        "emails": ["team@example.com", "team@example.net"],
        "members": TEAM,
        "externalMembers": ["buyer@outside.example", "partner@outside.example"]}
    assert lists["ops@continuity30.org"]["members"] == ["cont@continuity30.org"]
    if not os.path.isdir(STALWART_GIT_DIR):
        pytest.skip("no Stalwart git directory at %s (MR_STALWART_GIT_DIR)" % STALWART_GIT_DIR)
    for tag in ("v0.10.7", "v0.15.5"):
        fields, types = principal_fields_at(tag)
        for obj in lists.values():
            assert set(obj) <= fields, (tag, set(obj) - fields)
            assert obj["type"] in types, tag


# Stalwart 0.16 domain ids as an operator lists them: example.net's is
# left out on purpose (an alias of team@ and sales@ then has no id)
DOMAIN_IDS_016 = """# domain  Stalwart id
EXAMPLE.com   b
continuity30.org c   # any case
"""


def run_mailing_lists(workdir, config, ids_text):
    path = os.path.join(workdir, "stalwart-domain-ids")
    with open(path, "w") as f:
        f.write(ids_text)
    return subprocess.run([ADMIN_CLI, "-c", config, "stalwart-mailing-lists", path],
                          capture_output=True, text=True)


def test_016_mailing_lists_are_what_the_registry_takes(workdir, stalwart_config):
    """0.16 keeps lists as MailingList objects: `mailroute-auth
    stalwart-mailing-lists` prints each active list with the local part
    on its primary domain's Stalwart id, its other names as aliases, its
    members and external members as recipients; every property one the
    registry lets a client set (the schema read from structs.rs at its
    tag), of the shape its type serializes to. An alias on a domain
    without an id is left out and named, and the exit status says so."""
    out = run_mailing_lists(workdir, stalwart_config, DOMAIN_IDS_016)
    assert out.returncode == 1, out.stderr
    assert out.stderr.count("no Stalwart domain id") == 2, out.stderr
    assert "team@example.net" in out.stderr and "sales@example.net" in out.stderr
    lists = {obj["name"] + "/" + obj["domainId"]: obj
             for obj in map(json.loads, out.stdout.splitlines())}
    assert set(lists) == {"team/b", "sales/b", "ops/c"}
    assert lists["team/b"] == {
        "name": "team", "domainId": "b", "description": "the whole team", "aliases": {},
        "recipients": {address: True for address in
                       TEAM + ["buyer@outside.example", "partner@outside.example"]}}
    assert lists["ops/c"]["recipients"] == {"cont@continuity30.org": True}
    structs = REGISTRY["structs"]
    # the types whose serialized shape the renderer writes
    assert structs["MailingList"]["aliases"]["type"] == "List<EmailAlias>"
    assert structs["MailingList"]["recipients"]["type"] == "Map<String>"
    for obj in lists.values():
        assert set(obj) <= set(structs["MailingList"]), set(obj) - set(structs["MailingList"])
        assert all(value is True for value in obj["recipients"].values())

    with_aliases = run_mailing_lists(workdir, stalwart_config,
                                     DOMAIN_IDS_016 + "example.net d\n")
    assert with_aliases.returncode == 0 and with_aliases.stderr == "", with_aliases.stderr
    team = next(obj for obj in map(json.loads, with_aliases.stdout.splitlines())
                if obj["name"] == "team")
    # List<EmailAlias>: an object keyed by position
    assert team["aliases"] == {"0": {"enabled": True, "name": "team", "domainId": "d"}}
    assert set(team["aliases"]["0"]) <= set(structs["EmailAlias"])


@pytest.mark.parametrize("ids_text,error", [
    ("example.com\n", "not a \"domain id\" pair"),
    ("example.com b extra\n", "not a \"domain id\" pair"),
    ("example.com b\nExample.COM c\n", "named twice"),
    # one id for two domains: lists of one would land on the other's
    ("example.com b\ncontinuity30.org b\n", "id b given to two domains"),
])
def test_016_mailing_lists_refuse_a_bad_domain_id_file(workdir, stalwart_config, ids_text,
                                                      error):
    out = run_mailing_lists(workdir, stalwart_config, ids_text)
    assert out.returncode == 2 and error in out.stderr and out.stdout == "", out


def test_09_verify_expand_domains(directory):
    assert directory.first_column(Q09["verify"], "johnny@example.net") == ["john@example.com"]
    assert directory.first_column(Q09["verify"], "nobody@example.net") == []
    assert directory.first_column(Q09["expand"], "john@example.com") == []
    assert directory.first_column(Q09["expand"], "team@example.com") == TEAM
    for domain in ("example.net", "EXAMPLE.com", "john-external.example", "Mixed.Example"):
        assert directory.first_column(Q09["domains"], domain) == [1], domain
    assert directory.first_column(Q09["domains"], "example.org") == []


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


@pytest.fixture(scope="module")
def stalwart_config(workdir, mariadb, stalwart_db):
    return fixtures.write_config(os.path.join(workdir, "stalwart-lookup.conf"), mariadb, stalwart_db)


@pytest.mark.parametrize("address", VIEW_ADDRESSES + VARIANTS)
def test_same_answer_as_dovecot(directory, stalwart_config, address):
    assert stalwart_answer(directory, address) == dovecot_answer(stalwart_config, address)


# --- Stalwart's own definitions: the 0.16 registry, the 0.9-0.15 keys -------

SCHEMA = stalwart.load_schema()
REGISTRY = SCHEMA["registry"]


def test_016_object_is_what_the_registry_accepts():
    """The shipped object against the Sql directory object of Stalwart's
    source at the schema's tag: every property known, of its type, the
    validate() checks passed."""
    assert REGISTRY["tag"].startswith("v0.16.")
    assert stalwart.registry_errors(J16, "Directory", REGISTRY) == []


def _mutated(change):
    obj = json.loads(json.dumps(J16))
    change(obj)
    return obj


REGISTRY_REFUSALS = {
    "0.15 store user key": lambda o: o["store"].update(username="mailroute_stalwart"),
    "0.15 store secret key": lambda o: o["store"].update(secret="x"),
    "columnQuota": lambda o: o.update(columnQuota="quota"),
    "no description": lambda o: o.pop("description"),
    "port 0": lambda o: o["store"].update(port=0),
    "secret as a bare string": lambda o: o["store"].update(authSecret="x"),
    "unknown secret type": lambda o: o["store"].update(authSecret={"@type": "Plain"}),
    "file without a path": lambda o: o["store"]["authSecret"].update(filePath=" "),
    "empty login query": lambda o: o.update(queryLogin=""),
    "useTls as text": lambda o: o["store"].update(useTls="true"),
    "unknown store type": lambda o: o["store"].update({"@type": "MariaDb"}),
}


@pytest.mark.parametrize("change", REGISTRY_REFUSALS.values(), ids=REGISTRY_REFUSALS.keys())
def test_registry_check_refuses_what_stalwart_refuses(change):
    assert stalwart.registry_errors(_mutated(change), "Directory", REGISTRY) != []


def test_016_no_property_left_to_a_default():
    """Stalwart makes the object from its type's Default and patches the
    given properties onto it: a property left out is not absent. Left out,
    queryMemberOf is "SELECT member_of FROM group_members WHERE name = $1"
    (a failing query at every login here), database and authUsername are
    "stalwart". Only harmless defaults are left to Stalwart."""
    directory_defaults = stalwart.defaulted_properties(J16, "SqlDirectory", REGISTRY)
    assert directory_defaults == {}
    assert J16["queryMemberOf"] is None
    store_defaults = stalwart.defaulted_properties(J16["store"], "MySqlStore", REGISTRY)
    assert set(store_defaults) == {"timeout"}  # 15 s, as the TOML files


def test_schema_file_is_the_source_at_its_tag():
    """tests/stalwart/stalwart-schema.json is what extract-schema reads
    from Stalwart's source now (its git history, fetched beside the
    project on this machine)."""
    if not os.path.isdir(STALWART_GIT_DIR):
        pytest.skip("no Stalwart git directory at %s (MR_STALWART_GIT_DIR)" % STALWART_GIT_DIR)
    out = subprocess.run([STALWART_EXTRACT_SCHEMA, STALWART_GIT_DIR, REGISTRY["tag"]],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == SCHEMA


# The file for each range of versions whose SQL directory reads the same keys.
TOML_FOR_VERSIONS = {("v0.9.0", "v0.10.6"): stalwart.TOML_09_FILE,
                     ("v0.10.7", "v0.15.5"): stalwart.TOML_FILE}


def _dotted(table, prefix=""):
    keys = set()
    for key, value in table.items():
        if isinstance(value, dict):
            keys |= _dotted(value, prefix + key + ".")
        else:
            keys.add(prefix + key)
    return keys


def test_every_toml_key_is_read_by_its_versions():
    """Each TOML file sets only keys its versions' SQL directory and MySQL
    store read (an unread key is a warning in Stalwart's log, and a sign
    the file does not do what it says), and the queries a login and a
    delivery need."""
    versions = SCHEMA["toml"]["versions"]
    assert {(v["first"], v["last"]) for v in versions} == set(TOML_FOR_VERSIONS)
    for version in versions:
        keys = version["keys"]
        full = stalwart.load_toml(TOML_FOR_VERSIONS[(version["first"], version["last"])])
        store = full["store"]["mailroute"]
        assert _dotted(store) - {"type"} - {"query." + q for q in store["query"]} \
            <= set(keys["store"]), version["first"]
        assert _dotted(full["directory"]["mailroute"]) - {"type"} <= set(keys["directory"]), \
            version["first"]
        assert {"name", "recipients", "emails"} <= set(store["query"]) <= set(keys["query"]), \
            version["first"]


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


# --- the database password from a file ------------------------------------------

README_PASSWORD_FILE = re.compile(r"^\s*(printf '%s' '<password>' > )(\S+)$", re.M)


def test_password_file_as_the_readme_writes_it(mariadb, stalwart_db, workdir):
    """0.9-0.15 take the file's bytes as the password, a final newline
    included (utils/src/config/mod.rs, the `file` macro): the README's
    command writes none, and the database accepts the password read that
    way; a file written with echo is refused. 0.16's File secret is
    trimmed at the end (registry/src/utils/secret.rs) and takes both."""
    with open(os.path.join(stalwart.STALWART_CONF_DIR, "README.md")) as f:
        command = README_PASSWORD_FILE.search(f.read())
    assert command, "README.md has no printf command for the password file"
    path = os.path.join(workdir, "mailroute-db.password")
    written = {"readme": command.group(1).replace("<password>", stalwart.PASSWORD) + path,
               "echo": "echo '%s' > %s" % (stalwart.PASSWORD, path)}
    for how, shell in written.items():
        subprocess.run(["sh", "-c", shell], check=True)
        with open(path, "rb") as f:
            raw = f.read().decode()
        if how == "readme":
            stalwart.Directory(mariadb, stalwart_db, password=raw).close()
        else:
            with pytest.raises(Exception) as refused:
                stalwart.Directory(mariadb, stalwart_db, password=raw)
            assert "Access denied" in str(refused.value)
        stalwart.Directory(mariadb, stalwart_db, password=raw.rstrip()).close()


# --- secrets ------------------------------------------------------------------

PASSWORD = "Corr3ct hörse \u2603 battery"


def django_style_scrypt(password, salt="c2FsdHNhbHQ", n=2 ** 14, r=8, p=1):
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                         maxmem=2 ** 26, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(key).decode())


def argon2_old_style(password, version):
    """Django <= 3.1's argon2i, m=512,t=2,p=2, with or without v=."""
    from argon2.low_level import Type, hash_secret
    encoded = hash_secret(password.encode(), b"saltsaltsalt", time_cost=2, memory_cost=512,
                          parallelism=2, hash_len=16, type=Type.I, version=version).decode()
    if version == 0x10:
        encoded = encoded.replace("$v=16$", "$")
    return "argon2" + encoded


def convertible_vectors(password):
    hashers = fixtures.django_hashers()
    made = {name: hashers.make_password(password, hasher=name)
            for name in ("pbkdf2_sha256", "argon2", "bcrypt", "unsalted_sha1",
                         "unsalted_md5", "crypt")}
    made["pbkdf2_sha256 short salt"] = hashers.make_password(password, salt="abc",
                                                             hasher="pbkdf2_sha256")
    made["md5 bare"] = hashlib.md5(password.encode()).hexdigest()
    made["scrypt"] = django_style_scrypt(password)
    made["argon2i v=19"] = argon2_old_style(password, 0x13)
    made["argon2i no version"] = argon2_old_style(password, 0x10)
    return made


def secret_of(mariadb, directory, stored):
    mariadb.query("UPDATE auth_user SET password = %s WHERE id = 1", (stored,), db=DB)
    return login(directory, "john@example.com").secret


@pytest.fixture
def restore_john(mariadb, stalwart_db):
    """john's stored hash put back after each test that sets it, so that
    no test sees what another left (a test that stops early included)."""
    saved = mariadb.query("SELECT password FROM auth_user WHERE id = 1", db=stalwart_db)[0][0]
    yield
    mariadb.query("UPDATE auth_user SET password = %s WHERE id = 1", (saved,), db=stalwart_db)


def test_converted_secrets_verify_independently(mariadb, directory, phc_verify, restore_john):
    for name, stored in convertible_vectors(PASSWORD).items():
        pw = PASSWORD
        if name == "crypt":  # DES crypt: ASCII, 8 characters
            pw = "Tr0ub4dr"
            stored = fixtures.django_hashers().make_password(pw, hasher="crypt")
        secret = secret_of(mariadb, directory, stored)
        assert secret is not None, name
        assert "\n" not in secret and secret != stored, name
        verify = lambda p: stalwart.verify_secret(secret, p, phc_verify)  # noqa: E731
        assert verify(pw), name
        assert not verify("x" + pw), name
        assert not verify(stored), name  # the Django hash is no password


def test_base64_helpers_never_wrap(mariadb, stalwart_db):
    """TO_BASE64 wraps at 76 characters; the secrets' encoders must not."""
    data = bytes(range(256))[:200]
    one_line, phc = mariadb.query("SELECT mailroute_base64(%s), mailroute_phc_base64(%s)",
                                  (data, data), db=stalwart_db)[0]
    assert one_line == base64.b64encode(data).decode()
    assert phc == one_line.rstrip("=") and "\n" not in phc


@pytest.mark.parametrize("hasher", ["bcrypt_sha256", "pbkdf2_sha1", "sha1", "md5"])
def test_unconvertible_hashes_give_no_secret(mariadb, directory, restore_john, hasher):
    stored = fixtures.django_hashers().make_password(PASSWORD, hasher=hasher)
    assert secret_of(mariadb, directory, stored) is None


@pytest.mark.parametrize("stored", [
    "!unusable", "", "pbkdf2_sha256$0260000$salt$" + "A" * 43 + "=",
    "pbkdf2_sha256$260000$salt$short=", "PBKDF2_SHA256$260000$salt$" + "A" * 43 + "=",
    "scrypt$16385$salt$8$1$" + "A" * 86 + "==", "md5$$" + "A" * 32, "plain-text-password",
    "bcrypt$$2x$12$" + "a" * 53, "argon2$argon2id$v=19$m=1,t=1$salt$hash"])
def test_malformed_hashes_give_no_secret(mariadb, directory, restore_john, stored):
    assert secret_of(mariadb, directory, stored) is None


def census_with_passwords(mariadb, db, config, passwords):
    """hash-census run with auth_user.password set as given ({user id:
    stored value}), the old values put back afterwards."""
    ids = ", ".join(str(int(user_id)) for user_id in passwords)
    saved = mariadb.query("SELECT id, password FROM auth_user WHERE id IN (%s)" % ids, db=db)
    try:
        for user_id, stored in passwords.items():
            mariadb.query("UPDATE auth_user SET password = %s WHERE id = %s",
                          (stored, user_id), db=db)
        return subprocess.run([ADMIN_CLI, "-c", config, "hash-census"],
                              capture_output=True, text=True)
    finally:
        for user_id, password in saved:
            mariadb.query("UPDATE auth_user SET password = %s WHERE id = %s",
                          (password, user_id), db=db)


def test_hash_census(mariadb, stalwart_db, stalwart_config, directory, restore_john):
    """Counts per format; lists the accounts that may log in with a hash
    Stalwart cannot verify; its format table agrees with the database's
    conversion for every format."""
    hashers = fixtures.django_hashers()
    planted = {3: "bcrypt_sha256", 20: "pbkdf2_sha1", 21: "sha1", 5: "md5", 2: "unsalted_md5"}
    out = census_with_passwords(mariadb, stalwart_db, stalwart_config, {
        user_id: hashers.make_password("pw", hasher=hasher)
        for user_id, hasher in planted.items()})
    assert out.returncode == 1, out
    lines = [line.split("\t") for line in out.stdout.splitlines() if not line.startswith("#")]
    listed = {(row[1], row[2]) for row in lines if len(row) == 3}
    table = {row[0]: row[1:] for row in lines if len(row) == 4}
    # 105 inactive (md5) is not listed: it cannot log in anywhere
    assert listed == {("jürgen@example.com", "bcrypt_sha256"),
                      ("bigquota@example.com", "pbkdf2_sha1"),
                      ("contuser@example.com", "sha1")}
    assert table["md5"] == ["1", "0", "no"]
    # the decoy's cost against the PBKDF2 cost of the hashes that may log
    # in (Django's default here, as the test config's decoy: no advice)
    pbkdf2 = int(table["pbkdf2_sha256"][1]) + int(table["pbkdf2_sha1"][1])
    iterations = fixtures.django_pbkdf2_iterations()
    assert out.stdout.rstrip().endswith(
        "# pbkdf2 iterations: median %d over %d hashes; dummy_pbkdf2_iterations = %d"
        % (iterations, pbkdf2, iterations)), out.stdout
    assert table["unsalted_md5"] == ["1", "1", "yes"]
    assert table["unusable"][2] == "no" and table["empty"][2] == "no"
    assert sum(int(v[0]) for v in table.values()) == int(mariadb.query(
        "SELECT COUNT(DISTINCT account_id, domain_id) FROM mailroute_login", db=stalwart_db)[0][0])
    assert "\n# 3 accounts to move before Stalwart\n" in out.stdout
    # the census's format table and the database's conversion agree
    for hasher in fixtures.django_hasher_names():
        converted = secret_of(mariadb, directory, hashers.make_password("pw", hasher=hasher))
        out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, "hash-census"],
                             capture_output=True, text=True)
        row = [line.split("\t") for line in out.stdout.splitlines()
               if line.startswith(hasher + "\t")]
        assert row and len(row[0]) == 4, (hasher, out.stdout)
        assert (row[0][3] == "yes") == (converted is not None), hasher


def test_census_lists_unverifiable_hashes(mariadb, stalwart_db, stalwart_config, restore_john):
    """A stored hash every front end refuses at each login (malformed, over
    a cap) is listed with the account id and the reason, and sets exit 1;
    a hash that is merely unusable ("!") is not a data error."""
    planted = {3: "pbkdf2_sha256$0260000$salt$AAAA",
               20: "scrypt$2097152$salt$2$1$aGVsbG8=",
               21: "md5$salt$NOT-HEX",
               5: "!unusable"}
    out = census_with_passwords(mariadb, stalwart_db, stalwart_config, planted)
    assert out.returncode == 1, out
    rows = [line.split("\t") for line in out.stdout.splitlines()
            if not line.startswith("#") and line.count("\t") == 4]
    listed = {(row[1], row[2], row[3]) for row in rows}
    assert listed == {("jürgen@example.com", "pbkdf2_sha256", "malformed"),
                      ("bigquota@example.com", "scrypt", "over-cap"),
                      ("contuser@example.com", "md5", "malformed")}, out.stdout
    assert all(row[0].isdigit() and row[4] for row in rows)
    assert "\n# 3 accounts with an unverifiable hash\n" in out.stdout
    # the reason names the field, never the stored value
    assert "AAAA" not in out.stdout and "NOT-HEX" not in out.stdout


def test_census_fails_cleanly_without_database(workdir, mariadb):
    dead = fixtures.write_config(os.path.join(workdir, "census-dead.conf"), mariadb, DB,
                                 db_socket="/nonexistent.sock")
    out = subprocess.run([ADMIN_CLI, "-c", dead, "hash-census"], capture_output=True, text=True)
    assert out.returncode == 3 and "database" in out.stderr


# --- index access at 1,000,000 accounts ----------------------------------------

SCALE_DB = "stalwart_scale"
SCALE_VALUES = {
    "name": "user500000@dom50000.example",
    "emails": "user500000@dom50000.example", "recipients": "alias500000-x+y@alias50000.example",
    "verify": "user500000@ext500000.example", "expand": "team@alias50000.example",
    "domains": "ext500000.example", "queryLogin": "user500000@dom50000.example",
    "queryRecipient": "alias500000@alias50000.example",
    "queryEmailAliases": "user500000@dom50000.example",
}
# Reading one account touches a few dozen index entries (a few hundred
# with the emails query's temporary tables); a scan of any of the big
# tables reads 100,000 rows or more.
MAX_HANDLER_READS = 1000


@pytest.fixture(scope="module")
def scale_db(mariadb):
    scale.load(mariadb, SCALE_DB)
    yield SCALE_DB
    mariadb.query("DROP DATABASE %s" % SCALE_DB)


def explain_and_count(mariadb, db, query, value):
    conn = mariadb.connect(db)
    try:
        cur = conn.cursor()
        cur.execute("SET @v = %s", (value,))
        cur.execute("PREPARE s FROM %s", ("EXPLAIN " + query,))
        cur.execute("EXECUTE s USING @v")
        names = [d[0] for d in cur.description]
        plan = [dict(zip(names, row)) for row in cur.fetchall()]
        cur.execute("PREPARE s FROM %s", (query,))
        cur.execute("FLUSH STATUS")
        cur.execute("EXECUTE s USING @v")
        rows = cur.fetchall()
        cur.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
        reads = sum(int(v) for _, v in cur.fetchall())
        return plan, rows, reads
    finally:
        conn.close()


@pytest.mark.parametrize("source,key,query", ALL_QUERIES)
def test_index_access_at_a_million_accounts(mariadb, scale_db, source, key, query):
    plan, rows, reads = explain_and_count(mariadb, scale_db, query, SCALE_VALUES[key])
    for step in plan:
        # the recursive CTE walks the function's array (its own derived
        # table and union), not a table of the schema
        scans_table = (step["type"] in ("ALL", "index")
                       and not re.fullmatch(r"<(derived|union)[0-9,]+>", step["table"] or ""))
        assert not scans_table, (key, step)
    assert reads <= MAX_HANDLER_READS, (key, reads, plan)
    assert rows, (key, "the scale account or list must be found")


@pytest.fixture
def lookalike_members(mariadb, stalwart_db):
    """jöhn@example.com, an account of its own beside john@ (SPEC 3: two
    names), and both on sales@ (customer 1). Removed afterwards."""
    q = lambda sql: mariadb.query(sql, db=stalwart_db)  # noqa: E731
    q("INSERT INTO auth_user (id, username, password, is_active) "
      "VALUES (950, 'user950', '', 1)")
    q("INSERT INTO amavisd_emailaccount (id, uuid, user_id, localpart, policy_id) "
      "VALUES (950, 'a0000000000000000000000000000950', 950, 'jöhn', 1)")
    q("INSERT INTO amavisd_localpartalias (id, email_account_id, localpart, domain_id) "
      "VALUES (9950, 950, 'jöhn', 1)")
    q("INSERT INTO mailroute_list_member (id, list_id, account_id) VALUES "
      "(950, 2, 101), (951, 2, 950)")
    yield
    q("DELETE FROM mailroute_list_member WHERE id IN (950, 951)")
    q("DELETE FROM amavisd_localpartalias WHERE id = 9950")
    q("DELETE FROM amavisd_emailaccount WHERE id = 950")
    q("DELETE FROM auth_user WHERE id = 950")


SALES_MEMBERS = ["john-smith@example.com", "john@example.com", "jöhn@example.com"]


def test_lookalike_accounts_are_two_members_everywhere(workdir, directory, stalwart_config,
                                                     lookalike_members):
    """john@ and jöhn@ are two accounts on one list: every Stalwart output
    names both (they were deduplicated by the collated name, which made
    them one): 0.9's recipients and expand, stalwart-lists (0.10.7-0.15)
    and stalwart-mailing-lists (0.16)."""
    for query in ("recipients", "expand"):
        assert sorted(directory.first_column(Q09[query], "sales@example.com")) == \
            SALES_MEMBERS, query
    out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, "stalwart-lists"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    sales = next(obj for obj in map(json.loads, out.stdout.splitlines())
                 if obj["name"] == "sales@example.com")
    assert sorted(sales["members"]) == SALES_MEMBERS, sales
    out = run_mailing_lists(workdir, stalwart_config, DOMAIN_IDS_016 + "example.net d\n")
    assert out.returncode == 0, out.stderr
    sales = next(obj for obj in map(json.loads, out.stdout.splitlines())
                 if obj["name"] == "sales")
    assert sorted(a for a in sales["recipients"] if a.endswith("@example.com")) == \
        SALES_MEMBERS, sales


@pytest.mark.parametrize("command", ["stalwart-lists", "stalwart-mailing-lists"])
def test_nul_in_a_description_is_a_data_error(workdir, mariadb, stalwart_db, stalwart_config,
                                              command):
    """"before\\0after" never prints as "before": a data error (exit 3)."""
    mariadb.query("UPDATE mailroute_list SET description = %s WHERE id = 2",
                  ("before\x00after",), db=stalwart_db)
    try:
        if command == "stalwart-lists":
            out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, command],
                                 capture_output=True, text=True)
        else:
            out = run_mailing_lists(workdir, stalwart_config, DOMAIN_IDS_016)
    finally:
        mariadb.query("UPDATE mailroute_list SET description = 'sales' WHERE id = 2",
                      db=stalwart_db)
    assert out.returncode == 3 and "NUL byte" in out.stderr, out
    assert '"before"' not in out.stdout
