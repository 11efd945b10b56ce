-- The subset of the production schema that mailroute-auth reads (SPEC 2.1),
-- for tests and demos. Production tables have more columns. Django creates
-- an index for every foreign key and nothing else: the lookup indexes come
-- with migration 0001.

CREATE TABLE auth_user (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  password VARCHAR(128) NOT NULL,
  last_login DATETIME(6) NULL,
  is_superuser TINYINT(1) NOT NULL DEFAULT 0,
  username VARCHAR(150) NOT NULL,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  date_joined DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY auth_user_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_customer (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_policy (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  policy_name VARCHAR(32) NOT NULL,
  priority INT NOT NULL DEFAULT 0,
  spam_lover CHAR(1) NULL,
  virus_lover CHAR(1) NULL,
  spam_tag2_level FLOAT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_domain (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  uuid CHAR(32) NOT NULL,
  policy_id INT NOT NULL,
  customer_id INT NOT NULL,
  UNIQUE KEY amavisd_domain_name (name),
  CONSTRAINT amavisd_domain_policy_fk FOREIGN KEY (policy_id)
    REFERENCES amavisd_policy (id),
  CONSTRAINT amavisd_domain_customer_fk FOREIGN KEY (customer_id)
    REFERENCES amavisd_customer (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_domainalias (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain_id INT NOT NULL,
  name VARCHAR(255) NOT NULL,
  CONSTRAINT amavisd_domainalias_domain_fk FOREIGN KEY (domain_id)
    REFERENCES amavisd_domain (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_emailaccount (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uuid CHAR(32) NOT NULL,
  user_id INT NOT NULL,
  localpart VARCHAR(255) NOT NULL,
  policy_id INT NOT NULL,
  CONSTRAINT amavisd_emailaccount_user_fk FOREIGN KEY (user_id)
    REFERENCES auth_user (id),
  CONSTRAINT amavisd_emailaccount_policy_fk FOREIGN KEY (policy_id)
    REFERENCES amavisd_policy (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

CREATE TABLE amavisd_localpartalias (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email_account_id INT NOT NULL,
  localpart VARCHAR(255) NOT NULL,
  domain_id INT NOT NULL,
  external_domain VARCHAR(255) NULL,
  CONSTRAINT amavisd_localpartalias_account_fk FOREIGN KEY (email_account_id)
    REFERENCES amavisd_emailaccount (id),
  CONSTRAINT amavisd_localpartalias_domain_fk FOREIGN KEY (domain_id)
    REFERENCES amavisd_domain (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;

-- The stop-gap table mailroute-auth retires.
CREATE TABLE temporary_hosted (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain_id INT NOT NULL,
  hosted TINYINT(1) NOT NULL DEFAULT 0,
  continuity TINYINT(1) NOT NULL DEFAULT 0,
  cont_storage_days INT NULL,
  quota_mb INT NULL,
  CONSTRAINT temporary_hosted_domain_fk FOREIGN KEY (domain_id)
    REFERENCES amavisd_domain (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;
