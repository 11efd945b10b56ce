"""The database connection as an operator configures it (issue 14): the
four db_tls modes against real servers given certificates by a test CA,
with a relay the test owns on loopback showing what crosses the wire in
clear; a connection cut in the middle of a result, at the CLI and in a
Dovecot auth worker that must reconnect and answer the next request."""
import os
import subprocess

import pytest

from mrtest import fixtures, relay, tls
from mrtest.dovecot import Dovecot
from mrtest.dovecot_conf import module_auth
from mrtest.dovecot_modules import install_auth_modules
from mrtest.mariadb import APP_PASSWORD, MariaDB
from mrtest.paths import ADMIN_CLI

DB = "mailroute"
STORED_HASH = b"pbkdf2_sha256$"  # the start of john's stored hash


@pytest.fixture(scope="module")
def test_ca(workdir):
    directory = os.path.join(workdir, "tls-ca")
    return {"right": tls.TestCA(directory, "right"), "other": tls.TestCA(directory, "other")}


@pytest.fixture(scope="module")
def servers(workdir, test_ca):
    """A server without TLS, one with a certificate for 127.0.0.1 and one
    whose certificate names another host, the latter two from the test
    CA; each with the fixtures."""
    ca = test_ca["right"]
    made = {"plain": MariaDB(os.path.join(workdir, "db-plain"), tls=None),
            "tls": MariaDB(os.path.join(workdir, "db-tls"),
                           tls=ca.issue("ip", "IP:127.0.0.1")),
            "wrong-name": MariaDB(os.path.join(workdir, "db-wrong-name"),
                                  tls=ca.issue("name", "DNS:db.wrong.example"))}
    try:
        for server in made.values():
            server.start()
            fixtures.load_migrated(server, DB)
        yield made
    finally:
        for server in made.values():
            server.stop()


def lookup_through_relay(workdir, server, name, **config):
    """mailroute-auth lookup john@example.com over TCP through a fresh
    relay; (exit status, output, every byte that crossed)."""
    wire = relay.Relay(server.port)
    try:
        path = fixtures.write_config(os.path.join(workdir, name + ".conf"), server, DB,
                                     db_socket=None, db_hosts="127.0.0.1:%d" % wire.port,
                                     **config)
        out = subprocess.run([ADMIN_CLI, "-c", path, "lookup", "john@example.com"],
                             capture_output=True, text=True)
        return out.returncode, out.stdout + out.stderr, wire.wire()
    finally:
        wire.close()


# (server, db_tls, CA the client trusts) -> connects, in clear
TLS_CASES = [
    ("plain", "off", None, True, True),
    ("plain", "preferred", "right", True, True),
    ("plain", "required", "right", False, False),
    ("plain", "verify", "right", False, False),
    ("tls", "off", None, True, True),
    ("tls", "preferred", "right", True, False),
    ("tls", "preferred", "other", False, False),
    ("tls", "required", "right", True, False),
    ("tls", "required", "other", False, False),
    ("tls", "verify", "right", True, False),
    ("tls", "verify", "other", False, False),
    ("wrong-name", "required", "right", True, False),
    ("wrong-name", "verify", "right", False, False),
    ("wrong-name", "verify", "other", False, False),
]


@pytest.mark.parametrize("server_name,mode,ca,connects,in_clear", TLS_CASES,
                         ids=["%s-%s-%s-ca" % c[:3] for c in TLS_CASES])
def test_tls_modes(workdir, servers, test_ca, server_name, mode, ca, connects, in_clear):
    """required refuses a server that does not negotiate TLS (Connector/C
    alone connects in plain text); verify also checks the certificate's
    CA and host name; a refused connection sends no query, so no stored
    hash crosses; the database password never crosses in any mode (the
    native password exchange sends a scramble of it)."""
    config = {"db_tls": mode}
    if ca is not None:
        config["db_tls_ca"] = test_ca[ca].cert
    status, output, wire = lookup_through_relay(
        workdir, servers[server_name], "tls-%s-%s-%s" % (server_name, mode, ca), **config)
    assert (status == 0) == connects, output
    if not connects:
        assert status == 3, output
        if server_name == "plain":
            assert "did not negotiate" in output or "does not support" in output, output
    assert (STORED_HASH in wire) == in_clear
    assert APP_PASSWORD.encode() not in wire


def test_connection_cut_in_a_result_is_named(workdir, servers):
    """A connection lost in the middle of a result is reported with the
    client's message (it is on the connection, not the statement) and is
    a temporary failure, at the lookup and in the paged user walk."""
    server = servers["tls"]
    for command, marker in ((["lookup", "john@example.com"], STORED_HASH),
                            (["hash-census"], b"bigquota")):
        wire = relay.Relay(server.port)
        wire.cut_marker = marker
        try:
            path = fixtures.write_config(os.path.join(workdir, "cut.conf"), server, DB,
                                         db_socket=None, db_hosts="127.0.0.1:%d" % wire.port)
            out = subprocess.run([ADMIN_CLI, "-c", path] + command, capture_output=True, text=True)
        finally:
            wire.close()
        assert wire.cuts == 1, command
        assert out.returncode == 3, (command, out)
        assert "Lost connection" in out.stdout + out.stderr, (command, out)


def test_worker_reconnects_after_a_cut_in_a_result(workdir, servers):
    """Dovecot with the module, through the relay: a lookup whose result
    is cut is a temporary failure naming the lost connection, and the same
    auth worker answers the next lookup on a new connection."""
    server = servers["plain"]
    wire = relay.Relay(server.port)
    root = os.path.join(workdir, "dovecot-cut")
    os.makedirs(root)
    os.chmod(root, 0o755)
    install_auth_modules()
    path = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), server, DB,
                                 db_socket=None, db_hosts="127.0.0.1:%d" % wire.port,
                                 mail_root=os.path.join(root, "mail"),
                                 index_root=os.path.join(root, "index"))
    dovecot = Dovecot(os.path.join(root, "dovecot"), module_auth(path))
    dovecot.start()
    try:
        wire.cut_marker = b"bigquota"
        first = dovecot.doveadm("user", "bigquota@example.com")
        assert wire.cuts == 1 and first.returncode == 75, first  # EX_TEMPFAIL
        wire.cut_marker = None
        second = dovecot.doveadm("user", "bigquota@example.com")
        assert second.returncode == 0, second
        assert "/example.com/b/bigquota\n" in second.stdout
        assert dovecot.logged("Lost connection"), dovecot.log()[-3000:]
        assert wire.connections == 2
    finally:
        dovecot.stop()
        wire.close()
