-- Migration 0007 up: the userdb fields of SPEC 4 in SQL, once, for
-- Dovecot's stock sql driver (conf.d/dovecot/dovecot-sql.conf.ext).
--
-- mailroute_dovecot: every row of mailroute_login with
--   mail_path      D[0]/D[1]/D/L[0]/L of the canonical domain D and local
--                  part L (characters, not bytes, as the legacy query's
--                  LEFT/SUBSTRING), or NULL where SPEC 4's path safety
--                  refuses the names: '/', ':', control characters, "."
--                  or "..", a domain shorter than two characters. The
--                  query puts its roots in front: home = <mail_root>/
--                  mail_path, mail = maildir:<home>/mail:INDEX=<index_root>/
--                  mail_path:LAYOUT=fs.
--   quota_rule     *:storage=<quota_mb>M, NULL without a quota
--   acl_groups     'continuity' for continuity without hosted
--   userdb_import  the autoexpunge override of each continuity mailbox,
--                  TAB-separated, when continuity without hosted keeps
--                  mail for a number of days; the mailboxes are the
--                  default continuity_mailboxes of mailroute-auth.conf
-- The C code (lib/mr-userdb-fields.c) is the other definition, for the
-- module and checkpassword; tests/integration/test_path_rule.py proves the
-- two give the same home and mail for every fixture account and for
-- hostile names. A plain view of the UNION view: the stock driver's
-- literal values reach both branches' indexes.

DROP PROCEDURE IF EXISTS mailroute_migration_0007_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0007_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 6) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0007 needs migration 0006';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0007_up();
DROP PROCEDURE mailroute_migration_0007_up;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_dovecot AS
SELECT l.*,
       IF(l.canonical_domain NOT REGEXP '[/:[:cntrl:]]'
            AND CHAR_LENGTH(l.canonical_domain) >= 2
            AND l.canonical_domain NOT IN ('.', '..')
            AND l.canonical_localpart NOT REGEXP '[/:[:cntrl:]]'
            AND l.canonical_localpart <> ''
            AND l.canonical_localpart NOT IN ('.', '..'),
          CONCAT(LEFT(l.canonical_domain, 1), '/',
                 SUBSTRING(l.canonical_domain, 2, 1), '/',
                 l.canonical_domain, '/',
                 LEFT(l.canonical_localpart, 1), '/',
                 l.canonical_localpart),
          NULL) AS mail_path,
       CONCAT('*:storage=', l.quota_mb, 'M') AS quota_rule,
       IF(l.continuity = 1 AND l.hosted = 0, 'continuity', NULL) AS acl_groups,
       IF(l.continuity = 1 AND l.hosted = 0 AND l.continuity_storage_days > 0,
          CONCAT_WS(CHAR(9 USING utf8),
            CONCAT('namespace/inbox/mailbox/inbox/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Drafts/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine.Spam/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine.BadHeaders/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine.BannedFiles/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine.Blocked/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Quarantine.Virus/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Trash/autoexpunge=', l.continuity_storage_days, 'd'),
            CONCAT('namespace/inbox/mailbox/Sent/autoexpunge=', l.continuity_storage_days, 'd')),
          NULL) AS userdb_import
  FROM mailroute_login l;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (7, 'dovecot_fields')
  ON DUPLICATE KEY UPDATE version = version;
