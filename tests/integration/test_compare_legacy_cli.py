"""mailroute-auth compare-legacy, the cut-over comparator (issue 14): on
the fixtures migrated up to the retirement of temporary_hosted, every
address answered by the legacy production queries and by mailroute; each
intended difference named, an operator's change after the migration
reported as unexpected, no stored hash printed; after migration 0003 a
clear refusal. Its legacy queries are the reference file's, verbatim."""
import ast
import os
import re
import subprocess

import pytest

from mrtest import fixtures
from mrtest.legacy import query as legacy_query
from mrtest.paths import ADMIN_CLI, SOURCE_DIR, SQL_DIR

DB = "cmplegacy"

# (address, field, category) the fixtures must give, and nothing else
EXPECTED = {
    ("john-smith@example.com", "home", "intended: exact match before delimiter cut"),
    ("john-smith@example.net", "home", "intended: exact match before delimiter cut"),
    ("inactive@example.com", "login", "intended: inactive user may not log in"),
    ("inactive@example.net", "login", "intended: inactive user may not log in"),
    ("cont@continuity30.org", "acl_groups", "intended: acl_groups now delivered"),
    ("contnull@contnull.org", "acl_groups", "intended: acl_groups now delivered"),
    ("cont0@cont0.org", "acl_groups", "intended: acl_groups now delivered"),
    ("cont0@cont0.org", "userdb_import", "intended: 0 storage days expire nothing"),
    ("both@both.net", "userdb_import", "intended: hosted wins over continuity"),
    ("shared-box@quota0.com", "login", "intended: two accounts on one address refused"),
    ("shared-box@quota0.com", "user", "intended: two accounts on one address refused"),
    ("../x@unsafe.test", "login", "intended: no mail path from unsafe names"),
    ("../x@unsafe.test", "user", "intended: no mail path from unsafe names"),
    ("a/b@unsafe.test", "login", "intended: no mail path from unsafe names"),
    ("a/b@unsafe.test", "user", "intended: no mail path from unsafe names"),
    ("short@x", "login", "intended: no mail path from unsafe names"),
    ("short@x", "user", "intended: no mail path from unsafe names"),
}


@pytest.fixture(scope="module")
def before_cutover(mariadb, workdir):
    """The fixtures with every migration but 0003: the policy columns and
    views in place, temporary_hosted still there."""
    fixtures.load_fixtures(mariadb, DB)
    for path in fixtures.migrations("up"):
        if not os.path.basename(path).startswith("0003_"):
            code, _, err = mariadb.run_file(path, DB)
            assert code == 0, err
    return fixtures.write_config(os.path.join(workdir, "cmplegacy.conf"), mariadb, DB)


def compare(config, jobs=None):
    out = subprocess.run([ADMIN_CLI, "-c", config, "compare-legacy"]
                         + ([str(jobs)] if jobs else []), capture_output=True, text=True)
    rows = [line.split("\t") for line in out.stdout.splitlines() if not line.startswith("#")]
    return out, {(r[0], r[1], r[2]) for r in rows}


def test_intended_differences_only(mariadb, before_cutover):
    out, found = compare(before_cutover)
    assert out.returncode == 0, out.stderr
    assert found == EXPECTED
    addresses = mariadb.query("SELECT COUNT(*) FROM mailroute_login", db=DB)[0][0]
    assert "# %d addresses compared\n" % addresses in out.stdout
    assert "intended, 0 unexpected differences\n" in out.stdout
    # no stored hash, whatever its format, is ever printed
    for (stored,) in mariadb.query("SELECT password FROM auth_user WHERE password <> ''", db=DB):
        assert stored not in out.stdout + out.stderr


def test_workers_share_the_addresses(mariadb, before_cutover):
    """Three worker processes: the same lines (none lost, none twice, none
    mixed) and the same summary as one process."""
    one, _ = compare(before_cutover)
    three, _ = compare(before_cutover, jobs=3)
    assert three.returncode == 0, three.stderr
    body = lambda out: sorted(l for l in out.stdout.splitlines() if not l.startswith("#"))  # noqa: E731
    summary = lambda out: [l for l in out.stdout.splitlines() if l.startswith("#")]  # noqa: E731
    assert body(three) == body(one) and summary(three) == summary(one)


def test_a_change_after_the_migration_is_unexpected(mariadb, before_cutover):
    """An account quota set on the new columns only (bigquota's own
    policy, 22): the legacy query does not know it, so the comparator
    reports it, at each of the account's addresses, and exits 1."""
    mariadb.query("UPDATE amavisd_policy SET quota_mb = 777 WHERE id = 22", db=DB)
    try:
        out, found = compare(before_cutover)
    finally:
        mariadb.query("UPDATE amavisd_policy SET quota_mb = NULL WHERE id = 22", db=DB)
    assert out.returncode == 1, out
    unexpected = {f for f in found if f[2] == "unexpected"}
    assert unexpected == {("bigquota@example.com", "quota_rule", "unexpected"),
                          ("bigquota@example.net", "quota_rule", "unexpected")}, found
    assert "new: *:storage=777M" in out.stdout


def test_after_retirement_it_says_why_it_cannot(mariadb, before_cutover):
    retired = os.path.join(SQL_DIR, "migrations", "0003_retire_temporary_hosted.up.sql")
    assert mariadb.run_file(retired, DB)[0] == 0
    try:
        out, _ = compare(before_cutover)
        assert out.returncode == 3
        assert "compare before migration 0003 renames temporary_hosted" in out.stderr
    finally:
        # 0003's down refuses while later migrations are applied
        mariadb.query("RENAME TABLE temporary_hosted_retired TO temporary_hosted", db=DB)
        mariadb.query("DELETE FROM mailroute_schema_version WHERE version = 3", db=DB)


def c_string(source, name):
    """The value of a C string constant made of adjacent literals."""
    body = re.search(r"const char %s\[\] =\n(.*?);\n" % name, source, re.S).group(1)
    return "".join(ast.literal_eval(piece) for piece in re.findall(r'"(?:[^"\\]|\\.)*"', body))


def normalized(sql):
    return " ".join(sql.replace("\n", " ").split()).rstrip(";")


def test_queries_are_the_reference_files():
    with open(os.path.join(SOURCE_DIR, "cli", "compare-legacy.c")) as f:
        source = f.read()
    passdb = legacy_query(1).replace("'$localpart'", "?").replace("'$domain'", "?")
    userdb = legacy_query(2).replace("'%n'", "?").replace("'%d'", "?")
    assert normalized(c_string(source, "compare_legacy_passdb_query")) == normalized(passdb)
    assert normalized(c_string(source, "compare_legacy_userdb_query")) == normalized(userdb)
