-- Migration 0012 up: distribution lists for Stalwart 0.9.0 to 0.10.6
-- (SPEC 8), whose SQL directory delivers a recipient address to every
-- name its recipients query returns (v0.10.6
-- crates/directory/src/backend/sql/lookup.rs, email_to_ids) and answers
-- SMTP EXPN with its expand query. From 0.10.7 on the directory takes
-- the first name only (email_to_id) and lists live in Stalwart's own
-- store, which its management API fills (conf.d/stalwart/README.md).
--
--   mailroute_stalwart_list(address)        the active list at exactly
--                                           this address (SPEC 3 names,
--                                           no detail cut: as Postfix's
--                                           list map), else NULL
--   mailroute_stalwart_list_names(address)  the canonical names of the
--                                           accounts that list delivers
--                                           to (receiving members and
--                                           those of its active member
--                                           lists), a sorted JSON array;
--                                           NULL when it is no list
--   mailroute_stalwart_recipients(address)  the list's names, else the
--                                           account the address reaches
--                                           by the userdb rule, else []
--
-- A list's external members are not Stalwart recipients: a SQL directory
-- can only name local principals. Postfix in front delivers them.
--
-- Online: functions only, no table is touched.

DROP PROCEDURE IF EXISTS mailroute_migration_0012_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0012_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 11) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0012 needs migration 0011';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0012_up();
DROP PROCEDURE mailroute_migration_0012_up;

DELIMITER ;;

CREATE OR REPLACE FUNCTION mailroute_stalwart_list(
    p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS INT
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE localpart, domain VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci;

  CALL mailroute_split_address(p_address, localpart, domain);
  RETURN (SELECT MIN(list_id) FROM mailroute_list_address
           WHERE list_localpart = localpart AND list_domain = domain AND active = 1
             AND mailroute_same_name(list_localpart, localpart)
             AND mailroute_same_name(list_domain, domain));
END ;;

-- GROUP_CONCAT of quoted names, not JSON_ARRAYAGG (see
-- mailroute_stalwart_emails in 0004: MariaDB 10.5).
CREATE OR REPLACE FUNCTION mailroute_stalwart_list_names(
    p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS LONGTEXT CHARACTER SET utf8mb4
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE list INT DEFAULT mailroute_stalwart_list(p_address);

  IF list IS NULL THEN
    RETURN NULL;
  END IF;
  -- one name per account, by its id: under the schema's collation
  -- john@ and jöhn@, two accounts, are one name and DISTINCT would keep
  -- only one of them
  RETURN (SELECT CONCAT('[', COALESCE(GROUP_CONCAT(JSON_QUOTE(member_address)
                                        ORDER BY member_address, account_id
                                        SEPARATOR ','), ''), ']')
            FROM (SELECT DISTINCT account_id, member_address FROM mailroute_list_expansion
                   WHERE list_id = list AND member_kind = 'account' AND receives = 1) members);
END ;;

CREATE OR REPLACE FUNCTION mailroute_stalwart_recipients(
    p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS LONGTEXT CHARACTER SET utf8mb4
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE names LONGTEXT CHARACTER SET utf8mb4 DEFAULT mailroute_stalwart_list_names(p_address);
  DECLARE alias INT;

  IF names IS NOT NULL THEN
    RETURN names;
  END IF;
  SET alias = mailroute_stalwart_recipient(p_address);
  IF alias IS NULL THEN
    RETURN '[]';
  END IF;
  RETURN (SELECT CONCAT('[', JSON_QUOTE(CONCAT(canonical_localpart, '@', canonical_domain)), ']')
            FROM mailroute_alias WHERE alias_id = alias);
END ;;

DELIMITER ;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (12, 'stalwart_lists')
  ON DUPLICATE KEY UPDATE version = version;
