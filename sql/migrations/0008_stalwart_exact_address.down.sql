-- Migration 0008 down: Stalwart 0.16's exact-address lookup removed (the
-- 0.16 directory object of earlier versions used the detail-cutting
-- mailroute_stalwart_recipient).

DROP PROCEDURE IF EXISTS mailroute_migration_0008_down;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0008_down()
BEGIN
  IF EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version > 8) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0008 down refused: run the down migrations of later versions first';
  END IF;
  DELETE FROM mailroute_schema_version WHERE version = 8;
END ;;
DELIMITER ;
CALL mailroute_migration_0008_down();
DROP PROCEDURE mailroute_migration_0008_down;

DROP FUNCTION IF EXISTS mailroute_stalwart_address;
