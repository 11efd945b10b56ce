-- mailroute-auth: the MariaDB user Dovecot's dict service writes quota
-- usage as (dovecot-dict-quota.conf.ext). Run as an administrator in the
-- account database after migration 0010:
--
--   sed -e 's/@DOVECOT_HOST@/10.0.0.27/' -e 's/@PASSWORD@/.../' \
--     conf.d/dovecot/quota-usage-db-user.sql | mariadb mailroute
--
-- It can read and write mailroute_quota_usage and nothing else.
CREATE USER IF NOT EXISTS 'mailroute_quota'@'@DOVECOT_HOST@' IDENTIFIED BY '@PASSWORD@';
ALTER USER 'mailroute_quota'@'@DOVECOT_HOST@' IDENTIFIED BY '@PASSWORD@';
GRANT SELECT, INSERT, UPDATE ON mailroute_quota_usage TO 'mailroute_quota'@'@DOVECOT_HOST@';
