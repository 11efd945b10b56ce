-- Migration 0010 up: quota usage, as Dovecot reports it, beside the quota
-- the policies give (SPEC 2.2).
--
--   mailroute_quota_usage   one row per Dovecot user: bytes and messages
--                           stored, and when Dovecot last wrote them.
--                           Dovecot's quota_clone plugin writes it through
--                           the dict service (conf.d/dovecot/
--                           dovecot-dict-quota.conf.ext), after every
--                           change of a mailbox's quota: the web
--                           application reads it, never writes it.
--   mailroute_quota_report  every canonical user (mailroute_user) with its
--                           effective quota (MB, NULL: none) and its
--                           usage (NULL: Dovecot has not written it yet)
--
-- The user name is the canonical user Dovecot knows (localpart@primary
-- domain), compared byte for byte: the schema's utf8_general_ci would make
-- jürgen@ and jurgen@, two users, one row.
--
-- Online: one new table and a view; no existing table is altered.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0010_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0010_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 9) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0010 needs migration 0009';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0010_up();
DROP PROCEDURE mailroute_migration_0010_up;

-- Counts are never negative: Dovecot writes none, and a report summing a
-- -1 would print it as 18446744073709551615.
CREATE TABLE IF NOT EXISTS mailroute_quota_usage (
  username VARCHAR(320) CHARACTER SET utf8 COLLATE utf8_bin NOT NULL PRIMARY KEY,
  bytes BIGINT NOT NULL DEFAULT 0,
  messages BIGINT NOT NULL DEFAULT 0,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  CONSTRAINT mailroute_quota_usage_not_negative CHECK (bytes >= 0 AND messages >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

-- A table made by an earlier release gets the constraint here; a negative
-- row there is Dovecot's to write again: it is set to 0 first.
DROP PROCEDURE IF EXISTS mailroute_migration_0010_not_negative;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0010_not_negative()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.table_constraints
                  WHERE constraint_schema = DATABASE()
                    AND table_name = 'mailroute_quota_usage'
                    AND constraint_name = 'mailroute_quota_usage_not_negative') THEN
    UPDATE mailroute_quota_usage SET bytes = GREATEST(bytes, 0),
                                     messages = GREATEST(messages, 0)
     WHERE bytes < 0 OR messages < 0;
    ALTER TABLE mailroute_quota_usage
      ADD CONSTRAINT mailroute_quota_usage_not_negative CHECK (bytes >= 0 AND messages >= 0);
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0010_not_negative();
DROP PROCEDURE mailroute_migration_0010_not_negative;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_quota_report AS
SELECT u.account_id, u.domain_id, u.canonical_localpart, u.canonical_domain,
       u.hosted, u.continuity, u.quota_mb,
       q.bytes, q.messages, q.updated_at
  FROM mailroute_user u
  LEFT JOIN mailroute_quota_usage q
    ON q.username = CONCAT(u.canonical_localpart, '@', u.canonical_domain) COLLATE utf8_bin;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (10, 'quota_usage')
  ON DUPLICATE KEY UPDATE version = version;
