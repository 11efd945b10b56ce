-- mailroute-auth: the read-only MariaDB user of Postfix's list map
-- (mailroute-lists.cf). Run as an administrator in the account database
-- after the migrations (sql/migrations, 0009 included):
--
--   sed -e 's/@POSTFIX_HOST@/10.0.0.26/' -e 's/@PASSWORD@/.../' \
--     conf.d/postfix/db-user.sql | mariadb mailroute
--
-- It reads the list views and the columns under them (not auth_user: no
-- password hash) and may call the name comparison. It can write nothing.

CREATE USER IF NOT EXISTS 'mailroute_postfix'@'@POSTFIX_HOST@' IDENTIFIED BY '@PASSWORD@';
ALTER USER 'mailroute_postfix'@'@POSTFIX_HOST@' IDENTIFIED BY '@PASSWORD@';

-- SQL SECURITY INVOKER views: the reader needs the columns they read.
GRANT SELECT ON mailroute_list_expansion TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT ON mailroute_list_address TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT ON mailroute_list_target TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT ON mailroute_list TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT ON mailroute_list_member TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT (domain_id, name) ON amavisd_domainalias TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT (id, email_account_id, domain_id) ON amavisd_localpartalias
  TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT (id, name, policy_id, customer_id) ON amavisd_domain TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT (id, localpart, policy_id) ON amavisd_emailaccount
  TO 'mailroute_postfix'@'@POSTFIX_HOST@';
GRANT SELECT (id, hosted_mail_enabled, continuity_enabled)
  ON amavisd_policy TO 'mailroute_postfix'@'@POSTFIX_HOST@';

GRANT EXECUTE ON FUNCTION mailroute_same_name TO 'mailroute_postfix'@'@POSTFIX_HOST@';
