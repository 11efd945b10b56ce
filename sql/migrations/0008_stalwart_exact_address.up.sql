-- Migration 0008 up: the recipient lookup of Stalwart 0.16 (SPEC 8).
--
-- Stalwart 0.16 synchronizes every account its recipient query returns
-- into its own registry (the name and the addresses of the emails query)
-- and delivers by looking the recipient up among those addresses
-- (v0.16.18 crates/common/src/network/mta.rs, rcpt_resolve). It cuts a
-- '+' detail itself (per-domain sub-addressing, on by default) and knows
-- no '-' detail. So a query that answered john-tag@ with john's row, as
-- the 0.9-0.15 query does, made Stalwart accept the address at RCPT and
-- then bounce it at delivery ("Mailbox not found"). On 0.16 the query
-- must accept only an account's own address, exactly:
--
--   mailroute_stalwart_address(address): the alias row of the account
--   that has exactly this address and receives mail (hosted or
--   continuity), else NULL; two accounts on it are the data error of
--   mailroute_stalwart_find. No '+' or '-' cut: john-tag@ is refused at
--   RCPT (550) unless it is an address of its own.
--
-- utf8 parameters and variables are declared COLLATE utf8_general_ci, as
-- in migration 0004 (why, and the repair on MariaDB 11.8: see there).

DROP PROCEDURE IF EXISTS mailroute_migration_0008_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0008_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 7) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0008 needs migration 0007';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0008_up();
DROP PROCEDURE mailroute_migration_0008_up;

DELIMITER ;;
CREATE OR REPLACE FUNCTION mailroute_stalwart_address(p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS INT
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE localpart, domain VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE alias INT;
  DECLARE receives BOOLEAN;

  CALL mailroute_split_address(p_address, localpart, domain);
  IF domain IS NULL OR localpart = '' THEN
    RETURN NULL;
  END IF;
  CALL mailroute_stalwart_find(localpart, domain, alias, receives);
  RETURN IF(receives, alias, NULL);
END ;;
DELIMITER ;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (8, 'stalwart_exact_address')
  ON DUPLICATE KEY UPDATE version = version;
