"""Clients of Dovecot's auth sockets, as LMTP and the login processes
talk to them: USER on auth-userdb, AUTH PLAIN on auth-client. One
connection per client; for benchmarks and tests that need many requests
without a process each (doveadm)."""
import base64
import os
import random
import socket


class AuthSocket:
    """One client connection to auth-userdb or auth-client."""

    def __init__(self, path, handshake):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.sock.sendall(handshake.encode())
        self.next_id = 1

    def request(self, line):
        self.sock.sendall(line.encode() + b"\n")
        while True:
            reply = self.file.readline().decode(errors="replace").rstrip("\n")
            if not reply:
                raise ConnectionError("auth socket closed")
            # handshake lines (VERSION, MECH, SPID, CUID, COOKIE, DONE)
            # come first on auth-client
            if reply.split("\t", 1)[0] in ("OK", "FAIL", "USER", "NOTFOUND"):
                return reply

    def close(self):
        self.sock.close()


def userdb_client(dovecot):
    conn = AuthSocket(os.path.join(dovecot.base_dir, "auth-userdb"), "VERSION\t1\t0\n")

    def lookup(user):
        conn.next_id += 1
        reply = conn.request("USER\t%d\t%s\tservice=lmtp" % (conn.next_id, user))
        return reply.startswith("USER\t")
    return conn, lookup


def login_client(dovecot, password):
    conn = AuthSocket(os.path.join(dovecot.base_dir, "auth-client"),
                      "VERSION\t1\t2\nCPID\t%d\n" % (os.getpid() * 100 + random.randrange(100)))

    def login(user):
        conn.next_id += 1
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        reply = conn.request("AUTH\t%d\tPLAIN\tservice=imap\tresp=%s" % (conn.next_id, resp))
        return reply.startswith("OK\t")
    return conn, login
