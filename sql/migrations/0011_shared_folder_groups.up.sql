-- Migration 0011 up: groups for shared folders, one customer's each.
--
--   mailroute_group         a group: a name on one customer domain
--   mailroute_group_member  an account in a group
--
-- Dovecot's userdb gives an account its groups in acl_groups (beside the
-- configured continuity group) as <name>@<the group domain's primary
-- name>. Domain names are unique, so two customers' groups never have
-- the same name, and the continuity group (no '@') is none of them. A
-- mailbox owner shares a folder with a group by an IMAP SETACL for the
-- identifier $<name>@<domain>; the members see it under the shared
-- namespace (conf.d/dovecot/mailroute-shared.conf.ext).
--
-- Renaming a domain's primary name renames its groups: rights granted to
-- the old name then apply to nobody (members lose the folder; no one
-- else gains it) until the owners grant them again.
--
-- A member is an account of the group's customer (one of its alias rows
-- is on the group's domain or on another domain of the same customer):
-- the triggers refuse other accounts (SQLSTATE 45000), and the view
-- mailroute_account_group gives no group to an account that has left the
-- customer since, so a stale row never opens another customer's folders.
--
-- Online: two new tables, two triggers on them and a view; no existing
-- table is altered. Creating the foreign keys takes a brief shared
-- metadata lock on amavisd_domain and amavisd_emailaccount.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0011_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0011_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 10) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0011 needs migration 0010';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0011_up();
DROP PROCEDURE mailroute_migration_0011_up;

-- The name is what an IMAP client types after '$': lowercase ASCII, no
-- separator Dovecot splits acl_groups at (',' and ' ').
CREATE TABLE IF NOT EXISTS mailroute_group (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain_id INT NOT NULL,
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  description VARCHAR(255) NOT NULL DEFAULT '',
  UNIQUE KEY mailroute_group_name (domain_id, name),
  CONSTRAINT mailroute_group_name_valid CHECK (name REGEXP '^[a-z0-9][a-z0-9._-]*$'),
  CONSTRAINT mailroute_group_domain_fk FOREIGN KEY (domain_id)
    REFERENCES amavisd_domain (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE IF NOT EXISTS mailroute_group_member (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  group_id INT NOT NULL,
  account_id INT NOT NULL,
  UNIQUE KEY mailroute_group_member_once (group_id, account_id),
  KEY mailroute_group_member_of_account (account_id),
  CONSTRAINT mailroute_group_member_group_fk FOREIGN KEY (group_id)
    REFERENCES mailroute_group (id) ON DELETE CASCADE,
  CONSTRAINT mailroute_group_member_account_fk FOREIGN KEY (account_id)
    REFERENCES amavisd_emailaccount (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

DELIMITER ;;

CREATE OR REPLACE PROCEDURE mailroute_group_check_member(
    p_group_id INT, p_account_id INT)
READS SQL DATA
BEGIN
  DECLARE message VARCHAR(255);

  IF NOT mailroute_account_of_customer(
       p_account_id, (SELECT domain_id FROM mailroute_group WHERE id = p_group_id)) THEN
    SET message = CONCAT('mailroute: account ', p_account_id,
                         ' is not of the customer of group ', p_group_id);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
END ;;

CREATE OR REPLACE TRIGGER mailroute_group_member_insert BEFORE INSERT ON mailroute_group_member
FOR EACH ROW CALL mailroute_group_check_member(NEW.group_id, NEW.account_id) ;;

CREATE OR REPLACE TRIGGER mailroute_group_member_update BEFORE UPDATE ON mailroute_group_member
FOR EACH ROW CALL mailroute_group_check_member(NEW.group_id, NEW.account_id) ;;

DELIMITER ;

-- A freed group name carries nothing to its next owner. Dovecot's ACL
-- files name a group as acl_groups does, <name>@<domain name>, and keep
-- every right given to it after the group is renamed or deleted or its
-- domain renamed or deleted; a new group answering to that name would
-- inherit them. So every name a group gave up is kept here, and no other
-- group may take it until the operator has removed its grants (doveadm
-- acl delete) and then this row (docs/shared-folders.md).
-- Another customer's group could not read them anyway (mailroute_tenant);
-- this keeps them from a new group of the same customer too.
CREATE TABLE IF NOT EXISTS mailroute_group_retired (
  acl_group VARCHAR(320) CHARACTER SET utf8 COLLATE utf8_bin NOT NULL PRIMARY KEY,
  group_id INT NOT NULL,
  retired_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

DELIMITER ;;

-- Refuses name@domain for group p_group_id (0: a new group) while it is
-- another group's given-up name. The message names ids, never the name.
CREATE OR REPLACE PROCEDURE mailroute_group_refuse_retired(
    p_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_bin,
    p_domain_id INT, p_group_id INT)
READS SQL DATA
BEGIN
  DECLARE earlier INT;
  DECLARE message VARCHAR(255);

  SELECT group_id INTO earlier FROM mailroute_group_retired
   WHERE acl_group = CONCAT(p_name, '@', p_domain) COLLATE utf8_bin
     AND group_id <> p_group_id;
  IF earlier IS NOT NULL THEN
    SET message = CONCAT('mailroute: a group on domain ', p_domain_id,
                         ' would take the name group ', earlier,
                         ' gave up; remove its grants, then its row in mailroute_group_retired');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
END ;;

-- Keeps name@domain as group p_group_id's given-up name.
CREATE OR REPLACE PROCEDURE mailroute_group_retire(
    p_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_bin, p_group_id INT)
MODIFIES SQL DATA
INSERT INTO mailroute_group_retired (acl_group, group_id)
VALUES (CONCAT(p_name, '@', p_domain), p_group_id)
ON DUPLICATE KEY UPDATE group_id = VALUES(group_id), retired_at = CURRENT_TIMESTAMP ;;

CREATE OR REPLACE TRIGGER mailroute_group_insert BEFORE INSERT ON mailroute_group
FOR EACH ROW CALL mailroute_group_refuse_retired(
  NEW.name, (SELECT name FROM amavisd_domain WHERE id = NEW.domain_id), NEW.domain_id,
  NEW.id) ;;

CREATE OR REPLACE TRIGGER mailroute_group_update BEFORE UPDATE ON mailroute_group
FOR EACH ROW IF NEW.name <> OLD.name OR NEW.domain_id <> OLD.domain_id THEN
  CALL mailroute_group_refuse_retired(
    NEW.name, (SELECT name FROM amavisd_domain WHERE id = NEW.domain_id), NEW.domain_id,
    NEW.id);
END IF ;;

-- A group taking back its own given-up name (a rename undone) frees it.
CREATE OR REPLACE TRIGGER mailroute_group_renamed AFTER UPDATE ON mailroute_group
FOR EACH ROW IF NEW.name <> OLD.name OR NEW.domain_id <> OLD.domain_id THEN
  CALL mailroute_group_retire(
    OLD.name, (SELECT name FROM amavisd_domain WHERE id = OLD.domain_id), OLD.id);
  DELETE FROM mailroute_group_retired
   WHERE group_id = NEW.id
     AND acl_group = CONCAT(NEW.name, '@', (SELECT name FROM amavisd_domain
                                              WHERE id = NEW.domain_id)) COLLATE utf8_bin;
END IF ;;

CREATE OR REPLACE TRIGGER mailroute_group_deleted AFTER DELETE ON mailroute_group
FOR EACH ROW CALL mailroute_group_retire(
  OLD.name, (SELECT name FROM amavisd_domain WHERE id = OLD.domain_id), OLD.id) ;;

-- A domain's new name: none of its groups may take another group's
-- given-up name; the old names are given up, a group's own one freed.
CREATE OR REPLACE TRIGGER mailroute_group_domain_rename BEFORE UPDATE ON amavisd_domain
FOR EACH ROW IF NEW.name <> OLD.name COLLATE utf8_bin THEN
  BEGIN
    DECLARE earlier INT;
    DECLARE message VARCHAR(255);

    SELECT MIN(r.group_id) INTO earlier
      FROM mailroute_group g
      JOIN mailroute_group_retired r
        ON r.acl_group = CONCAT(g.name, '@', NEW.name) COLLATE utf8_bin
       AND r.group_id <> g.id
     WHERE g.domain_id = OLD.id;
    IF earlier IS NOT NULL THEN
      SET message = CONCAT('mailroute: a group of domain ', OLD.id,
                           ' would take the name group ', earlier,
                           ' gave up; remove its grants, then its row in mailroute_group_retired');
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
    END IF;
  END;
END IF ;;

CREATE OR REPLACE TRIGGER mailroute_group_domain_renamed AFTER UPDATE ON amavisd_domain
FOR EACH ROW IF NEW.name <> OLD.name COLLATE utf8_bin THEN
  INSERT INTO mailroute_group_retired (acl_group, group_id)
  SELECT CONCAT(g.name, '@', OLD.name), g.id FROM mailroute_group g WHERE g.domain_id = OLD.id
  ON DUPLICATE KEY UPDATE group_id = VALUES(group_id), retired_at = CURRENT_TIMESTAMP;
  DELETE r FROM mailroute_group_retired r
    JOIN mailroute_group g ON g.id = r.group_id
   WHERE g.domain_id = NEW.id
     AND r.acl_group = CONCAT(g.name, '@', NEW.name) COLLATE utf8_bin;
END IF ;;

-- The domain's groups go with it (ON DELETE CASCADE fires no trigger).
CREATE OR REPLACE TRIGGER mailroute_group_domain_deleted BEFORE DELETE ON amavisd_domain
FOR EACH ROW
  INSERT INTO mailroute_group_retired (acl_group, group_id)
  SELECT CONCAT(g.name, '@', OLD.name), g.id FROM mailroute_group g WHERE g.domain_id = OLD.id
  ON DUPLICATE KEY UPDATE group_id = VALUES(group_id), retired_at = CURRENT_TIMESTAMP ;;

DELIMITER ;

-- One row per group of an account, as Dovecot's acl_groups names it. The
-- column is member_account_id so that the account lookups' correlated
-- subquery (the stock SQL include's) can say account_id for its own row.
-- acl_group_valid: 1 when the name is <group name>@<DNS name> (labels of
-- ASCII letters, digits, '-' or non-ASCII characters): nothing Dovecot
-- splits acl_groups at (',', ' ') or 2.4 unescapes. A domain named
-- "x.example,continuity" would otherwise put its group's members in the
-- continuity group. The module refuses such a group (an internal
-- failure naming the account, lib/mr-userdb-fields.c: the same rule);
-- the stock SQL include leaves it out.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_account_group AS
SELECT m.account_id AS member_account_id, g.id AS group_id,
       CONCAT(g.name, '@', gd.name) AS acl_group,
       CONCAT(g.name, '@', gd.name) COLLATE utf8_bin REGEXP
         '^[a-z0-9][a-z0-9._-]{0,63}@[-A-Za-z0-9\\x{A0}-\\x{FFFF}]+(\\.[-A-Za-z0-9\\x{A0}-\\x{FFFF}]+)*\\z'
         AS acl_group_valid
  FROM mailroute_group_member m
  JOIN mailroute_group g ON g.id = m.group_id
  JOIN amavisd_domain gd ON gd.id = g.domain_id
 WHERE EXISTS (SELECT 1 FROM amavisd_localpartalias a
                 JOIN amavisd_domain d ON d.id = a.domain_id
                WHERE a.email_account_id = m.account_id
                  AND (d.id = gd.id OR d.customer_id = gd.customer_id));

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (11, 'shared_folder_groups')
  ON DUPLICATE KEY UPDATE version = version;
