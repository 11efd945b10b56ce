-- Migration 0013 down: the shared mailbox dictionary table removed. The
-- rights stay in the mailboxes' ACL files; with the table gone, members
-- list no shared folders (opening one by name still works) until it is
-- migrated up again and `doveadm acl recalc -A` has refilled it, or the
-- Dovecot hosts go back to a file dictionary.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0013_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0013_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 13) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0013 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 13;
END ;;
DELIMITER ;
CALL mailroute_migration_0013_down();
DROP PROCEDURE mailroute_migration_0013_down;

DROP VIEW IF EXISTS mailroute_shared_mailbox_continuity;
DROP TABLE IF EXISTS mailroute_shared_mailbox_unlisted;
DROP TABLE IF EXISTS mailroute_shared_mailbox;
