-- Migration 0012 down: Stalwart's list functions removed (put the 0.9
-- file's recipients and expand queries of the earlier release back
-- first: they call them).

DROP PROCEDURE IF EXISTS mailroute_migration_0012_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0012_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 12) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0012 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 12;
END ;;
DELIMITER ;
CALL mailroute_migration_0012_down();
DROP PROCEDURE mailroute_migration_0012_down;

DROP FUNCTION IF EXISTS mailroute_stalwart_recipients;
DROP FUNCTION IF EXISTS mailroute_stalwart_list_names;
DROP FUNCTION IF EXISTS mailroute_stalwart_list;
