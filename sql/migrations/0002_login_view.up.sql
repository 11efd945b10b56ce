-- Migration 0002 up: the login view every reader shares (SPEC 2.3): the
-- Dovecot module, mailroute-checkpassword, the stock-SQL Dovecot config
-- and Stalwart's queries.
--
-- One row per way an account can be addressed:
--   * each localpart alias with each name of its domain (amavisd_domainalias,
--     the primary name included), as the legacy query's da.name = %d;
--   * each localpart alias with its external_domain, when set.
-- Both branches carry the account's canonical localpart and the primary
-- name of the alias row's domain, and the effective policy values:
-- the account policy's value if not NULL, else the domain policy's, else
-- the default (flags 0, days and quota NULL).
--
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
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 2) THEN
    INSERT INTO mailroute_schema_version (version, name)
      VALUES (2, 'login_view');
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0002_up();
DROP PROCEDURE mailroute_migration_0002_up;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_login AS
SELECT la.localpart AS login_localpart,
       da.name AS login_domain,
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
  JOIN amavisd_domainalias da ON da.domain_id = la.domain_id
  JOIN amavisd_domain d ON d.id = la.domain_id
  JOIN amavisd_emailaccount e ON e.id = la.email_account_id
  JOIN auth_user u ON u.id = e.user_id
  LEFT JOIN amavisd_policy ap ON ap.id = e.policy_id
  LEFT JOIN amavisd_policy dp ON dp.id = d.policy_id
UNION ALL
SELECT la.localpart,
       la.external_domain,
       e.id,
       u.id,
       d.id,
       e.localpart,
       d.name,
       u.password,
       u.is_active,
       COALESCE(ap.hosted_mail_enabled, dp.hosted_mail_enabled, 0),
       COALESCE(ap.continuity_enabled, dp.continuity_enabled, 0),
       COALESCE(ap.continuity_storage_days, dp.continuity_storage_days),
       COALESCE(ap.quota_mb, dp.quota_mb)
  FROM amavisd_localpartalias la
  JOIN amavisd_domain d ON d.id = la.domain_id
  JOIN amavisd_emailaccount e ON e.id = la.email_account_id
  JOIN auth_user u ON u.id = e.user_id
  LEFT JOIN amavisd_policy ap ON ap.id = e.policy_id
  LEFT JOIN amavisd_policy dp ON dp.id = d.policy_id
 WHERE la.external_domain IS NOT NULL;
