-- Migration 0003 down: brings temporary_hosted back from its backup, for
-- the legacy queries.

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0003_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0003_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 3) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0003 down refused: run the down migrations of later versions first';
  END IF;
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 3) THEN
    RENAME TABLE temporary_hosted_retired TO temporary_hosted;
    DELETE FROM mailroute_schema_version WHERE version = 3;
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0003_down();
DROP PROCEDURE mailroute_migration_0003_down;
