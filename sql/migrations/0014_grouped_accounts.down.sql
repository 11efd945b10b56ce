-- Migration 0014 down: the marks of accounts in a group removed. Programs
-- of schema 14 then fail their lookups (a temporary failure, never a
-- wrong answer): put back the programs of schema 13 first.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0014_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0014_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 14) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0014 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 14;
END ;;
DELIMITER ;
CALL mailroute_migration_0014_down();
DROP PROCEDURE mailroute_migration_0014_down;

DROP TRIGGER IF EXISTS mailroute_group_member_grouped_update;
DROP TRIGGER IF EXISTS mailroute_group_member_grouped_insert;
DROP TABLE IF EXISTS mailroute_grouped_account;
