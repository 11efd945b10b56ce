-- Migration 0009 down: distribution lists removed, their rows with them
-- (mailroute_list and mailroute_list_member hold nothing else).

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0009_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0009_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 9) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0009 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 9;
END ;;
DELIMITER ;
CALL mailroute_migration_0009_down();
DROP PROCEDURE mailroute_migration_0009_down;

DROP VIEW IF EXISTS mailroute_list_collision;
DROP VIEW IF EXISTS mailroute_list_expansion;
DROP VIEW IF EXISTS mailroute_list_target;
DROP VIEW IF EXISTS mailroute_list_address;
DROP TABLE IF EXISTS mailroute_list_member;
DROP TABLE IF EXISTS mailroute_list;
DROP PROCEDURE IF EXISTS mailroute_list_check_member_row;
DROP PROCEDURE IF EXISTS mailroute_list_check_account;
DROP FUNCTION IF EXISTS mailroute_account_of_customer;
DROP PROCEDURE IF EXISTS mailroute_list_check_member;
DROP PROCEDURE IF EXISTS mailroute_list_check_address;
