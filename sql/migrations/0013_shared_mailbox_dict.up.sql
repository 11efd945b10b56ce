-- Migration 0013 up: Dovecot's shared mailbox dictionary in the account
-- database, so that every Dovecot host lists the same shared folders.
--
--   mailroute_shared_mailbox  one row per (grantee, owner): the owner has
--                             shared at least one folder with the grantee,
--                             a user or a group (acl_groups' names).
--   mailroute_shared_mailbox_continuity
--                             where the dict map sends the continuity
--                             group's rows: a view that reads nothing,
--                             over mailroute_shared_mailbox_unlisted.
--
-- Dovecot's acl plugin writes it through the dict service (conf.d/dovecot/
-- dovecot-dict-shared.conf.ext: the key shared/shared-boxes/<kind>/
-- <grantee>/<owner>) whenever an owner's ACLs change, and reads it to list
-- shared/. It says only where to look: the rights themselves stay in the
-- owner's mailboxes (dovecot-acl files), so a row can never grant access.
-- `doveadm acl recalc -A` refills it from those files.
--
-- Why the continuity group is set apart: the global ACL file gives it lrs
-- on every mailbox of every user, so each user's first login (and every
-- ACL change) writes "group continuity can list my mailboxes" for that
-- user: a million rows that Dovecot reads through, all of them, on every
-- ACL change anywhere (acl-lookup-dict.c's rebuild iterates the whole
-- dict). Continuity accounts have no shared namespace, so nobody needs
-- those rows. MariaDB has no discarding table without a plugin: the rows
-- land in mailroute_shared_mailbox_unlisted (at most one per user, never
-- read) and the view the map reads answers no row, without a read.
--
-- Names compare byte for byte, as Dovecot compares them: under the
-- schema's utf8_general_ci, jürgen@ and jurgen@ would be one grantee.
--
-- Online: new tables and a view; nothing existing is altered.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0013_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0013_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 12) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0013 needs migration 0012';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0013_up();
DROP PROCEDURE mailroute_migration_0013_up;

-- grantee_kind is Dovecot's: user or group ('anyone' is refused by the
-- shipped config: acl_anyone is not allowed). A member lists shared/ by
-- the primary key's prefix (kind, grantee); an owner's rebuild reads the
-- table through and keeps its own rows.
CREATE TABLE IF NOT EXISTS mailroute_shared_mailbox (
  grantee_kind VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  grantee VARCHAR(320) CHARACTER SET utf8 COLLATE utf8_bin NOT NULL,
  owner VARCHAR(320) CHARACTER SET utf8 COLLATE utf8_bin NOT NULL,
  dummy CHAR(1) CHARACTER SET ascii NOT NULL DEFAULT '1',
  PRIMARY KEY (grantee_kind, grantee, owner),
  CONSTRAINT mailroute_shared_mailbox_kind CHECK (grantee_kind IN ('user', 'group'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE IF NOT EXISTS mailroute_shared_mailbox_unlisted (
  owner VARCHAR(320) CHARACTER SET utf8 COLLATE utf8_bin NOT NULL PRIMARY KEY,
  dummy CHAR(1) CHARACTER SET ascii NOT NULL DEFAULT '1'
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

-- Updatable (one table, no expression): Dovecot's INSERT ... ON DUPLICATE
-- KEY UPDATE and DELETE go through to the table; its SELECTs see nothing.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW mailroute_shared_mailbox_continuity AS
SELECT owner, dummy FROM mailroute_shared_mailbox_unlisted WHERE FALSE;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (13, 'shared_mailbox_dict')
  ON DUPLICATE KEY UPDATE version = version;
