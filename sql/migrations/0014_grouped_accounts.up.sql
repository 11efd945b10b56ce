-- Migration 0014 up: which accounts are in a shared-folder group, so that
-- a lookup reads groups only for them.
--
--   mailroute_grouped_account  one row per account that is, or was, a
--                              member of a group (mailroute_group_member)
--
-- Reading an account's groups (mailroute_account_group: three tables and
-- the customer check) inside the address lookup cost every lookup about
-- 140 us of the server's CPU at 1,000,000 accounts, a quarter of the
-- statement, members or not (bench/README.md). The lookups now join this
-- table on its primary key and read the groups, by a statement of their
-- own, only for the account they chose and only when it has a row here.
--
-- Triggers keep it: a membership inserted, or moved to another account,
-- adds that account's row. A row is never removed with a membership (a
-- group deleted takes its memberships by a cascade, which fires no
-- trigger, and removing it on a direct delete could race a concurrent
-- insert): a row without memberships only costs that account one more
-- statement that finds no group. A row grants nothing: the groups are
-- read from mailroute_account_group, with its customer check, every
-- time. An account deleted takes its row (foreign key).
--
-- The lookup user reads the new table (a grant on the whole database
-- covers it). The views are left as they are: every reader of
-- mailroute_alias needs the rights on each column it names (Stalwart's
-- user has no amavisd_domain.customer_id), so a column added there would
-- break them until their grants were changed.
--
-- Online: a new table, two triggers on mailroute_group_member and a copy
-- of its accounts; no existing table or view is altered.

SET SESSION lock_wait_timeout = 3;
SET SESSION innodb_lock_wait_timeout = 3;

DROP PROCEDURE IF EXISTS mailroute_migration_0014_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0014_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 13) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0014 needs migration 0013';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0014_up();
DROP PROCEDURE mailroute_migration_0014_up;

-- The column has a name of its own so that a lookup can join it beside
-- the login views' account_id without qualifying either.
CREATE TABLE IF NOT EXISTS mailroute_grouped_account (
  grouped_account_id INT NOT NULL PRIMARY KEY,
  CONSTRAINT mailroute_grouped_account_fk FOREIGN KEY (grouped_account_id)
    REFERENCES amavisd_emailaccount (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE OR REPLACE TRIGGER mailroute_group_member_grouped_insert
AFTER INSERT ON mailroute_group_member FOR EACH ROW
INSERT IGNORE INTO mailroute_grouped_account (grouped_account_id)
VALUES (NEW.account_id);

CREATE OR REPLACE TRIGGER mailroute_group_member_grouped_update
AFTER UPDATE ON mailroute_group_member FOR EACH ROW
INSERT IGNORE INTO mailroute_grouped_account (grouped_account_id)
VALUES (NEW.account_id);

-- After the triggers: a membership added meanwhile is marked by one or
-- the other.
INSERT IGNORE INTO mailroute_grouped_account (grouped_account_id)
SELECT DISTINCT account_id FROM mailroute_group_member;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (14, 'grouped_accounts')
  ON DUPLICATE KEY UPDATE version = version;
