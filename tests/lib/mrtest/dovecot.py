"""A private Dovecot 2.3 or 2.4 (Debian's dovecot-core) in a temporary
directory: own base_dir, loopback ports, a vmail user the harness creates,
the mailroute passdb/userdb of the caller's choice, in the syntax of the
installed version with that version's shipped conf.d."""
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import time

from .dovecot_conf import VMAIL_USER, conf_path, module_auth, shipped_mail_config, sql_auth
from .dovecot_modules import install_auth_modules
from .dovecot_version import is_dovecot_24
from .mariadb import free_port
from .wait import wait_for


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
                # the listeners come before the master writes its pid
                self.master_pid()
                return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise RuntimeError("dovecot did not start; see " + self.log_path)

    def stop(self):
        subprocess.run(["doveadm", "-c", self.config_path, "stop"], capture_output=True)
        deadline = time.time() + 15
        while time.time() < deadline and os.path.exists(os.path.join(self.base_dir, "master.pid")):
            time.sleep(0.2)

    def master_pid(self):
        with open(os.path.join(self.base_dir, "master.pid")) as f:
            return int(f.read().strip())

    def auth_worker_pids(self):
        """Pids of this Dovecot's auth-worker processes: the master's
        children running "auth -w"."""
        master = str(self.master_pid())
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
