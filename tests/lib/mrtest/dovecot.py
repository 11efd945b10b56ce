"""A private Dovecot 2.3 or 2.4 (Debian's dovecot-core) in a temporary
directory: own base_dir, loopback ports, a vmail user the harness creates,
the mailroute passdb/userdb of the caller's choice, in the syntax of the
installed version with that version's shipped conf.d."""
import glob
import grp
import imaplib
import os
import poplib
import pwd
import re
import shutil
import socket
import subprocess
import time

from .mariadb import free_port
from .paths import BUILD_DIR, SOURCE_DIR

VMAIL_USER = "mailroute-vmail"


def ensure_vmail_user():
    try:
        return pwd.getpwnam(VMAIL_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", VMAIL_USER], check=True)
        return pwd.getpwnam(VMAIL_USER)


class Dovecot:
    def __init__(self, root, auth_config):
        """auth_config: the passdb/userdb sections to use."""
        self.root = root
        self.base_dir = os.path.join(root, "run")
        self.config_path = os.path.join(root, "dovecot.conf")
        self.log_path = os.path.join(root, "dovecot.log")
        self.acl_path = os.path.join(root, "dovecot-acl")
        # the userdb's mail root, where start_mail_host() set one
        self.mail_root = None
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.lmtp_port = free_port()
        self.auth_config = auth_config
        self.vmail = ensure_vmail_user()
        # more for the master's environment (a benchmark's preload), which
        # the configuration's import_environment passes on
        self.environment = {}

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def logged(self, pattern, timeout=10):
        """The first match of the regular expression pattern in the log,
        waiting for it: Dovecot's log process writes a line after the
        request that caused it has been answered."""
        return wait_for(lambda: re.search(pattern, self.log()), timeout)

    def write_config(self):
        os.makedirs(self.base_dir, exist_ok=True)
        shutil.copy(conf_path("dovecot-acl"), self.acl_path)
        with open(self.config_path, "w") as f:
            f.write(BASE_CONFIG_24 if is_dovecot_24() else BASE_CONFIG_23)
            f.write(SERVICES_CONFIG.format(
                base_dir=self.base_dir, root=self.root, log=self.log_path,
                uid=self.vmail.pw_uid, gid=self.vmail.pw_gid,
                mail=shipped_mail_config(self.acl_path), imap_port=self.imap_port,
                pop3_port=self.pop3_port, lmtp_port=self.lmtp_port,
                sanitizer=sanitizer_config(), auth=self.auth_config,
                listener_address="listen" if is_dovecot_24() else "address"))

    def start(self, timeout=30):
        self.write_config()
        subprocess.run(["dovecot", "-c", self.config_path], check=True,
                       env=dict(os.environ, **sanitizer_environment(), **self.environment))
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.lmtp_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("dovecot did not start; see " + self.log_path)

    def stop(self):
        subprocess.run(["doveadm", "-c", self.config_path, "stop"], capture_output=True)
        deadline = time.time() + 15
        while time.time() < deadline and os.path.exists(os.path.join(self.base_dir, "master.pid")):
            time.sleep(0.2)

    def auth_worker_pids(self):
        """Pids of this Dovecot's auth-worker processes: the master's
        children running "auth -w"."""
        with open(os.path.join(self.base_dir, "master.pid")) as f:
            master = f.read().strip()
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    parent = f.read().rsplit(")", 1)[1].split()[1]
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ")
            except (OSError, IndexError):
                continue
            if parent == master and b"auth -w" in cmdline:
                pids.append(int(pid))
        return pids

    def mailbox_messages(self, user, box):
        """Message count of one mailbox (doveadm mailbox status)."""
        out = self.doveadm("mailbox", "status", "-u", user, "messages", box)
        if out.returncode != 0:
            raise RuntimeError("doveadm mailbox status failed: " + out.stderr)
        return int(out.stdout.strip().split("=")[1])

    def session_later(self, user, days):
        """An IMAP session (imap in pre-auth mode) that believes it runs
        `days` from now: autoexpunge runs when an IMAP or POP3 session
        ends. Files keep their real times (NO_FAKE_STAT); Dovecot's
        processes clean their environment except DOVECOT_PRESERVE_ENVS."""
        # libfaketime preloaded, not the faketime wrapper: the wrapper
        # keeps a semaphore named after its pid in /dev/shm and fails
        # ("sem_open: File exists") on a pid whose old one was left behind
        preload = " ".join(filter(None, [faketime_library(), os.environ.get("LD_PRELOAD")]))
        env = dict(os.environ, LD_PRELOAD=preload, FAKETIME="+%dd" % days, NO_FAKE_STAT="1",
                   DOVECOT_PRESERVE_ENVS="LD_PRELOAD FAKETIME NO_FAKE_STAT")
        out = subprocess.run(["doveadm", "-c", self.config_path, "exec", "imap", "-u", user],
                             input="a logout\r\n", capture_output=True, text=True, env=env)
        if "a OK" not in out.stdout:
            raise RuntimeError("imap session failed: " + out.stdout + out.stderr)

    def doveadm(self, *args):
        return subprocess.run(["doveadm", "-c", self.config_path] + list(args),
                              capture_output=True, text=True)


def faketime_library():
    """Debian's libfaketime (package faketime), for the multiarch path."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found:
        raise RuntimeError("libfaketime.so.1 not found: install faketime")
    return found[0]


def dovecot_version():
    """The installed Dovecot's version, e.g. (2, 3, 19), (2, 3, 19, 1) or
    (2, 4, 1) (Debian's "2.4.1-4")."""
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, check=True)
    release = re.match(r"[0-9.]+", out.stdout).group(0).rstrip(".")
    return tuple(int(part) for part in release.split("."))


def is_dovecot_24():
    return dovecot_version() >= (2, 4)


# What differs between 2.3's and 2.4's dovecot.conf for the harness.
BASE_CONFIG_23 = """
disable_plaintext_auth = no
"""
BASE_CONFIG_24 = """dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
auth_allow_cleartext = yes
"""
SERVICES_CONFIG = """
base_dir = {base_dir}
state_dir = {root}/state
instance_name = mailroute-test-{imap_port}
log_path = {log}
info_log_path = {log}
debug_log_path = {log}
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
auth_verbose = yes
auth_debug = yes
# tests fail many logins on purpose (the auth penalty is per source
# address: see client_address())
auth_failure_delay = 0
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
namespace inbox {{
  inbox = yes
  separator = /
}}
{mail}
service imap-login {{
  inet_listener imap {{
    {listener_address} = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    {listener_address} = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    {listener_address} = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{sanitizer}
{auth}
"""


SANITIZER_ENVIRONMENT = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")


def sanitizer_environment():
    """Under tests/sanitizers/run, the modules are ASan + UBSan builds: the
    master starts with the runtime preloaded and the report directory, and
    passes both on to its services (not doveadm's own children, which may
    preload faketime instead)."""
    preload = os.environ.get("MR_SANITIZER_PRELOAD")
    if not preload:
        return {}
    report = os.environ["MR_SANITIZER_REPORT_DIR"]
    return {"LD_PRELOAD": preload,
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:log_path=%s/asan" % report,
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan" % report}


def sanitizer_config():
    """No address-space limit under the sanitizers (ASan maps its shadow
    memory at start, far beyond vsz_limit)."""
    if not sanitizer_environment():
        return ""
    return ("import_environment = TZ CORE_OUTOFMEM CORE_ERROR %s\n"
            "default_vsz_limit = 0\n" % " ".join(SANITIZER_ENVIRONMENT))


_next_client = [0]


def client_address():
    """A fresh loopback source address per connection, so that Dovecot's
    auth penalty for failed logins (per address, up to 15 s) does not slow
    the suite down."""
    _next_client[0] += 1
    n = _next_client[0]
    return "127.%d.%d.%d" % (100 + (n >> 16) % 100, (n >> 8) & 255, n & 255 or 1)


def _socket_from_fresh_address(self, timeout):
    return socket.create_connection((self.host, self.port), timeout,
                                    source_address=(client_address(), 0))


class IMAP(imaplib.IMAP4):
    """imaplib.IMAP4 connecting from a fresh loopback address."""
    _create_socket = _socket_from_fresh_address


class POP3(poplib.POP3):
    """poplib.POP3 connecting from a fresh loopback address."""
    _create_socket = _socket_from_fresh_address


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


def start_mail_host(root, server, db, mode="module", extra_config="", mail_root=None,
                    module_config=None):
    """A started Dovecot under root with mail and index roots the vmail
    user owns, authenticating through the module (its mailroute-auth.conf
    for the database and roots, module_config's keys added or, None,
    removed) or, mode "sql", the shipped stock-SQL include; the caller's
    extra configuration after the auth include. Given mail_root (another
    host's), it serves that mail storage, as a mirrored host does, with
    index files of its own."""
    from . import fixtures
    os.makedirs(root)
    os.chmod(root, 0o755)
    index_root = os.path.join(root, "mailindices")
    new_roots = [index_root]
    if mail_root is None:
        mail_root = os.path.join(root, "mailstorage")
        new_roots.append(mail_root)
    install_auth_modules()
    if mode == "module":
        conf = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), server, db,
                                     mail_root=mail_root, index_root=index_root,
                                     **(module_config or {}))
        auth = module_auth(conf)
    else:
        auth = sql_auth(os.path.join(root, "dovecot-sql.conf.ext"), server, db, mail_root,
                        index_root)
    dovecot = Dovecot(os.path.join(root, "dovecot"), auth + extra_config)
    dovecot.mail_root = mail_root
    for d in new_roots:
        os.makedirs(d)
        os.chown(d, dovecot.vmail.pw_uid, dovecot.vmail.pw_gid)
    dovecot.start()
    return dovecot


def wait_for(check, timeout=30):
    """check() until it returns something true (returned), or its last
    answer after timeout seconds: deliveries land asynchronously."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()


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


AUTH_MODULE_DIR = "/usr/lib/dovecot/modules/auth"
AUTH_MODULES = ("libauthdb_mailroute.so", "lib20_mailroute_django.so")
# the mail plugin keeping shared folders within one customer
TENANT_MODULE = ("/usr/lib/dovecot/modules", "lib00_mailroute_tenant_plugin.so")
# 2.4: the config process learns mailroute_config_file from it
SETTINGS_MODULE = ("/usr/lib/dovecot/modules/settings", "libmailroute_settings.so")


def install_auth_modules():
    """Dovecot loads modules from its compiled-in moduledir only, so the
    build's modules go there (what `make install` does)."""
    modules = [(AUTH_MODULE_DIR, name) for name in AUTH_MODULES]
    modules.append(TENANT_MODULE)
    if is_dovecot_24():
        modules.append(SETTINGS_MODULE)
    for directory, name in modules:
        built = os.path.join(BUILD_DIR, "plugin", ".libs", name)
        if not os.path.exists(built):
            raise RuntimeError("build first: %s missing" % built)
        target = os.path.join(directory, name)
        # a Dovecot built from source has no settings/ until a module is
        # installed there (make install makes it)
        os.makedirs(directory, exist_ok=True)
        shutil.copyfile(built, target + ".new")
        os.chmod(target + ".new", 0o644)
        os.replace(target + ".new", target)
