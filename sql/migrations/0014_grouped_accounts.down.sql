-- Migration 0014 down: the marks of accounts in a group removed, the
-- views as migrations 0002 and 0005 made them. Programs of schema 14 then
-- fail their lookups (a temporary failure, never a wrong answer): put
-- back the programs of schema 13 first.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0014_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0014_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 14) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0014 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 14;
END ;;
DELIMITER ;
CALL mailroute_migration_0014_down();
DROP PROCEDURE mailroute_migration_0014_down;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_login_domain AS
SELECT a.localpart AS login_localpart,
       da.name AS login_domain,
       a.alias_id, a.account_id, a.user_id, a.domain_id,
       a.canonical_localpart, a.canonical_domain, a.password, a.is_active,
       a.hosted, a.continuity, a.continuity_storage_days, a.quota_mb
  FROM mailroute_alias a
  JOIN amavisd_domainalias da ON da.domain_id = a.domain_id;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_login_external AS
SELECT a.localpart AS login_localpart,
       a.external_domain AS login_domain,
       a.alias_id, a.account_id, a.user_id, a.domain_id,
       a.canonical_localpart, a.canonical_domain, a.password, a.is_active,
       a.hosted, a.continuity, a.continuity_storage_days, a.quota_mb
  FROM mailroute_alias a
 WHERE a.external_domain IS NOT NULL;

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

DROP TRIGGER IF EXISTS mailroute_group_member_grouped_update;
DROP TRIGGER IF EXISTS mailroute_group_member_grouped_insert;
DROP TABLE IF EXISTS mailroute_grouped_account;
