-- Migration 0002 up: the views every reader shares (SPEC 2.3): the
-- Dovecot module, mailroute-checkpassword, the stock-SQL Dovecot config
-- and Stalwart's queries.
--
-- Two views, the rules written once:
--
-- mailroute_alias: one row per localpart alias (amavisd_localpartalias),
-- with its account's canonical localpart, the primary name of the alias
-- row's domain, the password and the effective policy values: the account
-- policy's value if not NULL, else the domain policy's, else the default
-- (flags 0, days and quota NULL). A plain join, so MariaDB merges it into
-- the query that reads it: `WHERE alias_id = <constant>` is a primary-key
-- lookup. Stalwart's queries (migration 0004) read it that way.
--
-- mailroute_login: one row per way an account can be addressed, built on
-- mailroute_alias:
--   * each localpart alias with each name of its domain (amavisd_domainalias,
--     the primary name included), as the legacy query's da.name = %d;
--   * each localpart alias with its external_domain, when set.
-- Read it with `WHERE login_localpart = ? AND login_domain = ?`: MariaDB
-- pushes the condition into both branches, where the indexes of 0001 serve.

CREATE TABLE IF NOT EXISTS mailroute_schema_version (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

DROP PROCEDURE IF EXISTS mailroute_migration_0002_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0002_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 1) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0002 needs migration 0001';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0002_up();
DROP PROCEDURE mailroute_migration_0002_up;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_alias AS
SELECT la.id AS alias_id,
       la.localpart AS localpart,
       la.external_domain AS external_domain,
       e.id AS account_id,
       u.id AS user_id,
       d.id AS domain_id,
       e.localpart AS canonical_localpart,
       d.name AS canonical_domain,
       u.password AS password,
       u.is_active AS is_active,
       COALESCE(ap.hosted_mail_enabled, dp.hosted_mail_enabled, 0) AS hosted,
       COALESCE(ap.continuity_enabled, dp.continuity_enabled, 0) AS continuity,
       COALESCE(ap.continuity_storage_days, dp.continuity_storage_days)
         AS continuity_storage_days,
       COALESCE(ap.quota_mb, dp.quota_mb) AS quota_mb
  FROM amavisd_localpartalias la
  JOIN amavisd_domain d ON d.id = la.domain_id
  JOIN amavisd_emailaccount e ON e.id = la.email_account_id
  JOIN auth_user u ON u.id = e.user_id
  LEFT JOIN amavisd_policy ap ON ap.id = e.policy_id
  LEFT JOIN amavisd_policy dp ON dp.id = d.policy_id;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_login AS
SELECT a.localpart AS login_localpart,
       da.name AS login_domain,
       a.alias_id, a.account_id, a.user_id, a.domain_id,
       a.canonical_localpart, a.canonical_domain, a.password, a.is_active,
       a.hosted, a.continuity, a.continuity_storage_days, a.quota_mb
  FROM mailroute_alias a
  JOIN amavisd_domainalias da ON da.domain_id = a.domain_id
UNION ALL
SELECT a.localpart, a.external_domain,
       a.alias_id, a.account_id, a.user_id, a.domain_id,
       a.canonical_localpart, a.canonical_domain, a.password, a.is_active,
       a.hosted, a.continuity, a.continuity_storage_days, a.quota_mb
  FROM mailroute_alias a
 WHERE a.external_domain IS NOT NULL;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (2, 'login_view')
  ON DUPLICATE KEY UPDATE version = version;
