-- Migration 0002 down: drops the views.

DROP PROCEDURE IF EXISTS mailroute_migration_0002_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0002_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 2) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0002 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 2;
END ;;
DELIMITER ;
CALL mailroute_migration_0002_down();
DROP PROCEDURE mailroute_migration_0002_down;
DROP VIEW IF EXISTS mailroute_login;
DROP VIEW IF EXISTS mailroute_alias;
