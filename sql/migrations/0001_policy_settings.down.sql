-- Migration 0001 down: removes the policy columns and the lookup indexes.
-- temporary_hosted was only read by up, so the data is as it was before.
-- Refuses while a later migration is applied.

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

CREATE TABLE IF NOT EXISTS mailroute_schema_version (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

DROP PROCEDURE IF EXISTS mailroute_migration_0001_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0001_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 1) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0001 down refused: run the down migrations of later versions first';
  END IF;
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 1) THEN
    ALTER TABLE amavisd_policy
      DROP COLUMN IF EXISTS hosted_mail_enabled,
      DROP COLUMN IF EXISTS continuity_enabled,
      DROP COLUMN IF EXISTS continuity_storage_days,
      DROP COLUMN IF EXISTS quota_mb,
      ALGORITHM=INSTANT;
    ALTER TABLE amavisd_localpartalias
      DROP INDEX IF EXISTS mailroute_la_localpart,
      DROP INDEX IF EXISTS mailroute_la_external_domain,
      ALGORITHM=INPLACE, LOCK=NONE;
    ALTER TABLE amavisd_domainalias
      DROP INDEX IF EXISTS mailroute_da_name,
      ALGORITHM=INPLACE, LOCK=NONE;
    DELETE FROM mailroute_schema_version WHERE version = 1;
  END IF;
END ;;
DELIMITER ;

CALL mailroute_migration_0001_down();
DROP PROCEDURE mailroute_migration_0001_down;
-- the bookkeeping table goes with the first migration
DROP TABLE IF EXISTS mailroute_schema_version;
