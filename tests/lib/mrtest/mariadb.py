"""A private MariaDB server in a temporary directory, on a unix socket and
a loopback TCP port, for tests and the demo. Nothing outside the directory
is touched; stop() removes the process, the caller removes the directory."""
import os
import shutil
import socket
import subprocess
import time

import MySQLdb

APP_USER = "mailroute_ro"
APP_PASSWORD = "ro-secret-for-tests"


_ports_given = set()


def free_port():
    """A loopback port nothing listens on, never one this process was
    given before: the kernel may hand a just-closed ephemeral port out
    again, and two listeners of one Dovecot on the same port make it
    refuse to start ("duplicate listener")."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def _find(*names):
    for name in names:
        path = shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name)
        if path:
            return path
    raise RuntimeError("none of %s found: install mariadb-server" % (names,))


class MariaDB:
    def __init__(self, root, buffer_pool="64M", tls="self-signed", extra_args=()):
        """buffer_pool: InnoDB's cache; small for tests, sized to the data
        for benchmarks (production holds its working set in memory).
        tls: "self-signed" (a certificate of its own for 127.0.0.1, its
        path in self.tls_ca), (certificate, key) from a test CA, or None
        for a server without TLS."""
        self.root = root
        self.buffer_pool = buffer_pool
        self.tls = tls
        # server options a test adds (replication: server id, binary log)
        self.extra_args = list(extra_args)
        self.datadir = os.path.join(root, "data")
        self.socket = os.path.join(root, "mysqld.sock")
        self.port = free_port()
        self.process = None
        self.log_path = os.path.join(root, "mysqld.log")
        self.tls_ca = os.path.join(root, "server-cert.pem")

    def install(self):
        os.makedirs(self.datadir, exist_ok=True)
        subprocess.run([_find("mariadb-install-db", "mysql_install_db"), "--no-defaults",
                        "--user=root", "--datadir=" + self.datadir,
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def make_tls_certificate(self):
        """A self-signed certificate for 127.0.0.1, so that clients can
        connect over TLS and check the server (self.tls_ca)."""
        key = os.path.join(self.root, "server-key.pem")
        if not os.path.exists(self.tls_ca):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-days", "3", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.tls_ca],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        return ["--ssl-ca=" + self.tls_ca, "--ssl-cert=" + self.tls_ca, "--ssl-key=" + key]

    def start(self, timeout=60):
        if not os.path.exists(os.path.join(self.datadir, "mysql")):
            self.install()
        # a server's temporary tables live in its own directory: one
        # started on /tmp deletes other servers' files there
        tmpdir = os.path.join(self.root, "tmp")
        os.makedirs(tmpdir, exist_ok=True)
        if self.tls == "self-signed":
            tls_options = self.make_tls_certificate()
        elif self.tls is None:
            tls_options = ["--skip-ssl"]
        else:
            cert, key = self.tls
            tls_options = ["--ssl-cert=" + cert, "--ssl-key=" + key]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [_find("mariadbd", "mysqld"), "--no-defaults", "--user=root",
             "--datadir=" + self.datadir, "--socket=" + self.socket,
             "--port=%d" % self.port, "--bind-address=127.0.0.1",
             "--pid-file=" + os.path.join(self.root, "mysqld.pid"), "--tmpdir=" + tmpdir,
             "--skip-name-resolve", "--innodb-buffer-pool-size=" + self.buffer_pool,
             "--innodb-flush-log-at-trx-commit=2", "--log-error=" + self.log_path]
            + tls_options + self.extra_args,
            stdout=log, stderr=log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                # the tail in the message: the work directory, and the
                # log with it, is usually gone when the report is read
                with open(self.log_path, errors="replace") as f:
                    tail = f.read()[-2000:]
                raise RuntimeError("mariadbd exited; %s ends:\n%s" % (self.log_path, tail))
            try:
                self.connect().close()
                return
            except MySQLdb.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("mariadbd did not start in %ds" % timeout)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def connect(self, db=None, user="root", password=None):
        kwargs = dict(unix_socket=self.socket, user=user, charset="utf8")
        if db:
            kwargs["db"] = db
        if password is not None:
            kwargs["passwd"] = password
        conn = MySQLdb.connect(**kwargs)
        conn.autocommit(True)
        return conn

    def query(self, sql, params=None, db=None):
        conn = self.connect(db)
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def run_file(self, path, db):
        """Runs an SQL file with the mariadb client, as an operator would.
        Returns (returncode, stdout, stderr)."""
        with open(path, "rb") as f:
            p = subprocess.run([_find("mariadb", "mysql"), "--no-defaults", "--batch",
                                "--socket=" + self.socket, "-uroot", db],
                               stdin=f, capture_output=True)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def run_template(self, path, db, replacements):
        """Runs a shipped SQL file whose @PLACEHOLDER@s an operator fills in
        (the db-user.sql files); raises on failure."""
        with open(path) as f:
            sql = f.read()
        for placeholder, value in replacements.items():
            sql = sql.replace(placeholder, value)
        filled = os.path.join(self.root, "%s-%s" % (db, os.path.basename(path)))
        with open(filled, "w") as f:
            f.write(sql)
        code, out, err = self.run_file(filled, db)
        if code != 0:
            raise RuntimeError("%s failed: %s%s" % (os.path.basename(path), out, err))

    def create_database(self, name):
        self.query("DROP DATABASE IF EXISTS `%s`" % name)
        self.query("CREATE DATABASE `%s` CHARACTER SET utf8 COLLATE utf8_general_ci" % name)
        self.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'" % (APP_USER, APP_PASSWORD))
        self.query("CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY '%s'" % (APP_USER, APP_PASSWORD))
        for host in ("localhost", "127.0.0.1"):
            # SHOW VIEW: check-config's EXPLAIN of the lookup statement
            self.query("GRANT SELECT, SHOW VIEW ON `%s`.* TO '%s'@'%s'" % (name, APP_USER, host))
