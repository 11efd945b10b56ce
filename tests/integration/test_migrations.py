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
