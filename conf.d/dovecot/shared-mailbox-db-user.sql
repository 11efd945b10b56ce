-- mailroute-auth: the MariaDB user Dovecot's dict service keeps the shared
-- mailbox list as (dovecot-dict-shared.conf.ext). Run as an administrator
-- in the account database after migration 0013, once per Dovecot host:
--
--   sed -e 's/@DOVECOT_HOST@/10.0.0.27/' -e 's/@PASSWORD@/.../' \
--     conf.d/dovecot/shared-mailbox-db-user.sql | mariadb mailroute
--
-- It can read and change the shared mailbox list and nothing else.
CREATE USER IF NOT EXISTS 'mailroute_shared'@'@DOVECOT_HOST@' IDENTIFIED BY '@PASSWORD@';
ALTER USER 'mailroute_shared'@'@DOVECOT_HOST@' IDENTIFIED BY '@PASSWORD@';
GRANT SELECT, INSERT, UPDATE, DELETE ON mailroute_shared_mailbox TO 'mailroute_shared'@'@DOVECOT_HOST@';
GRANT SELECT, INSERT, UPDATE, DELETE ON mailroute_shared_mailbox_continuity TO 'mailroute_shared'@'@DOVECOT_HOST@';
GRANT SELECT, INSERT, UPDATE, DELETE ON mailroute_shared_mailbox_unlisted TO 'mailroute_shared'@'@DOVECOT_HOST@';
