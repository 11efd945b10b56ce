"""A private Dovecot 2.3 (Debian's dovecot-core) in a temporary directory:
own base_dir, loopback ports, a vmail user the harness creates, the
mailroute passdb/userdb of the caller's choice."""
import os
import pwd
import socket
import subprocess
import time

from .mariadb import free_port
from .paths import SOURCE_DIR

VMAIL_USER = "mailroute-vmail"


def ensure_vmail_user():
    try:
        return pwd.getpwnam(VMAIL_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", VMAIL_USER], check=True)
        return pwd.getpwnam(VMAIL_USER)


# Every continuity mailbox gets a section, spelled exactly as in the
# userdb_import overrides, or Dovecot ignores the override (SPEC 4).
MAILBOXES = """
  mailbox inbox {
  }
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Quarantine {
  }
  mailbox Quarantine.Spam {
  }
  mailbox Quarantine.BadHeaders {
  }
  mailbox Quarantine.BannedFiles {
  }
  mailbox Quarantine.Blocked {
  }
  mailbox Quarantine.Virus {
  }
"""


class Dovecot:
    def __init__(self, root, auth_config):
        """auth_config: the passdb/userdb sections to use."""
        self.root = root
        self.base_dir = os.path.join(root, "run")
        self.config_path = os.path.join(root, "dovecot.conf")
        self.log_path = os.path.join(root, "dovecot.log")
        self.acl_path = os.path.join(root, "dovecot-acl")
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.lmtp_port = free_port()
        self.auth_config = auth_config
        self.vmail = ensure_vmail_user()

    def write_config(self):
        os.makedirs(self.base_dir, exist_ok=True)
        with open(self.acl_path, "w") as f:
            # continuity copies are read-only: list, read, keep \Seen
            f.write("* group-override=continuity lrs\n")
        config = """
base_dir = {base_dir}
state_dir = {root}/state
instance_name = mailroute-test-{imap_port}
log_path = {log}
info_log_path = {log}
debug_log_path = {log}
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# '+' and non-ASCII must reach mailroute, whose own validation applies
auth_username_chars =
# the full recipient reaches the userdb, which applies SPEC 3's
# delimiter rules itself (exact match first)
recipient_delimiter =
auth_verbose = yes
auth_debug = yes
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_plugins = acl quota
protocol imap {{
  mail_plugins = $mail_plugins imap_acl imap_quota
}}
plugin {{
  acl = vfile:{acl}
  quota = maildir:User quota
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
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
{auth}
""".format(base_dir=self.base_dir, root=self.root, log=self.log_path,
           uid=self.vmail.pw_uid, gid=self.vmail.pw_gid, acl=self.acl_path,
           mailboxes=MAILBOXES, imap_port=self.imap_port, pop3_port=self.pop3_port,
           lmtp_port=self.lmtp_port, auth=self.auth_config)
        with open(self.config_path, "w") as f:
            f.write(config)

    def start(self, timeout=30):
        self.write_config()
        subprocess.run(["dovecot", "-c", self.config_path], check=True)
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

    def doveadm(self, *args):
        return subprocess.run(["doveadm", "-c", self.config_path] + list(args),
                              capture_output=True, text=True)


def checkpassword_auth(binary, config_path, vmail_user=VMAIL_USER):
    """The shipped conf.d include (passdb checkpassword, prefetch, userdb
    checkpassword), with this build's binary, config file and vmail user."""
    with open(os.path.join(SOURCE_DIR, "conf.d", "dovecot",
                           "auth-mailroute-checkpassword.conf.ext")) as f:
        text = f.read()
    return (text.replace("/usr/local/libexec/mailroute-checkpassword", binary)
                .replace("/etc/dovecot/mailroute-auth.conf", config_path)
                .replace("=vmail", "=" + vmail_user))
