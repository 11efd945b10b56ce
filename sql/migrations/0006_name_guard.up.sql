-- Migration 0006 up: one address names at most one account (SPEC 3).
--
-- Two accounts answering the same address are a data error: every login
-- and delivery to it is refused (temporary failure, both account ids
-- logged) until someone fixes the rows. This migration keeps new writes
-- from making such a pair, and shows the pairs that exist.
--
-- Names are equal under SPEC 3's rule, not the columns' collation: ASCII
-- letters case-insensitively, every other byte exactly (utf8_general_ci
-- would also equate lea and léa, which are two names). mailroute_name_key()
-- maps a name to bytes that are equal exactly when the names are.
--
-- utf8 parameters and variables are declared COLLATE utf8_general_ci, as
-- in migration 0004 (why, and the repair on MariaDB 11.8: see there).
--
-- Triggers, not a UNIQUE key: one account may answer the same local part on
-- its domain and as an external address (two rows, one account), and an
-- address is made of two tables' rows (a localpart alias and each name of
-- its domain). The triggers refuse, as a duplicate key (SQLSTATE 23000,
-- error 1062: Django raises IntegrityError), an alias row or a domain
-- name that would give an address a second account. They read the indexes the lookups use; a new domain name costs
-- one index probe per local part of that domain.
--
-- Online: creating a trigger takes a brief metadata lock on its table and
-- touches no row. Two transactions that each add one half of a collision
-- at the same moment can both pass (the triggers read committed rows);
-- the lookups still refuse such a pair as a data error, and
-- mailroute_collision lists it.
--
-- mailroute_collision lists the addresses that already name several
-- accounts. It groups the whole login view: for an operator's query, not
-- for a lookup path. This migration prints it; it does not stop on it, as
-- the pairs are refused today already and their fix is a business decision.

-- Online: a DDL statement below waits at most 3 s for the metadata lock
-- that a long transaction on the table holds, then fails (error 1205: run
-- the file again, it finishes what is left); with the server's default
-- (a day) it would wait, and every query on the table would queue behind
-- it meanwhile. Row locks: the same bound.
SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0006_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0006_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 5) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0006 needs migration 0005';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0006_up();
DROP PROCEDURE mailroute_migration_0006_up;

DELIMITER ;;
-- The lowered name, then the name without its ASCII letters, each as bytes
-- and the first prefixed by its length: equal keys, equal names.
CREATE OR REPLACE FUNCTION mailroute_name_key(
    p_name VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS VARBINARY(1040)
DETERMINISTIC NO SQL
BEGIN
  RETURN CONCAT(LPAD(LENGTH(LOWER(p_name)), 4, '0'),
                CAST(LOWER(p_name) AS BINARY),
                CAST(REGEXP_REPLACE(p_name COLLATE utf8_bin, '[A-Za-z]', '')
                     AS BINARY));
END ;;

-- The account other than p_account_id (and other than alias row
-- p_alias_id) that localpart@domain already names, or NULL; rows of domain
-- p_skip_domain_id (NULL: none) left out of the domain names. Both login
-- views, each merged with the bound names, so both are index lookups.
CREATE OR REPLACE FUNCTION mailroute_other_account(
    p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_account_id INT, p_alias_id INT, p_skip_domain_id INT)
RETURNS INT
READS SQL DATA
BEGIN
  DECLARE v_by_domain_name, v_by_external INT;

  SELECT MIN(l.account_id) INTO v_by_domain_name
    FROM mailroute_login_domain l
   WHERE l.login_localpart = p_localpart AND l.login_domain = p_domain
     AND l.account_id <> p_account_id AND l.alias_id <> p_alias_id
     AND NOT (l.domain_id <=> p_skip_domain_id)
     AND mailroute_name_key(l.login_localpart) = mailroute_name_key(p_localpart)
     AND mailroute_name_key(l.login_domain) = mailroute_name_key(p_domain);
  SELECT MIN(l.account_id) INTO v_by_external
    FROM mailroute_login_external l
   WHERE l.login_localpart = p_localpart AND l.login_domain = p_domain
     AND l.account_id <> p_account_id AND l.alias_id <> p_alias_id
     AND mailroute_name_key(l.login_localpart) = mailroute_name_key(p_localpart)
     AND mailroute_name_key(l.login_domain) = mailroute_name_key(p_domain);
  RETURN COALESCE(v_by_domain_name, v_by_external);
END ;;

CREATE OR REPLACE PROCEDURE mailroute_refuse_collision(
    p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci, p_other INT)
NO SQL
BEGIN
  DECLARE v_message VARCHAR(128) CHARACTER SET utf8 COLLATE utf8_general_ci DEFAULT
    LEFT(CONCAT('mailroute: ', p_localpart, '@', p_domain,
                ' already names account ', p_other), 128);
  SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, MESSAGE_TEXT = v_message;
END ;;

-- Every address a localpart alias row gives: its local part at each name
-- of its domain, and at its external domain.
CREATE OR REPLACE PROCEDURE mailroute_guard_alias(
    p_alias_id INT, p_account_id INT,
    p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci, p_domain_id INT,
    p_external_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
READS SQL DATA
BEGIN
  DECLARE v_done BOOLEAN DEFAULT FALSE;
  DECLARE v_name VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE v_other INT;
  DECLARE names CURSOR FOR
    SELECT da.name FROM amavisd_domainalias da WHERE da.domain_id = p_domain_id;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

  IF p_external_domain IS NOT NULL THEN
    SET v_other = mailroute_other_account(p_localpart, p_external_domain,
                                          p_account_id, p_alias_id, NULL);
    IF v_other IS NOT NULL THEN
      CALL mailroute_refuse_collision(p_localpart, p_external_domain, v_other);
    END IF;
  END IF;
  OPEN names;
  names_loop: LOOP
    FETCH names INTO v_name;
    IF v_done THEN
      LEAVE names_loop;
    END IF;
    SET v_other = mailroute_other_account(p_localpart, v_name, p_account_id,
                                          p_alias_id, NULL);
    IF v_other IS NOT NULL THEN
      CLOSE names;
      CALL mailroute_refuse_collision(p_localpart, v_name, v_other);
    END IF;
  END LOOP;
  CLOSE names;
END ;;

-- Every address a new name of a domain gives: each local part of the
-- domain's alias rows at that name. The domain's own rows are left out of
-- the domain names: two accounts of one domain on one local part collide
-- under its other names already, and adding a name does not make that.
CREATE OR REPLACE PROCEDURE mailroute_guard_domain_name(
    p_domain_id INT, p_name VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
READS SQL DATA
BEGIN
  DECLARE v_done BOOLEAN DEFAULT FALSE;
  DECLARE v_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE v_account_id, v_alias_id, v_other INT;
  DECLARE aliases CURSOR FOR
    SELECT la.localpart, la.email_account_id, la.id
      FROM amavisd_localpartalias la WHERE la.domain_id = p_domain_id;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

  OPEN aliases;
  aliases_loop: LOOP
    FETCH aliases INTO v_localpart, v_account_id, v_alias_id;
    IF v_done THEN
      LEAVE aliases_loop;
    END IF;
    SET v_other = mailroute_other_account(v_localpart, p_name, v_account_id,
                                          v_alias_id, p_domain_id);
    IF v_other IS NOT NULL THEN
      CLOSE aliases;
      CALL mailroute_refuse_collision(v_localpart, p_name, v_other);
    END IF;
  END LOOP;
  CLOSE aliases;
END ;;

CREATE OR REPLACE TRIGGER mailroute_alias_insert_guard
BEFORE INSERT ON amavisd_localpartalias FOR EACH ROW
  CALL mailroute_guard_alias(0, NEW.email_account_id, NEW.localpart,
                             NEW.domain_id, NEW.external_domain) ;;

-- Updates that keep the names and the account (Django saves every
-- column) are not checked: a row already in a collision can still be
-- saved, and fixed.
CREATE OR REPLACE TRIGGER mailroute_alias_update_guard
BEFORE UPDATE ON amavisd_localpartalias FOR EACH ROW
BEGIN
  IF NOT (BINARY NEW.localpart <=> BINARY OLD.localpart
          AND NEW.domain_id <=> OLD.domain_id
          AND BINARY NEW.external_domain <=> BINARY OLD.external_domain
          AND NEW.email_account_id <=> OLD.email_account_id) THEN
    CALL mailroute_guard_alias(NEW.id, NEW.email_account_id, NEW.localpart,
                               NEW.domain_id, NEW.external_domain);
  END IF;
END ;;

CREATE OR REPLACE TRIGGER mailroute_domain_name_insert_guard
BEFORE INSERT ON amavisd_domainalias FOR EACH ROW
  CALL mailroute_guard_domain_name(NEW.domain_id, NEW.name) ;;

CREATE OR REPLACE TRIGGER mailroute_domain_name_update_guard
BEFORE UPDATE ON amavisd_domainalias FOR EACH ROW
BEGIN
  IF NOT (BINARY NEW.name <=> BINARY OLD.name
          AND NEW.domain_id <=> OLD.domain_id) THEN
    CALL mailroute_guard_domain_name(NEW.domain_id, NEW.name);
  END IF;
END ;;
DELIMITER ;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_collision AS
SELECT MIN(login_localpart) AS login_localpart,
       MIN(login_domain) AS login_domain,
       GROUP_CONCAT(DISTINCT account_id ORDER BY account_id) AS account_ids
  FROM mailroute_login
 GROUP BY mailroute_name_key(login_localpart), mailroute_name_key(login_domain)
HAVING COUNT(DISTINCT account_id) > 1;

SELECT login_localpart, login_domain,
       account_ids AS `accounts (refused as a data error until fixed)`
  FROM mailroute_collision;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (6, 'name_guard')
  ON DUPLICATE KEY UPDATE version = version;
