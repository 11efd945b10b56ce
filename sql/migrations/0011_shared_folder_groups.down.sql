-- Migration 0011 down: shared folder groups removed, their rows with them
-- (mailroute_group and mailroute_group_member hold nothing else). Rights
-- granted to the groups stay in the mailboxes' ACL files and apply to
-- nobody.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0011_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0011_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 11) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0011 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 11;
END ;;
DELIMITER ;
CALL mailroute_migration_0011_down();
DROP PROCEDURE mailroute_migration_0011_down;

DROP TRIGGER IF EXISTS mailroute_group_domain_deleted;
DROP TRIGGER IF EXISTS mailroute_group_domain_renamed;
DROP TRIGGER IF EXISTS mailroute_group_domain_rename;
DROP VIEW IF EXISTS mailroute_account_group;
DROP TABLE IF EXISTS mailroute_group_member;
DROP TABLE IF EXISTS mailroute_group;
DROP PROCEDURE IF EXISTS mailroute_group_check_member;
DROP PROCEDURE IF EXISTS mailroute_group_refuse_retired;
DROP PROCEDURE IF EXISTS mailroute_group_retire;
DROP TABLE IF EXISTS mailroute_group_retired;
