-- Migration 0010 down: quota usage removed (Dovecot's quota_clone writes
-- it again, per user, at the next change once migrated up).

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0010_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0010_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 10) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0010 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 10;
END ;;
DELIMITER ;
CALL mailroute_migration_0010_down();
DROP PROCEDURE mailroute_migration_0010_down;

DROP VIEW IF EXISTS mailroute_quota_report;
DROP TABLE IF EXISTS mailroute_quota_usage;
