-- Migration 0006 down: the collision guard and its view removed; no table
-- or row was changed by the up migration.

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0006_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0006_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 6) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0006 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 6;
END ;;
DELIMITER ;
CALL mailroute_migration_0006_down();
DROP PROCEDURE mailroute_migration_0006_down;

DROP TRIGGER IF EXISTS mailroute_domain_name_update_guard;
DROP TRIGGER IF EXISTS mailroute_domain_name_insert_guard;
DROP TRIGGER IF EXISTS mailroute_alias_update_guard;
DROP TRIGGER IF EXISTS mailroute_alias_insert_guard;
DROP VIEW IF EXISTS mailroute_collision;
DROP PROCEDURE IF EXISTS mailroute_guard_domain_name;
DROP PROCEDURE IF EXISTS mailroute_guard_alias;
DROP PROCEDURE IF EXISTS mailroute_refuse_collision;
DROP FUNCTION IF EXISTS mailroute_other_account;
DROP FUNCTION IF EXISTS mailroute_name_key;
