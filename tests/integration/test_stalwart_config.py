"""Stalwart's SQL directory (SPEC 8), its configuration: the shipped
files for 0.9-0.10.6, 0.10.7-0.15 and 0.16 agree with each other and with
the schema in Stalwart's source at its release tags (every key read, the
0.16 object as its registry takes it); every query takes one bound
value; the store is the read-only user over TLS, its password read from a
file as the README there writes it."""
import json
import os
import re
import subprocess

import pytest

from mrtest import stalwart
from mrtest.paths import STALWART_EXTRACT_SCHEMA, STALWART_GIT_DIR

DB = stalwart.DB
Q = stalwart.queries()
Q09 = stalwart.queries(stalwart.TOML_09_FILE)
J16 = stalwart.load_json()
COLUMNS = stalwart.columns()

# Every query Stalwart can be given, by file and key.
ALL_QUERIES = [pytest.param(source, key, query, id="%s-%s" % (source, key))
               for source, key, query in stalwart.all_queries()]


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
