"""A private Postfix (Debian's postfix + postfix-mysql) in a temporary
directory: its own config directory, queue and data directories, an smtpd
on a loopback port, virtual mailbox domains delivered to a Dovecot LMTP
port, the shipped list map, and a relay host for everything else (an
SmtpSink). Started with `postfix -c DIR start`, as a second instance
beside any system one."""
import grp
import os
import pwd
import re
import socket
import socketserver
import subprocess
import threading
import time

from .mariadb import free_port
from .paths import SOURCE_DIR

LIST_MAP = os.path.join(SOURCE_DIR, "conf.d", "postfix", "mailroute-lists.cf")

MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {state}/queue
data_directory = {state}/data
maillog_file = {state}/maillog
maillog_file_prefixes = {state}
myhostname = mx.mailroute.test
mydomain = mailroute.test
mydestination =
# nothing is delivered locally here
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
# Dovecot's LMTP checks every recipient at RCPT; this instance does not
smtpd_reject_unlisted_recipient = no
virtual_mailbox_domains = {domains}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
virtual_alias_maps = proxy:mysql:{root}/mailroute-lists.cf
proxy_read_maps = $virtual_alias_maps
relayhost = [127.0.0.1]:{relay_port}
smtp_tls_security_level = none
"""


class Postfix:
    def __init__(self, root, domains, lmtp_port, relay_port):
        # the configuration directory; queue, data and log beside it
        self.state = root
        self.root = os.path.join(root, "etc")
        self.domains = domains
        self.lmtp_port = lmtp_port
        self.relay_port = relay_port
        self.smtp_port = free_port()
        self.log_path = os.path.join(self.state, "maillog")

    def write_config(self, map_connection):
        """map_connection: the hosts/user/password/dbname lines that
        replace the shipped map's."""
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtp_port=self.smtp_port))
        with open(os.path.join(self.root, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(root=self.root, state=self.state,
                                   domains=" ".join(self.domains),
                                   lmtp_port=self.lmtp_port, relay_port=self.relay_port))
        with open(LIST_MAP) as f:
            shipped = f.read()
        keys = ("hosts", "dbname", "user", "password")
        lines = [line for line in shipped.splitlines()
                 if not any(line.startswith(key + " =") for key in keys)]
        path = os.path.join(self.root, "mailroute-lists.cf")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640), "w") as f:
            f.write(map_connection + "\n".join(lines) + "\n")
        # proxymap opens it as the postfix user; it holds a password
        os.chown(path, 0, grp.getgrnam("postfix").gr_gid)

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.root, *args], capture_output=True, text=True)

    def start(self, map_connection, timeout=30):
        self.write_config(map_connection)
        # the queue belongs to root, the data directory to postfix; `start`
        # makes what is inside (post-install create-missing)
        os.makedirs(os.path.join(self.state, "queue"), mode=0o755, exist_ok=True)
        os.makedirs(os.path.join(self.state, "data"), mode=0o700, exist_ok=True)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.state, "data"), postfix_user.pw_uid, postfix_user.pw_gid)
        out = self.postfix("start")
        if out.returncode != 0:
            raise RuntimeError("postfix start failed: " + out.stdout + out.stderr)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("postfix did not listen; see " + self.log_path)

    def stop(self):
        self.postfix("stop")

    def flush(self):
        self.postfix("flush")

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


class SmtpSink:
    """A relay host on loopback that accepts every message and keeps it:
    (envelope sender, recipients, data) per message in self.messages."""

    def __init__(self):
        self.messages = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                sender, recipients = None, []
                self.reply("220 sink.mailroute.test ESMTP")
                for raw in self.rfile:
                    line = raw.decode(errors="replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 sink.mailroute.test")
                    elif verb == "MAIL":
                        sender = re.match(r"MAIL FROM:\s*(<[^>]*>)", line, re.I).group(1)
                        recipients = []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        recipients.append(line[8:].strip().strip("<>"))
                        self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        data = []
                        for body in self.rfile:
                            if body in (b".\r\n", b".\n"):
                                break
                            data.append(body)
                        sink.messages.append((sender, recipients, b"".join(data)))
                        self.reply("250 kept")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
