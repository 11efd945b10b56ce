-- Migration 0007 down: the view of the stock sql driver's fields removed
-- (the stock-SQL include of earlier versions spells the rules itself).

DROP PROCEDURE IF EXISTS mailroute_migration_0007_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0007_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 7) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0007 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 7;
END ;;
DELIMITER ;
CALL mailroute_migration_0007_down();
DROP PROCEDURE mailroute_migration_0007_down;

DROP VIEW IF EXISTS mailroute_dovecot;
