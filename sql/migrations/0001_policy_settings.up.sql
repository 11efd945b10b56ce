-- Migration 0001 up: hosted, continuity, storage days and quota move from
-- temporary_hosted onto amavisd_policy (SPEC 2.2), plus the indexes the
-- lookups need.
--
-- Values are copied onto each domain's policy. The copy must not change
-- what any address resolves to, so it stops, changing nothing, when:
--   * a domain has several temporary_hosted rows;
--   * one policy row is used by domains, or by accounts in domains, whose
--     temporary_hosted values differ (a domain without a row counts as
--     hosted 0, continuity 0, days NULL, quota NULL). Accounts matter too:
--     an account whose policy is another domain's policy would inherit
--     that domain's values.
-- The conflicting ids are printed as a result set before the error.
-- Running it again after success does nothing (mailroute_schema_version).

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;
-- The checks read every domain and account with CREATE TABLE ... SELECT,
-- which under REPEATABLE READ puts a shared lock on each row it reads:
-- every write to those rows would wait for the whole scan (measured at
-- 1,000,000 accounts: 31 s). Read committed snapshots take no row locks.
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;

CREATE TABLE IF NOT EXISTS mailroute_schema_version (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

DROP PROCEDURE IF EXISTS mailroute_migration_0001_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0001_up()
BEGIN
  DECLARE conflicts INT DEFAULT 0;
  DECLARE batch_start, last_id INT;

  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 1) THEN
    -- What each domain has today, as the legacy queries see it.
    DROP TEMPORARY TABLE IF EXISTS mailroute_legacy_value;
    CREATE TEMPORARY TABLE mailroute_legacy_value AS
      SELECT d.id AS domain_id,
             CONCAT_WS(',', IFNULL(h.hosted, 0), IFNULL(h.continuity, 0),
                       IFNULL(h.cont_storage_days, 'NULL'),
                       IFNULL(h.quota_mb, 'NULL')) AS value
        FROM amavisd_domain d
        LEFT JOIN temporary_hosted h ON h.domain_id = d.id;

    -- Every use of a policy row, with the values its user has today.
    DROP TEMPORARY TABLE IF EXISTS mailroute_policy_use;
    CREATE TEMPORARY TABLE mailroute_policy_use AS
      SELECT d.policy_id, CONCAT('domain ', d.id) AS user, v.value
        FROM amavisd_domain d
        JOIN mailroute_legacy_value v ON v.domain_id = d.id
      UNION
      SELECT e.policy_id, CONCAT('account ', e.id, ' (domain ', la.domain_id, ')'),
             v.value
        FROM amavisd_emailaccount e
        JOIN amavisd_localpartalias la ON la.email_account_id = e.id
        JOIN mailroute_legacy_value v ON v.domain_id = la.domain_id;

    SELECT COUNT(*) INTO conflicts FROM (
      SELECT domain_id FROM temporary_hosted
       GROUP BY domain_id HAVING COUNT(*) > 1) multi;
    IF conflicts > 0 THEN
      SELECT CONCAT('domain ', domain_id, ' has several temporary_hosted rows: ids ',
                    GROUP_CONCAT(id ORDER BY id)) AS conflict
        FROM temporary_hosted GROUP BY domain_id HAVING COUNT(*) > 1
        ORDER BY domain_id;
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
        'migration 0001 stopped, nothing changed: domains with several temporary_hosted rows (listed above)';
    END IF;

    SELECT COUNT(*) INTO conflicts FROM (
      SELECT policy_id FROM mailroute_policy_use
       GROUP BY policy_id HAVING COUNT(DISTINCT value) > 1) shared;
    IF conflicts > 0 THEN
      SELECT CONCAT('policy ', policy_id, ' is shared by ',
                    GROUP_CONCAT(CONCAT(user, ' [', value, ']')
                                 ORDER BY user SEPARATOR ', ')) AS conflict
        FROM mailroute_policy_use
       WHERE policy_id IN (SELECT policy_id FROM mailroute_policy_use
                            GROUP BY policy_id HAVING COUNT(DISTINCT value) > 1)
       GROUP BY policy_id ORDER BY policy_id;
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
        'migration 0001 stopped, nothing changed: policies shared by differing temporary_hosted values (listed above; values are hosted,continuity,days,quota)';
    END IF;

    -- new columns at the end: a change of the table's metadata only
    ALTER TABLE amavisd_policy
      ADD COLUMN IF NOT EXISTS hosted_mail_enabled TINYINT(1) NULL DEFAULT NULL,
      ADD COLUMN IF NOT EXISTS continuity_enabled TINYINT(1) NULL DEFAULT NULL,
      ADD COLUMN IF NOT EXISTS continuity_storage_days SMALLINT UNSIGNED NULL DEFAULT NULL,
      ADD COLUMN IF NOT EXISTS quota_mb INT UNSIGNED NULL DEFAULT NULL,
      ALGORITHM=INSTANT;

    -- the copy, a thousand policies per transaction, so that no row
    -- lock is held for long (readers never wait: they read snapshots)
    SELECT MIN(id), MAX(id) INTO batch_start, last_id FROM amavisd_policy;
    WHILE batch_start <= last_id DO
      UPDATE amavisd_policy p
        JOIN amavisd_domain d ON d.policy_id = p.id
        JOIN temporary_hosted h ON h.domain_id = d.id
         SET p.hosted_mail_enabled = h.hosted,
             p.continuity_enabled = h.continuity,
             p.continuity_storage_days = h.cont_storage_days,
             p.quota_mb = h.quota_mb
       WHERE p.id BETWEEN batch_start AND batch_start + 999;
      SET batch_start = batch_start + 1000;
    END WHILE;

    -- built while the tables are read and written
    CREATE INDEX IF NOT EXISTS mailroute_la_localpart
      ON amavisd_localpartalias (localpart, domain_id)
      ALGORITHM=INPLACE LOCK=NONE;
    CREATE INDEX IF NOT EXISTS mailroute_la_external_domain
      ON amavisd_localpartalias (external_domain, localpart)
      ALGORITHM=INPLACE LOCK=NONE;
    CREATE INDEX IF NOT EXISTS mailroute_da_name
      ON amavisd_domainalias (name)
      ALGORITHM=INPLACE LOCK=NONE;

    INSERT INTO mailroute_schema_version (version, name)
      VALUES (1, 'policy_settings');
    DROP TEMPORARY TABLE mailroute_policy_use;
    DROP TEMPORARY TABLE mailroute_legacy_value;
  END IF;
END ;;
DELIMITER ;

CALL mailroute_migration_0001_up();
DROP PROCEDURE mailroute_migration_0001_up;
