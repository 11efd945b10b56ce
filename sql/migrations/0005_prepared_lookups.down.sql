-- Migration 0005 down: mailroute_login as migration 0002 made it (one
-- view with both branches), and the views of 0005 dropped.

DROP PROCEDURE IF EXISTS mailroute_migration_0005_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0005_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 5) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0005 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 5;
END ;;
DELIMITER ;
CALL mailroute_migration_0005_down();
DROP PROCEDURE mailroute_migration_0005_down;

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

DROP VIEW IF EXISTS mailroute_user;
DROP VIEW IF EXISTS mailroute_login_external;
DROP VIEW IF EXISTS mailroute_login_domain;
