"""The shipped conf.d files as the tests use them: read for the installed
Dovecot (2.4's own version where there is one), pointed at the test's
server, paths and binaries, with the modes the includes ask for."""
import grp
import os
import re

from .dovecot_version import dovecot_version, is_dovecot_24
from .paths import SOURCE_DIR

VMAIL_USER = "mailroute-vmail"


def conf_path(name):
    """A shipped conf.d file: 2.4's own version where there is one."""
    if is_dovecot_24():
        path = os.path.join(SOURCE_DIR, "conf.d", "dovecot-2.4", name)
        if os.path.exists(path):
            return path
    return os.path.join(SOURCE_DIR, "conf.d", "dovecot", name)


def read_conf(name):
    with open(conf_path(name)) as f:
        return f.read()


def shipped_mail_config(acl_path):
    """conf.d's mailroute-mail.conf.ext as shipped, ACL file moved."""
    return read_conf("mailroute-mail.conf.ext").replace("/etc/dovecot/dovecot-acl", acl_path)


def share_config_with_dovecot(config_path):
    """mailroute-checkpassword runs as the dovecot user: the config file
    and its password file become root:dovecot 0640 (SPEC 7)."""
    dovecot_gid = grp.getgrnam("dovecot").gr_gid
    for path in (config_path, config_path + ".password"):
        os.chown(path, 0, dovecot_gid)
        os.chmod(path, 0o640)


def checkpassword_auth(binary, config_path, vmail_user=VMAIL_USER):
    """The shipped conf.d include (passdb checkpassword, prefetch, userdb
    checkpassword), with this build's binary, config file and vmail user."""
    return (read_conf("auth-mailroute-checkpassword.conf.ext")
            .replace("/usr/local/libexec/mailroute-checkpassword", binary)
            .replace("/etc/dovecot/mailroute-auth.conf", config_path)
            .replace("=vmail", "=" + vmail_user))


def write_dict_config(path, name, server, db, user, password):
    """The shipped dict file name (a dovecot-dict-*.conf.ext) at path,
    connecting to the test server as user. 2.3's is a dict map file with a
    connect line, root:dovecot 0640 as the includes say (the dict service
    reads it as the dovecot user); 2.4's is configuration Dovecot's config
    process reads as root, with a mysql block: root 0600."""
    text = read_conf(name)
    if is_dovecot_24():
        text = text.replace("mysql 127.0.0.1 {", "mysql %s {" % server.socket, 1)
        for key, value in (("user", user), ("password", password), ("dbname", db)):
            text = re.sub(r"^(\s*mysql_%s = ).*$" % key, lambda m: m.group(1) + value, text,
                          count=1, flags=re.M)
        mode, group = 0o600, 0
    else:
        connect = "connect = host=%s dbname=%s user=%s password=%s" % (server.socket, db, user,
                                                                     password)
        text = "\n".join(connect if line.startswith("connect =") else line
                         for line in text.split("\n"))
        mode, group = 0o640, grp.getgrnam("dovecot").gr_gid
    assert password in text, "no database settings replaced in " + name
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w") as f:
        f.write(text)
    os.chown(path, 0, group)


def module_auth(config_path):
    """The shipped include for libauthdb_mailroute.so."""
    return read_conf("auth-mailroute.conf.ext").replace("/etc/dovecot/mailroute-auth.conf", config_path)


def sql_auth(sql_config_path, server, database, mail_root, index_root):
    """The shipped stock-SQL include and its dovecot-sql.conf.ext, pointed
    at the test server and path roots; writes the latter to
    sql_config_path."""
    from .mariadb import APP_USER, APP_PASSWORD
    connect = "connect = host=127.0.0.1 port=%d dbname=%s user=%s password=%s option_file=%s" % (
        server.port, database, APP_USER, APP_PASSWORD, conf_path("mailroute-mysql-client.cnf"))
    text = (read_conf("dovecot-sql.conf.ext").replace("/data/mailstorage", mail_root)
            .replace("/data/mailindices", index_root))
    text = "\n".join(connect if line.startswith("connect =") else line
                     for line in text.split("\n"))
    with open(sql_config_path, "w") as f:
        f.write(text)
    os.chmod(sql_config_path, 0o600)
    include = read_conf("auth-mailroute-sql.conf.ext").replace(
        "/etc/dovecot/dovecot-sql.conf.ext", sql_config_path)
    if dovecot_version() < (2, 3, 18):
        # what the include's comment asks on these versions
        assert "auth_cache_size = 10M" in include
        include = include.replace("auth_cache_size = 10M", "auth_cache_size = 0")
    return include
