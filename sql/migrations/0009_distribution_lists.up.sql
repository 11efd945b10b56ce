-- Migration 0009 up: distribution lists (what Stalwart calls mailing
-- lists) for hosted customers.
--
--   mailroute_list         a list address: a local part on one customer
--                          domain, answering on every name of that domain
--                          (amavisd_domainalias), like an account's alias
--   mailroute_list_member  one member of a list: an account, an external
--                          address or another list of the same customer,
--                          exactly one of the three
--
-- Lists of lists go one level deep: a list that has lists as members
-- cannot itself be a member, and a member list cannot have lists as
-- members; so no loop can form. The triggers refuse the rest, as a
-- duplicate key (SQLSTATE 23000, error 1062: the control panel's Django
-- raises IntegrityError) for an address that is already an account's and
-- as SQLSTATE 45000 for a list structure that breaks the rule.
--
-- Views, plain joins that a statement's parameters reach (no UNION):
--   mailroute_list_address    every address of a list (list_localpart,
--                             list_domain), active flag included
--   mailroute_list_target     every member a list delivers to: its own
--                             account and external members, and those of
--                             its member lists that are active
--   mailroute_list_expansion  a list address with each target's address:
--                             an account's canonical address (its
--                             localpart at the primary name of its first
--                             alias row's domain, as mailroute_user) and
--                             whether the account receives mail (hosted
--                             or continuity); an external address as
--                             stored
--   mailroute_list_collision  (a UNION, for an operator's check, not a
--                             lookup) addresses that are both a list's and
--                             an account's
--
-- Names match as everywhere (SPEC 3): readers compare the asked address
-- with mailroute_same_name(), ASCII letters case-insensitively and every
-- other byte exactly.
--
-- Online: two new tables, four triggers on them and views; no existing
-- table is altered. Creating the foreign keys takes a brief shared
-- metadata lock on amavisd_domain and amavisd_emailaccount.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0009_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0009_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 8) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0009 needs migration 0008';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0009_up();
DROP PROCEDURE mailroute_migration_0009_up;

CREATE TABLE IF NOT EXISTS mailroute_list (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain_id INT NOT NULL,
  localpart VARCHAR(255) NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  description VARCHAR(255) NOT NULL DEFAULT '',
  UNIQUE KEY mailroute_list_address (domain_id, localpart),
  KEY mailroute_list_localpart (localpart),
  CONSTRAINT mailroute_list_localpart_valid CHECK (localpart <> '' AND localpart NOT LIKE '%@%'),
  CONSTRAINT mailroute_list_domain_fk FOREIGN KEY (domain_id)
    REFERENCES amavisd_domain (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE IF NOT EXISTS mailroute_list_member (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  list_id INT NOT NULL,
  account_id INT NULL,
  external_address VARCHAR(320) NULL,
  member_list_id INT NULL,
  UNIQUE KEY mailroute_list_member_account (list_id, account_id),
  UNIQUE KEY mailroute_list_member_external (list_id, external_address),
  UNIQUE KEY mailroute_list_member_list (list_id, member_list_id),
  KEY mailroute_list_member_of_account (account_id),
  KEY mailroute_list_member_of_list (member_list_id),
  CONSTRAINT mailroute_list_member_one_kind CHECK (
    (account_id IS NOT NULL) + (external_address IS NOT NULL)
      + (member_list_id IS NOT NULL) = 1),
  CONSTRAINT mailroute_list_member_external_valid CHECK (
    external_address IS NULL OR external_address LIKE '_%@_%'),
  CONSTRAINT mailroute_list_member_external_one_address CHECK (
    external_address IS NULL OR external_address COLLATE utf8_bin REGEXP
      '^[^][@[:space:][:cntrl:]\\x{80}-\\x{9F},<>"''()\\\\;:]+@[^][@[:space:][:cntrl:]\\x{80}-\\x{9F},<>"''()\\\\;:]+\\z'),
  CONSTRAINT mailroute_list_member_list_fk FOREIGN KEY (list_id)
    REFERENCES mailroute_list (id) ON DELETE CASCADE,
  CONSTRAINT mailroute_list_member_account_fk FOREIGN KEY (account_id)
    REFERENCES amavisd_emailaccount (id) ON DELETE CASCADE,
  CONSTRAINT mailroute_list_member_nested_fk FOREIGN KEY (member_list_id)
    REFERENCES mailroute_list (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

-- An external member is exactly one address: Postfix reads a
-- virtual_alias_maps result as a list, split at ',' and white space, with
-- quotes, comments, angle brackets and groups of its own (a@x,b@y would be
-- two recipients). One '@', and none of those, nor a control character.
-- A table made by an earlier release gets the constraint here; a row
-- that breaks it stops this migration (error 4025, naming the
-- constraint): correct or remove the row, run the file again.
DROP PROCEDURE IF EXISTS mailroute_migration_0009_one_address;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0009_one_address()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.table_constraints
                  WHERE constraint_schema = DATABASE()
                    AND table_name = 'mailroute_list_member'
                    AND constraint_name = 'mailroute_list_member_external_one_address') THEN
    ALTER TABLE mailroute_list_member
      ADD CONSTRAINT mailroute_list_member_external_one_address CHECK (
        external_address IS NULL OR external_address COLLATE utf8_bin REGEXP
          '^[^][@[:space:][:cntrl:]\\x{80}-\\x{9F},<>"''()\\\\;:]+@[^][@[:space:][:cntrl:]\\x{80}-\\x{9F},<>"''()\\\\;:]+\\z');
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0009_one_address();
DROP PROCEDURE mailroute_migration_0009_one_address;

DELIMITER ;;

-- An address that is already an account's (on any name of the list's
-- domain) cannot become a list: the list would shadow the mailbox. The
-- parameter's collation is the columns': a routine's parameter otherwise
-- takes the server's default for utf8, utf8mb3_uca1400_ai_ci on MariaDB
-- 11.8 (Debian 13), and comparing the two is an error.
CREATE OR REPLACE PROCEDURE mailroute_list_check_address(
    p_domain_id INT, p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
READS SQL DATA
BEGIN
  DECLARE account INT;
  DECLARE message VARCHAR(255);

  SELECT MIN(lg.account_id) INTO account
    FROM amavisd_domainalias da
    JOIN mailroute_login lg
      ON lg.login_localpart = p_localpart AND lg.login_domain = da.name
   WHERE da.domain_id = p_domain_id
     AND mailroute_same_name(lg.login_localpart, p_localpart)
     AND mailroute_same_name(lg.login_domain, da.name);
  IF account IS NOT NULL THEN
    SET message = CONCAT('mailroute: list ', p_localpart, ' on domain ', p_domain_id,
                         ' is an address of account ', account);
    SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, MESSAGE_TEXT = message;
  END IF;
END ;;

-- One level of lists in lists, both of one customer (called for a member
-- that is a list).
CREATE OR REPLACE PROCEDURE mailroute_list_check_member(
    p_list_id INT, p_member_list_id INT)
READS SQL DATA
BEGIN
  DECLARE message VARCHAR(255);

  IF p_member_list_id = p_list_id THEN
    SET message = CONCAT('mailroute: list ', p_list_id, ' cannot be its own member');
  ELSEIF EXISTS (SELECT 1 FROM mailroute_list_member
                  WHERE list_id = p_member_list_id AND member_list_id IS NOT NULL) THEN
    SET message = CONCAT('mailroute: list ', p_member_list_id,
                         ' has lists as members: lists nest one level only');
  ELSEIF EXISTS (SELECT 1 FROM mailroute_list_member
                  WHERE member_list_id = p_list_id) THEN
    SET message = CONCAT('mailroute: list ', p_list_id,
                         ' is a member of a list: lists nest one level only');
  ELSEIF NOT EXISTS (SELECT 1 FROM mailroute_list l
                       JOIN amavisd_domain d ON d.id = l.domain_id
                       JOIN mailroute_list m ON m.id = p_member_list_id
                       JOIN amavisd_domain md ON md.id = m.domain_id
                      WHERE l.id = p_list_id AND md.customer_id = d.customer_id) THEN
    SET message = CONCAT('mailroute: list ', p_member_list_id,
                         ' belongs to another customer than list ', p_list_id);
  END IF;
  IF message IS NOT NULL THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
END ;;

-- An account belongs to the customer of domain p_domain_id when it has
-- an address on one of that customer's domains: the rule for list members
-- (here) and group members (0011).
CREATE OR REPLACE FUNCTION mailroute_account_of_customer(p_account_id INT, p_domain_id INT)
RETURNS TINYINT(1) DETERMINISTIC READS SQL DATA
RETURN EXISTS (SELECT 1 FROM amavisd_domain cd
                 JOIN amavisd_localpartalias a ON a.email_account_id = p_account_id
                 JOIN amavisd_domain d ON d.id = a.domain_id
                WHERE cd.id = p_domain_id AND d.customer_id = cd.customer_id) ;;

-- A member account belongs to the list's customer: a list never delivers
-- one customer's mail into another customer's mailbox.
CREATE OR REPLACE PROCEDURE mailroute_list_check_account(p_list_id INT, p_account_id INT)
READS SQL DATA
BEGIN
  DECLARE message VARCHAR(255);

  IF NOT mailroute_account_of_customer(
       p_account_id, (SELECT domain_id FROM mailroute_list WHERE id = p_list_id)) THEN
    SET message = CONCAT('mailroute: account ', p_account_id,
                         ' is not of the customer of list ', p_list_id);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
END ;;

-- Every member row: its kind's rule.
CREATE OR REPLACE PROCEDURE mailroute_list_check_member_row(
    p_list_id INT, p_account_id INT, p_member_list_id INT)
READS SQL DATA
BEGIN
  IF p_member_list_id IS NOT NULL THEN
    CALL mailroute_list_check_member(p_list_id, p_member_list_id);
  END IF;
  IF p_account_id IS NOT NULL THEN
    CALL mailroute_list_check_account(p_list_id, p_account_id);
  END IF;
END ;;

CREATE OR REPLACE TRIGGER mailroute_list_insert BEFORE INSERT ON mailroute_list
FOR EACH ROW CALL mailroute_list_check_address(NEW.domain_id, NEW.localpart) ;;

-- Only a new address is checked: deactivating or describing a list whose
-- address an alias took later (check-lists) must stay possible.
CREATE OR REPLACE TRIGGER mailroute_list_update BEFORE UPDATE ON mailroute_list
FOR EACH ROW IF NEW.domain_id <> OLD.domain_id OR NEW.localpart <> OLD.localpart COLLATE utf8_bin THEN
  CALL mailroute_list_check_address(NEW.domain_id, NEW.localpart);
END IF ;;

CREATE OR REPLACE TRIGGER mailroute_list_member_insert BEFORE INSERT ON mailroute_list_member
FOR EACH ROW CALL mailroute_list_check_member_row(NEW.list_id, NEW.account_id,
                                                 NEW.member_list_id) ;;

CREATE OR REPLACE TRIGGER mailroute_list_member_update BEFORE UPDATE ON mailroute_list_member
FOR EACH ROW CALL mailroute_list_check_member_row(NEW.list_id, NEW.account_id,
                                                 NEW.member_list_id) ;;

DELIMITER ;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_list_address AS
SELECT l.id AS list_id, l.localpart AS list_localpart, da.name AS list_domain,
       l.domain_id, l.active, l.description
  FROM mailroute_list l
  JOIN amavisd_domainalias da ON da.domain_id = l.domain_id;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_list_target AS
SELECT m.list_id, m.member_list_id AS via_list_id,
       COALESCE(n.account_id, m.account_id) AS account_id,
       COALESCE(n.external_address, m.external_address) AS external_address
  FROM mailroute_list_member m
  LEFT JOIN mailroute_list nested ON nested.id = m.member_list_id AND nested.active = 1
  LEFT JOIN mailroute_list_member n ON n.list_id = nested.id
 WHERE m.member_list_id IS NULL OR n.id IS NOT NULL;

-- Not through mailroute_alias: an invoker view needs every column of the
-- views under it, and mailroute_alias reads auth_user.password, which
-- Postfix's user must not. So the account's address and effective flags
-- (SPEC 2.2: the account policy's value, else the domain policy's, else
-- 0) are read here from the tables.
-- An account member written before the trigger's rule, or one that has
-- since left the customer (no address on a domain of the list's
-- customer), expands to nothing: a few index reads per member row (the
-- account's addresses, their domains). A scalar subquery with LIMIT, not
-- EXISTS: MariaDB made EXISTS a semi-join that, for a range of lists
-- (stalwart-lists' pages), read more the larger the database.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_list_expansion AS
SELECT la.list_id, la.list_localpart, la.list_domain, la.active AS list_active,
       t.via_list_id, t.account_id,
       IF(t.account_id IS NULL, 'external', 'account') AS member_kind,
       IF(t.account_id IS NULL, t.external_address,
          CONCAT(e.localpart, '@', d.name)) AS member_address,
       IF(t.account_id IS NULL, 1,
          COALESCE(ap.hosted_mail_enabled, dp.hosted_mail_enabled, 0) = 1
          OR COALESCE(ap.continuity_enabled, dp.continuity_enabled, 0) = 1) AS receives
  FROM mailroute_list_address la
  JOIN mailroute_list_target t ON t.list_id = la.list_id
  LEFT JOIN amavisd_localpartalias first
    ON first.id = (SELECT MIN(x.id) FROM amavisd_localpartalias x
                    WHERE x.email_account_id = t.account_id)
  LEFT JOIN amavisd_emailaccount e ON e.id = first.email_account_id
  LEFT JOIN amavisd_domain d ON d.id = first.domain_id
  LEFT JOIN amavisd_policy ap ON ap.id = e.policy_id
  LEFT JOIN amavisd_policy dp ON dp.id = d.policy_id
 WHERE t.account_id IS NULL
    OR (SELECT 1 FROM amavisd_localpartalias ma
          JOIN amavisd_domain md ON md.id = ma.domain_id
         WHERE ma.email_account_id = t.account_id
           AND md.customer_id = (SELECT ld.customer_id FROM amavisd_domain ld
                                  WHERE ld.id = la.domain_id)
         LIMIT 1) IS NOT NULL;

-- Addresses that are both a list's and an account's: written before the
-- list (the trigger refuses the other order) or by an alias or domain
-- name added later. Postfix expands the list, so the account gets no mail
-- at that address: `mailroute-auth check-lists` reports them. The rows
-- are the pairs the collation matches; a reader keeps those whose stored
-- names are the same name under SPEC 3 (mailroute_same_name(), or the
-- tool's C comparison, so that a SELECT-only user can read it).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_list_collision AS
SELECT la.list_id, la.list_localpart, la.list_domain, lg.account_id,
       lg.login_localpart, lg.login_domain
  FROM mailroute_list_address la
  JOIN mailroute_login_domain lg
    ON lg.login_localpart = la.list_localpart AND lg.login_domain = la.list_domain
UNION ALL
SELECT la.list_id, la.list_localpart, la.list_domain, lg.account_id,
       lg.login_localpart, lg.login_domain
  FROM mailroute_list_address la
  JOIN mailroute_login_external lg
    ON lg.login_localpart = la.list_localpart AND lg.login_domain = la.list_domain;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (9, 'distribution_lists')
  ON DUPLICATE KEY UPDATE version = version;
