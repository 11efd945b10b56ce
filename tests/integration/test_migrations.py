"""Migrations on a real MariaDB: idempotent up, exact up-then-down,
conflict detection that changes nothing, and index-driven lookups."""
import re

import pytest

from mrtest import fixtures

TABLES = ["auth_user", "amavisd_customer", "amavisd_policy", "amavisd_domain",
          "amavisd_domainalias", "amavisd_emailaccount", "amavisd_localpartalias",
          "temporary_hosted"]


def snapshot(server, db):
    """Structure and content of every table, as comparable values."""
    tables = [r[0] for r in server.query("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'", db=db)]
    state = {"tables": sorted(tables)}
    for table in tables:
        create = server.query("SHOW CREATE TABLE `%s`" % table, db=db)[0][1]
        state[table] = (re.sub(r" AUTO_INCREMENT=\d+", "", create),
                        server.query("CHECKSUM TABLE `%s` EXTENDED" % table, db=db)[0][1])
    state["views"] = sorted(r[0] for r in server.query(
        "SHOW FULL TABLES WHERE Table_type = 'VIEW'", db=db))
    state["routines"] = sorted(r[0] for r in server.query(
        "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s", (db,)))
    state["triggers"] = sorted(r[0] for r in server.query(
        "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s", (db,)))
    return state


@pytest.fixture
def fresh_db(mariadb):
    fixtures.load_fixtures(mariadb, "migtest")
    return "migtest"


def run(server, db, name, direction):
    import os
    from mrtest.paths import SQL_DIR
    return server.run_file(os.path.join(SQL_DIR, "migrations", "%s.%s.sql" % (name, direction)), db)


MIGRATIONS = ["0001_policy_settings", "0002_login_view", "0003_retire_temporary_hosted"]


def test_up_then_down_restores_everything(mariadb, fresh_db):
    before = snapshot(mariadb, fresh_db)
    fixtures.migrate(mariadb, fresh_db, "up")
    after_up = snapshot(mariadb, fresh_db)
    assert after_up != before
    assert "mailroute_login" in after_up["views"]
    assert "temporary_hosted_retired" in after_up["tables"]
    fixtures.migrate(mariadb, fresh_db, "down")
    assert snapshot(mariadb, fresh_db) == before
    # and up again: the same as the first time (but for applied_at)
    fixtures.migrate(mariadb, fresh_db, "up")
    again = snapshot(mariadb, fresh_db)
    for state in (again, after_up):
        state.pop("mailroute_schema_version")
    assert again == after_up


def test_ddl_gives_up_behind_a_long_transaction(mariadb, fresh_db):
    """A transaction that has read amavisd_policy holds its metadata lock
    until it ends. Migration 0001 waits lock_wait_timeout (3 s) for it,
    not the server's default day (during which every query on the table
    would queue behind the waiting ALTER), then fails with error 1205 and
    changes nothing; run again once the transaction is over, it
    completes."""
    import os
    import subprocess
    from mrtest.mariadb import _find
    from mrtest.paths import SQL_DIR
    before = snapshot(mariadb, fresh_db)
    holder = mariadb.connect(fresh_db)
    holder.autocommit(False)
    holder.cursor().execute("SELECT COUNT(*) FROM amavisd_policy")
    path = os.path.join(SQL_DIR, "migrations", "0001_policy_settings.up.sql")
    try:
        with open(path, "rb") as f:
            waited = subprocess.run([_find("mariadb", "mysql"), "--no-defaults", "--batch",
                                     "--socket=" + mariadb.socket, "-uroot", fresh_db],
                                    stdin=f, capture_output=True, timeout=120)
        assert waited.returncode != 0
        assert b"Lock wait timeout exceeded" in waited.stderr, waited.stderr
        assert snapshot(mariadb, fresh_db)["amavisd_policy"] == before["amavisd_policy"]
        assert mariadb.query("SELECT COUNT(*) FROM mailroute_schema_version",
                             db=fresh_db) == ((0,),)
    finally:
        holder.rollback()
        holder.close()
    assert run(mariadb, fresh_db, "0001_policy_settings", "up")[0] == 0
    assert mariadb.query("SELECT version FROM mailroute_schema_version", db=fresh_db) == ((1,),)


def test_each_step_down_restores_previous_step(mariadb, fresh_db):
    states = [snapshot(mariadb, fresh_db)]
    for name in MIGRATIONS:
        assert run(mariadb, fresh_db, name, "up")[0] == 0
        states.append(snapshot(mariadb, fresh_db))
    for i, name in reversed(list(enumerate(MIGRATIONS))):
        code, out, err = run(mariadb, fresh_db, name, "down")
        assert code == 0, err
        assert snapshot(mariadb, fresh_db) == states[i], name


def test_up_twice_is_harmless(mariadb, fresh_db):
    fixtures.migrate(mariadb, fresh_db, "up")
    once = snapshot(mariadb, fresh_db)
    # an operator's change after the switch must survive a second run
    mariadb.query("UPDATE amavisd_policy SET quota_mb = 4096 WHERE id = 1", db=fresh_db)
    changed = snapshot(mariadb, fresh_db)
    fixtures.migrate(mariadb, fresh_db, "up")
    assert snapshot(mariadb, fresh_db) == changed != once
    versions = mariadb.query("SELECT version FROM mailroute_schema_version ORDER BY version", db=fresh_db)
    assert [v[0] for v in versions] == list(range(1, len(fixtures.migrations("up")) + 1))


def test_values_copied_to_domain_policies(mariadb, fresh_db):
    fixtures.migrate(mariadb, fresh_db, "up")
    rows = mariadb.query(
        "SELECT id, hosted_mail_enabled, continuity_enabled, continuity_storage_days, quota_mb "
        "FROM amavisd_policy WHERE id IN (1, 3, 5, 6, 7, 11, 24) ORDER BY id", db=fresh_db)
    assert rows == ((1, 1, 0, None, 1024), (3, 0, 1, 30, None), (5, 0, 1, 0, None),
                    (6, 1, 1, 14, 300), (7, None, None, None, None), (11, 1, 0, None, 500),
                    (24, None, None, None, None))


def test_down_refused_while_later_migration_applied(mariadb, fresh_db):
    fixtures.migrate(mariadb, fresh_db, "up")
    code, out, err = run(mariadb, fresh_db, "0001_policy_settings", "down")
    assert code != 0 and "later versions first" in err
    assert mariadb.query("SELECT COUNT(*) FROM mailroute_schema_version",
                         db=fresh_db)[0][0] == len(fixtures.migrations("up"))


CONFLICTS = [
    ("several rows for one domain",
     "INSERT INTO temporary_hosted (id, domain_id, hosted, continuity) VALUES (50, 3, 1, 0)",
     ["domain 3 has several temporary_hosted rows: ids 3,50"]),
    ("policy shared by domains that differ",
     "UPDATE amavisd_domain SET policy_id = 1 WHERE id = 7",
     ["policy 1 is shared by", "domain 1 [1,0,NULL,1024]", "domain 7 [0,0,NULL,NULL]"]),
    ("account on another domain's policy",
     "UPDATE amavisd_emailaccount SET policy_id = 3 WHERE id = 102",
     ["policy 3 is shared by", "account 102 (domain 1) [1,0,NULL,1024]", "domain 3 [0,1,30,NULL]"]),
]


@pytest.mark.parametrize("name,change,expected", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_conflicts_stop_and_change_nothing(mariadb, fresh_db, name, change, expected):
    mariadb.query(change, db=fresh_db)
    before = snapshot(mariadb, fresh_db)
    code, out, err = run(mariadb, fresh_db, "0001_policy_settings", "up")
    print(out, err)
    assert code != 0
    assert "migration 0001 stopped, nothing changed" in err
    for text in expected:
        assert text in out
    after = snapshot(mariadb, fresh_db)
    # the leftover procedure and bookkeeping table are the only traces
    after["tables"] = [t for t in after["tables"] if t != "mailroute_schema_version"]
    after.pop("mailroute_schema_version", None)
    after["routines"] = before["routines"]
    assert after == before


# --- migration 0006: one address, one account ---------------------------------

# (statement, the account the refusal names); each refused on the migrated
# fixtures, in this order, every earlier one applied when it is allowed
GUARD_STEPS = [
    # ASCII case is the same name
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id) "
     "VALUES (102, 'JOHN', 1)", 101),
    # a look-alike is another name (SPEC 3): allowed
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id) "
     "VALUES (102, 'jöhn', 1)", None),
    # the same account may answer a name twice (domain and external)
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (101, 'JOHNNY', 1, 'other.example')", None),
    # an external address another account has, by its domain or external name
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (117, 'bob', 12, 'EXAMPLE.net')", None),
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (117, 'bob', 12, 'example.net')", None),
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (117, 'john', 12, 'example.net')", 101),
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (116, 'x', 11, 'John-External.example')", None),
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id, "
     "external_domain) VALUES (116, 'John', 11, 'john-external.example')", 101),
    # renaming or moving a row into another account's name
    ("UPDATE amavisd_localpartalias SET localpart = 'Johnny' WHERE id = 1004", 101),
    ("UPDATE amavisd_localpartalias SET domain_id = 2, localpart = 'mary' WHERE id = 1020", 104),
    # a domain name whose local parts another account already answers there
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id) "
     "VALUES (117, 'postmaster', 12)", None),
    ("INSERT INTO amavisd_domainalias (domain_id, name) VALUES (12, 'MIXED.example')", 104),
    ("UPDATE amavisd_domainalias SET name = 'mixed-alias.EXAMPLE' WHERE id = 14", 104),
    ("INSERT INTO amavisd_localpartalias (email_account_id, localpart, domain_id) "
     "VALUES (117, 'john', 12)", None),
    ("INSERT INTO amavisd_domainalias (domain_id, name) VALUES (12, 'JOHN-external.example')", 101),
    # two domains may share a name when no local part meets there
    ("INSERT INTO amavisd_domainalias (domain_id, name) VALUES (10, 'example.net')", None),
    # a row already in a collision can still be saved, and fixed
    ("UPDATE amavisd_localpartalias SET localpart = localpart WHERE id = 1028", None),
    ("UPDATE amavisd_localpartalias SET localpart = 'shared-box-2' WHERE id = 1028", None),
]


def test_name_guard_refuses_a_second_account_for_an_address(mariadb, fresh_db):
    """After migration 0006, no write gives an address a second account
    (SPEC 3's name equality: ASCII case only); a refused write changes
    nothing; writes that make no collision, or fix one, go through."""
    import MySQLdb
    fixtures.migrate(mariadb, fresh_db, "up")
    assert mariadb.query("SELECT login_localpart, login_domain, account_ids "
                         "FROM mailroute_collision", db=fresh_db) == (
        ("shared-box", "quota0.com", "122,123"),)
    for statement, other in GUARD_STEPS:
        before = snapshot(mariadb, fresh_db)
        try:
            mariadb.query(statement, db=fresh_db)
            refusal = None
        except MySQLdb.IntegrityError as e:
            refusal = str(e)
        if other is None:
            assert refusal is None, (statement, refusal)
            continue
        assert refusal and "already names account %d" % other in refusal, (statement, refusal)
        assert snapshot(mariadb, fresh_db) == before, statement
    assert mariadb.query("SELECT COUNT(*) FROM mailroute_collision", db=fresh_db)[0][0] == 0


def test_version_is_recorded_last(mariadb, fresh_db):
    """Every migration's version row is its last write: cut anywhere
    before its end (here: before the last statement), the version is not
    recorded, so a half-applied migration never passes for a whole one.
    (0001 and 0003 do their work and record it inside one procedure,
    the record last there.)"""
    import os
    cut = os.path.join(mariadb.root, "cut-migration.sql")
    for path in fixtures.migrations("up"):
        text = open(path).read()
        version = int(os.path.basename(path)[:4])
        last = text.rindex("INSERT INTO mailroute_schema_version")
        if version in (1, 3):
            assert "END IF;\nEND ;;" in text[last:], path
            assert mariadb.run_file(path, fresh_db)[0] == 0, path
            continue
        with open(cut, "w") as f:
            f.write(text[:last])
        assert mariadb.run_file(cut, fresh_db)[0] == 0, path
        recorded = mariadb.query("SELECT COUNT(*) FROM mailroute_schema_version WHERE version = %s",
                                 (version,), db=fresh_db)[0][0]
        assert recorded == 0, path
        assert mariadb.run_file(path, fresh_db)[0] == 0, path


def test_stopped_migration_is_incomplete_until_run_again(workdir, mariadb, fresh_db):
    """Migration 0006 stopped midway by a lock wait (error 1205 after 3 s,
    behind a transaction that has read amavisd_localpartalias): its
    functions are made, its triggers are not, its version is not
    recorded; check-config refuses the schema as older than this
    release (exit 3); the file run again finishes it and check-config passes."""
    import os
    import subprocess
    from mrtest.mariadb import _find
    from mrtest.paths import ADMIN_CLI
    paths = fixtures.migrations("up")
    for path in paths[:5]:
        assert mariadb.run_file(path, fresh_db)[0] == 0, path
    config = fixtures.write_config(os.path.join(workdir, "stopped-migration.conf"),
                                   mariadb, fresh_db)
    holder = mariadb.connect(fresh_db)
    holder.autocommit(False)
    holder.cursor().execute("SELECT COUNT(*) FROM amavisd_localpartalias")
    try:
        with open(paths[5], "rb") as f:
            stopped = subprocess.run([_find("mariadb", "mysql"), "--no-defaults", "--batch",
                                      "--socket=" + mariadb.socket, "-uroot", fresh_db],
                                     stdin=f, capture_output=True, timeout=120)
    finally:
        holder.rollback()
        holder.close()
    assert stopped.returncode != 0 and b"Lock wait timeout" in stopped.stderr, stopped.stderr
    versions = [r[0] for r in mariadb.query("SELECT version FROM mailroute_schema_version",
                                            db=fresh_db)]
    assert max(versions) == 5, versions
    routines = [r[0] for r in mariadb.query(
        "SELECT routine_name FROM information_schema.routines WHERE routine_schema = %s",
        (fresh_db,))]
    assert "mailroute_name_key" in routines, routines
    check = subprocess.run([ADMIN_CLI, "-c", config, "check-config"], capture_output=True,
                           text=True)
    # the schema older than this release: reported at the version check,
    # or before it when preparing a statement finds an object missing
    assert check.returncode == 3, check
    assert "schema version 5" in check.stderr or "doesn't exist" in check.stderr, check
    for path in paths[5:]:
        assert mariadb.run_file(path, fresh_db)[0] == 0, path
    check = subprocess.run([ADMIN_CLI, "-c", config, "check-config"], capture_output=True,
                           text=True)
    assert check.returncode == 0, check
