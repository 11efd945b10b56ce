-- Migration 0003 up: once every reader uses the policy columns, the
-- stop-gap table goes. It is renamed, not dropped, so the switch can be
-- undone (down) or audited; drop temporary_hosted_retired by hand when the
-- switch is settled.

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0003_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0003_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 2) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0003 needs migration 0002';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 3) THEN
    RENAME TABLE temporary_hosted TO temporary_hosted_retired;
    INSERT INTO mailroute_schema_version (version, name)
      VALUES (3, 'retire_temporary_hosted');
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0003_up();
DROP PROCEDURE mailroute_migration_0003_up;
