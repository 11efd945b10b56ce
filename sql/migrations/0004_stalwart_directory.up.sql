-- Migration 0004 up: what Stalwart's SQL directory reads (SPEC 8).
--
-- Stalwart binds exactly one value per query. A query that splits that
-- value into localpart and domain itself cannot use the login view's
-- indexes (measured: every domain scanned, seconds per lookup at 1,000,000
-- accounts). So each lookup is a DETERMINISTIC function of the one value:
-- inside it the two halves are constants and the view is searched through
-- its indexes, and the query around it becomes a primary-key lookup on
-- the per-alias view mailroute_alias. The queries themselves are in
-- conf.d/stalwart/, where Stalwart reads them.
--
-- The rules are the ones the Dovecot side applies (SPEC 3), read from the
-- same view:
--   * a name (login, members, emails) is the canonical address
--     <account localpart>@<primary domain>; Stalwart names its principal
--     after the login string, so an alias login would be a second,
--     empty principal: alias names do not log in;
--   * a recipient is tried as its exact localpart, then cut before the
--     first '+', then before the first '-'; the first candidate that
--     addresses an account decides;
--   * an account is in the directory when hosted or continuity; it logs in
--     only when also active (the login query withholds the secret);
--   * two accounts on one address, or an account whose names could not
--     make a Dovecot mail path, is a data error: the function raises
--     SQLSTATE 45000 naming the account ids, and Stalwart sees a failed
--     query (a temporary failure), never a random pick;
--   * secrets are converted to a format Stalwart verifies, or NULL: a raw
--     Django hash would be taken as a plain-text password.
--
-- Every utf8 parameter and variable is declared COLLATE utf8_general_ci,
-- the columns' collation: undeclared, it takes the server's default for
-- utf8, utf8mb3_uca1400_ai_ci on MariaDB 11.8 (Debian 13), and comparing
-- it with a column is error 1267. The file can be run again over an
-- earlier copy (CREATE OR REPLACE), which is the repair on such a server.

DROP PROCEDURE IF EXISTS mailroute_migration_0004_up;
DELIMITER ;;
CREATE PROCEDURE mailroute_migration_0004_up()
BEGIN
  IF NOT EXISTS (SELECT 1 FROM mailroute_schema_version WHERE version = 2) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'migration 0004 needs migration 0002';
  END IF;
END ;;
DELIMITER ;
CALL mailroute_migration_0004_up();
DROP PROCEDURE mailroute_migration_0004_up;

DELIMITER ;;

-- Base64 on one line: TO_BASE64 wraps at 76 characters, and a secret
-- must not hold a newline.
CREATE OR REPLACE FUNCTION mailroute_base64(p_bytes VARBINARY(255))
RETURNS VARCHAR(400) CHARACTER SET ascii
DETERMINISTIC NO SQL
BEGIN
  RETURN REPLACE(TO_BASE64(p_bytes), '\n', '');
END ;;

-- The same without padding: the encoding of PHC strings.
CREATE OR REPLACE FUNCTION mailroute_phc_base64(p_bytes VARBINARY(255))
RETURNS VARCHAR(400) CHARACTER SET ascii
DETERMINISTIC NO SQL
BEGIN
  RETURN TRIM(TRAILING '=' FROM mailroute_base64(p_bytes));
END ;;

-- The n-th '$'-separated field (1-based) of a Django hash.
CREATE OR REPLACE FUNCTION mailroute_hash_field(p_hash VARBINARY(255), p_n INT)
RETURNS VARBINARY(255)
DETERMINISTIC NO SQL
BEGIN
  RETURN SUBSTRING_INDEX(SUBSTRING_INDEX(p_hash, '$', p_n), '$', -1);
END ;;

-- A Django hash as a secret Stalwart verifies (SPEC 8), or NULL when it
-- cannot be expressed (bcrypt_sha256, pbkdf2_sha1, salted md5/sha1),
-- is unusable ('!...'), empty, malformed or unknown. Matching is on bytes,
-- so it is case-sensitive whatever the column's collation; every number
-- must be canonical decimal, as Django writes it.
CREATE OR REPLACE FUNCTION mailroute_stalwart_secret(p_hash VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS VARCHAR(400) CHARACTER SET ascii
DETERMINISTIC NO SQL
BEGIN
  DECLARE h VARBINARY(255) DEFAULT CAST(p_hash AS BINARY);
  DECLARE n BIGINT UNSIGNED;

  IF h IS NULL THEN
    RETURN NULL;
  END IF;
  -- pbkdf2_sha256$<iter>$<salt>$<base64 of 32 bytes>; the PHC verifier
  -- wants a salt of 4 to 64 base64 characters and a 32-bit count
  IF h REGEXP '^pbkdf2_sha256\\$[1-9][0-9]{0,9}\\$[^$]{3,48}\\$[A-Za-z0-9+/]{43}=$'
     AND CAST(mailroute_hash_field(h, 2) AS UNSIGNED) <= 4294967295 THEN
    RETURN CONCAT('$pbkdf2-sha256$i=', mailroute_hash_field(h, 2), ',l=32$',
                  mailroute_phc_base64(mailroute_hash_field(h, 3)), '$',
                  TRIM(TRAILING '=' FROM mailroute_hash_field(h, 4)));
  END IF;
  -- argon2$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>: the PHC string
  -- after 'argon2'. Strings without v= are version 0x10 (libargon2's
  -- reading); say so, so that no verifier assumes 0x13.
  IF h REGEXP '^argon2\\$argon2(id|i|d)\\$(v=(16|19)\\$)?m=[1-9][0-9]{0,9},t=[1-9][0-9]{0,9},p=[1-9][0-9]{0,2}\\$[A-Za-z0-9+/]{8,}\\$[A-Za-z0-9+/]{16,}$' THEN
    IF h REGEXP '^argon2\\$argon2[a-z]+\\$v=' THEN
      RETURN SUBSTRING(h, 7);
    END IF;
    RETURN CONCAT('$', mailroute_hash_field(h, 2), '$v=16$',
                  SUBSTRING(h, CHAR_LENGTH(SUBSTRING_INDEX(h, '$', 2)) + 2));
  END IF;
  -- bcrypt$$2b$<cost>$<53 characters>: the crypt string itself
  IF h REGEXP '^bcrypt\\$\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$' THEN
    RETURN SUBSTRING(h, 8);
  END IF;
  -- scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>, N a power of two
  IF h REGEXP '^scrypt\\$[1-9][0-9]{0,18}\\$[^$]{3,48}\\$[1-9][0-9]{0,9}\\$[1-9][0-9]{0,9}\\$[A-Za-z0-9+/]{86}==$' THEN
    SET n = CAST(mailroute_hash_field(h, 2) AS UNSIGNED);
    IF n > 1 AND (n & (n - 1)) = 0 THEN
      RETURN CONCAT('$scrypt$ln=', ROUND(LOG2(n)),
                    ',r=', mailroute_hash_field(h, 4),
                    ',p=', mailroute_hash_field(h, 5), '$',
                    mailroute_phc_base64(mailroute_hash_field(h, 3)), '$',
                    TRIM(TRAILING '=' FROM mailroute_hash_field(h, 6)));
    END IF;
    RETURN NULL;
  END IF;
  -- unsalted digests, lowercase hex as Django writes and compares them
  IF h REGEXP '^sha1\\$\\$[0-9a-f]{40}$' THEN
    RETURN CONCAT('{SHA}', mailroute_base64(UNHEX(SUBSTRING(h, 7))));
  END IF;
  IF h REGEXP '^(md5\\$\\$)?[0-9a-f]{32}$' THEN
    RETURN CONCAT('{MD5}', mailroute_base64(UNHEX(RIGHT(h, 32))));
  END IF;
  -- crypt$$<13-character DES crypt>
  IF h REGEXP '^crypt\\$\\$[./0-9A-Za-z]{13}$' THEN
    RETURN CONCAT('{CRYPT}', SUBSTRING(h, 8));
  END IF;
  RETURN NULL;
END ;;

-- Raises the data error for an account whose localpart or domain could
-- not make a Dovecot mail path (SPEC 4: '/', ':', control characters,
-- '.' or '..', a domain shorter than two characters), so that both mail
-- hosts refuse the same accounts.
CREATE OR REPLACE PROCEDURE mailroute_stalwart_check_names(p_account INT,
    p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
DETERMINISTIC NO SQL
BEGIN
  DECLARE message VARCHAR(128);

  IF CAST(p_localpart AS BINARY) REGEXP '[/:[:cntrl:]]'
     OR CAST(p_domain AS BINARY) REGEXP '[/:[:cntrl:]]'
     OR p_localpart IN ('.', '..') OR p_domain IN ('.', '..')
     OR CHAR_LENGTH(p_domain) < 2 THEN
    SET message = CONCAT('mailroute: account ', p_account,
                         ': name cannot make a mail path');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
END ;;

-- Whether a name the collation matched is the name asked for (SPEC 3):
-- ASCII letters case-insensitively, every other character exactly.
-- utf8_general_ci also equates o and ö, s and ß, K and the Kelvin sign.
-- Lowered, the two must be the same bytes; without their ASCII letters,
-- the same bytes too (so no letter differs but in ASCII case).
CREATE OR REPLACE FUNCTION mailroute_same_name(
    p_stored VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_asked VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS BOOLEAN
DETERMINISTIC NO SQL
BEGIN
  RETURN CAST(LOWER(p_stored) AS BINARY) = CAST(LOWER(p_asked) AS BINARY)
     AND CAST(REGEXP_REPLACE(p_stored COLLATE utf8_bin, '[A-Za-z]', '') AS BINARY)
       = CAST(REGEXP_REPLACE(p_asked COLLATE utf8_bin, '[A-Za-z]', '') AS BINARY);
END ;;

-- The alias row (mailroute_alias.alias_id) that localpart@domain
-- addresses, with the account's flags; NULL when no account has the
-- address. Two accounts on it are a data error.
CREATE OR REPLACE PROCEDURE mailroute_stalwart_find(
    p_localpart VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci,
    OUT p_alias INT, OUT p_receives BOOLEAN)
READS SQL DATA
BEGIN
  DECLARE first_account, last_account INT;
  DECLARE canonical_localpart_r, canonical_domain_r VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE message VARCHAR(128);

  SELECT MIN(alias_id), MIN(account_id), MAX(account_id),
         MIN(canonical_localpart), MIN(canonical_domain),
         MAX(hosted = 1 OR continuity = 1)
    INTO p_alias, first_account, last_account,
         canonical_localpart_r, canonical_domain_r, p_receives
    FROM mailroute_login
   WHERE login_localpart = p_localpart AND login_domain = p_domain
     AND mailroute_same_name(login_localpart, p_localpart)
     AND mailroute_same_name(login_domain, p_domain);
  IF first_account <> last_account THEN
    SET message = CONCAT('mailroute: accounts ', first_account, ' and ',
                         last_account, ' share ', p_localpart, '@', p_domain);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
  END IF;
  IF p_alias IS NOT NULL AND p_receives THEN
    CALL mailroute_stalwart_check_names(first_account, canonical_localpart_r,
                                        canonical_domain_r);
  END IF;
END ;;

-- Splits an address at its last '@' (SPEC 3); both NULL when there is
-- none, so that such a name addresses nothing.
CREATE OR REPLACE PROCEDURE mailroute_split_address(
    p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci,
    OUT p_localpart VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci,
    OUT p_domain VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
DETERMINISTIC NO SQL
BEGIN
  SET p_localpart = NULL, p_domain = NULL;
  IF p_address IS NOT NULL AND LOCATE('@', p_address) > 0 THEN
    SET p_domain = SUBSTRING_INDEX(p_address, '@', -1);
    SET p_localpart = LEFT(p_address,
                           CHAR_LENGTH(p_address) - CHAR_LENGTH(p_domain) - 1);
  END IF;
END ;;

-- Login, members and emails: the alias row of the canonical address
-- p_name of an account that receives mail (hosted or continuity), else
-- NULL. Alias localparts and alias domains are not account names.
CREATE OR REPLACE FUNCTION mailroute_stalwart_user(p_name VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS INT
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE localpart, domain VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE alias INT;
  DECLARE receives BOOLEAN;

  CALL mailroute_split_address(p_name, localpart, domain);
  IF domain IS NULL THEN
    RETURN NULL;
  END IF;
  CALL mailroute_stalwart_find(localpart, domain, alias, receives);
  IF alias IS NULL OR NOT receives OR NOT EXISTS (
       SELECT 1 FROM mailroute_alias
        WHERE alias_id = alias
          AND mailroute_same_name(canonical_localpart, localpart)
          AND mailroute_same_name(canonical_domain, domain)) THEN
    RETURN NULL;
  END IF;
  RETURN alias;
END ;;

-- Every address of the canonical user p_name, primary first, as a JSON
-- array: Stalwart's emails query walks it (a recursive CTE), because a
-- query cannot search the login view's UNION by a function of its one
-- bound value, and this function can (its variables are constants).
CREATE OR REPLACE FUNCTION mailroute_stalwart_emails(p_name VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS LONGTEXT CHARACTER SET utf8mb4
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE account, domain INT;

  SELECT account_id, domain_id INTO account, domain
    FROM mailroute_alias WHERE alias_id = mailroute_stalwart_user(p_name);
  IF account IS NULL THEN
    RETURN '[]';
  END IF;
  -- GROUP_CONCAT of quoted strings, not JSON_ARRAYAGG: on MariaDB 10.5
  -- JSON_ARRAYAGG fails on a non-ASCII address (error 1366)
  RETURN (SELECT CONCAT('[', COALESCE(GROUP_CONCAT(JSON_QUOTE(address)
                                        ORDER BY is_primary DESC, address
                                        SEPARATOR ','), ''), ']')
            -- DISTINCT by bytes: under the schema's collation the names
            -- john@exämple.com and john@example.com (two names of the
            -- domain) are one, and one of them would be lost; primary by
            -- SPEC 3's name equality, not the collation's
            FROM (SELECT DISTINCT
                         CONCAT(login_localpart, '@', login_domain) COLLATE utf8_bin AS address,
                         mailroute_same_name(login_localpart, canonical_localpart)
                           AND mailroute_same_name(login_domain, canonical_domain) AS is_primary
                    FROM mailroute_login
                   WHERE account_id = account AND domain_id = domain) addresses);
END ;;

-- Delivery: the alias row recipient p_address reaches by the userdb rule
-- (exact localpart, then cut before the first '+', then before the first
-- '-'), when its account receives mail; else NULL. The first candidate
-- that addresses an account decides, as in Dovecot.
CREATE OR REPLACE FUNCTION mailroute_stalwart_recipient(p_address VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS INT
DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE localpart, domain, candidate VARCHAR(512) CHARACTER SET utf8 COLLATE utf8_general_ci;
  DECLARE delimiters VARCHAR(8) DEFAULT '+-';
  DECLARE i INT DEFAULT 0;
  DECLARE cut INT;
  DECLARE alias INT;
  DECLARE receives BOOLEAN;

  CALL mailroute_split_address(p_address, localpart, domain);
  IF domain IS NULL THEN
    RETURN NULL;
  END IF;
  SET candidate = localpart;
  candidates: LOOP
    IF candidate <> '' THEN
      CALL mailroute_stalwart_find(candidate, domain, alias, receives);
      IF alias IS NOT NULL THEN
        RETURN IF(receives, alias, NULL);
      END IF;
    END IF;
    SET i = i + 1;
    IF i > CHAR_LENGTH(delimiters) THEN
      LEAVE candidates;
    END IF;
    SET cut = LOCATE(SUBSTRING(delimiters, i, 1), localpart);
    SET candidate = IF(cut > 0, LEFT(localpart, cut - 1), '');
  END LOOP;
  RETURN NULL;
END ;;

-- Whether p_domain is a name mail is accepted for: a domain or one of its
-- aliases, or an account's external domain (Stalwart 0.9.0-0.10.6 ask).
CREATE OR REPLACE FUNCTION mailroute_stalwart_domain(p_domain VARCHAR(255) CHARACTER SET utf8 COLLATE utf8_general_ci)
RETURNS BOOLEAN
DETERMINISTIC READS SQL DATA
BEGIN
  RETURN EXISTS (SELECT 1 FROM amavisd_domainalias WHERE name = p_domain)
      OR EXISTS (SELECT 1 FROM amavisd_localpartalias WHERE external_domain = p_domain);
END ;;

DELIMITER ;

-- Recorded last: a migration stopped midway (a lock wait over, a lost
-- connection) leaves no version row, so check-config and the next
-- migration see it unfinished; running this file again finishes it.
INSERT INTO mailroute_schema_version (version, name) VALUES (4, 'stalwart_directory')
  ON DUPLICATE KEY UPDATE version = version;
