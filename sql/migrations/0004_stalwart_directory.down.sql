-- Migration 0004 down: drops the functions Stalwart's queries call.

DROP PROCEDURE IF EXISTS mailroute_migration_0004_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0004_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 4) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0004 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 4;
END ;;
DELIMITER ;
CALL mailroute_migration_0004_down();
DROP PROCEDURE mailroute_migration_0004_down;
DROP FUNCTION IF EXISTS mailroute_stalwart_domain;
DROP FUNCTION IF EXISTS mailroute_stalwart_recipient;
DROP FUNCTION IF EXISTS mailroute_stalwart_emails;
DROP FUNCTION IF EXISTS mailroute_stalwart_user;
DROP PROCEDURE IF EXISTS mailroute_split_address;
DROP PROCEDURE IF EXISTS mailroute_stalwart_find;
DROP FUNCTION IF EXISTS mailroute_same_name;
DROP PROCEDURE IF EXISTS mailroute_stalwart_check_names;
DROP FUNCTION IF EXISTS mailroute_stalwart_secret;
DROP FUNCTION IF EXISTS mailroute_hash_field;
DROP FUNCTION IF EXISTS mailroute_phc_base64;
DROP FUNCTION IF EXISTS mailroute_base64;
