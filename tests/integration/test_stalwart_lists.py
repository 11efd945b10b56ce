"""Distribution lists for Stalwart (SPEC 8, 11): 0.9.0-0.10.6 deliver
through the recipients and expand queries; 0.10.7-0.15 take
`mailroute-auth stalwart-lists` through the management API, 0.16
`stalwart-mailing-lists` as registry objects."""
import json
import os
import re
import subprocess

import pytest

from mrtest import stalwart
from mrtest.paths import ADMIN_CLI, STALWART_GIT_DIR

DB = stalwart.DB
Q = stalwart.queries()
Q09 = stalwart.queries(stalwart.TOML_09_FILE)
COLUMNS = stalwart.columns()

REGISTRY = stalwart.load_schema()["registry"]


def login(directory, name):
    return directory.principal(Q["name"], name, COLUMNS)


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
