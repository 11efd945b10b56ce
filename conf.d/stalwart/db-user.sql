-- mailroute-auth: the read-only MariaDB user Stalwart's SQL directory
-- connects as. Run as an administrator in the account database after the
-- migrations (sql/migrations, 0012 included):
--
--   sed -e 's/@STALWART_HOST@/10.0.0.25/' -e 's/@PASSWORD@/.../' \
--     conf.d/stalwart/db-user.sql | mariadb mailroute
--
-- It may only connect over TLS, may read only the columns the views use
-- (auth_user.password among them, but not e-mail, names or last logins),
-- and may only call the functions the shipped queries call. The functions
-- run with their definer's rights (SQL SECURITY DEFINER, the default), so
-- the procedures they call need no grant. It can write nothing.

CREATE USER IF NOT EXISTS 'mailroute_stalwart'@'@STALWART_HOST@'
  IDENTIFIED BY '@PASSWORD@' REQUIRE SSL;
ALTER USER 'mailroute_stalwart'@'@STALWART_HOST@'
  IDENTIFIED BY '@PASSWORD@' REQUIRE SSL;

-- mailroute_alias and mailroute_login are SQL SECURITY INVOKER views: the
-- reader needs the columns they read.
GRANT SELECT ON mailroute_alias TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT SELECT (id, email_account_id, localpart, domain_id, external_domain)
  ON amavisd_localpartalias TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT SELECT (id, name, policy_id) ON amavisd_domain
  TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT SELECT (id, user_id, localpart, policy_id) ON amavisd_emailaccount
  TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT SELECT (id, password, is_active) ON auth_user
  TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT SELECT (id, hosted_mail_enabled, continuity_enabled,
              continuity_storage_days, quota_mb)
  ON amavisd_policy TO 'mailroute_stalwart'@'@STALWART_HOST@';

GRANT EXECUTE ON FUNCTION mailroute_stalwart_user TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_recipient TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_address TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_emails TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_domain TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_secret TO 'mailroute_stalwart'@'@STALWART_HOST@';
-- 0.9.0-0.10.6 only (migration 0012): distribution lists
GRANT EXECUTE ON FUNCTION mailroute_stalwart_recipients TO 'mailroute_stalwart'@'@STALWART_HOST@';
GRANT EXECUTE ON FUNCTION mailroute_stalwart_list_names TO 'mailroute_stalwart'@'@STALWART_HOST@';
