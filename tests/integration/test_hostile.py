"""Hostile names and passwords at every door (tests/lib/mrtest/hostile.py):
mailroute-checkpassword's fd 3 in both modes, the admin CLI, and through
the module Dovecot's auth-userdb socket (as LMTP and doveadm ask), LMTP
RCPT TO, doveadm auth test (the auth-client socket) and IMAP
AUTHENTICATE PLAIN. Every answer is a clean refusal or exactly
the account the name addresses; nothing in the database changes."""
import base64
import os
import socket
import subprocess

import pytest

from mrtest import checkpassword, fixtures, hostile
from mrtest.dovecot import Dovecot
from mrtest.dovecot_conf import module_auth
from mrtest.dovecot_modules import install_auth_modules
from mrtest.mail_clients import client_address
from mrtest.paths import ADMIN_CLI

pw = fixtures.fixture_password
NAMES = hostile.all_names()
IDS = ["%d-%s" % (i, n[0][:24].decode(errors="replace").encode("unicode_escape").decode())
       for i, n in enumerate(NAMES)]
TABLES = ("auth_user", "amavisd_domain", "amavisd_domainalias", "amavisd_emailaccount",
          "amavisd_localpartalias", "amavisd_policy")


def password_for(passdb_user):
    return pw(passdb_user) if passdb_user else "a wrong password"


@pytest.fixture(scope="module")
def config(workdir, mariadb, migrated_db):
    """The configuration every door reads; the tables' checksums must be
    the same after the module's tests as before."""
    root = os.path.join(workdir, "hostile")
    os.makedirs(root)
    os.chmod(root, 0o755)
    # a cheap decoy: hundreds of unknown names would each pay Django's cost
    path = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), mariadb,
                                 migrated_db, dummy_pbkdf2_iterations="1000")
    before = checksums(mariadb, migrated_db)
    yield path
    assert checksums(mariadb, migrated_db) == before, "the database changed"


@pytest.fixture(scope="module")
def dovecot(workdir, config):
    install_auth_modules()
    server = Dovecot(os.path.join(workdir, "hostile", "dovecot"), module_auth(config))
    server.start()
    yield server
    server.stop()


def checksums(mariadb, db):
    return mariadb.query("CHECKSUM TABLE " + ", ".join(TABLES), db=db)


def as_received_on_fd3(name, userdb, passdb):
    """fd 3 carries NUL-terminated fields: a NUL ends the name there."""
    if b"\0" not in name:
        return name, userdb, passdb
    name = name.split(b"\0")[0]
    return name, *hostile.VALID.get(name.decode(errors="replace"), (None, None))


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_checkpassword(config, name, userdb, passdb):
    name, userdb, passdb = as_received_on_fd3(name, userdb, passdb)
    request = name + b"\0" + password_for(passdb).encode() + b"\0\0"
    login = checkpassword.run(config, "", request=request)
    if passdb:
        assert login.status == 0 and login.fields["user"] == passdb, login
    else:
        # 1: refused; 2: a request Dovecot would never send (over 512 bytes)
        assert login.status in (1, 2), login
    request = name + b"\0\0\0"
    lookup = checkpassword.run(config, "", request=request, userdb=True)
    if userdb:
        assert lookup.status == 2 and lookup.fields["userdb_user"] == userdb, lookup
    else:
        assert lookup.status in (2, 3) and not lookup.fields, lookup
        assert lookup.status == 3 or len(name) > 500, lookup


def argv_safe(name):
    return b"\0" not in name


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_admin_cli(config, name, userdb, passdb):
    if not argv_safe(name):
        pytest.skip("a NUL cannot travel in argv")
    out = subprocess.run([ADMIN_CLI.encode(), b"-c", config.encode(), b"lookup", name],
                         capture_output=True)
    if userdb:
        assert out.returncode == 0, short(out.stdout)
        assert b"user\t" + userdb.encode() + b"\n" in out.stdout, short(out.stdout)
    else:
        assert out.returncode == 1, (short(name), short(out.stdout))


def tab_escape(data):
    """Dovecot's str_tabescape(), for a field of its line protocols."""
    for raw, escaped in ((b"\x01", b"\x011"), (b"\t", b"\x01t"), (b"\r", b"\x01r"),
                         (b"\n", b"\x01n")):
        data = data.replace(raw, escaped)
    return data


def userdb_lookup(dovecot, name):
    """USER on auth-userdb, as LMTP asks: the reply line, or None when
    Dovecot dropped the connection (input over its line limit)."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(os.path.join(dovecot.base_dir, "auth-userdb"))
            s.settimeout(30)
            f = s.makefile("rb")
            s.sendall(b"VERSION\t1\t0\nUSER\t1\t" + tab_escape(name) + b"\tservice=lmtp\n")
            while True:
                line = f.readline()
                if not line:
                    return None
                if line.split(b"\t", 1)[0] in (b"USER", b"NOTFOUND", b"FAIL"):
                    return line.rstrip(b"\n")
    except (ConnectionError, socket.timeout):
        return None


# Dovecot drops a connection whose input is over its line limits or holds
# a NUL: such input never reaches a passdb or userdb.
DOVECOT_MAX_INPUT = 8000


def dovecot_drops(data):
    return len(data) > DOVECOT_MAX_INPUT or b"\0" in data


def short(data):
    return data[:80] + (b"..." if len(data) > 80 else b"")


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_dovecot_userdb(dovecot, name, userdb, passdb):
    reply = userdb_lookup(dovecot, name)
    if reply is None:
        assert dovecot_drops(name), short(name)
        return
    if userdb:
        assert reply.startswith(b"USER\t1\t" + userdb.encode() + b"\t"), short(reply)
    else:
        assert reply.startswith(b"NOTFOUND\t1"), (short(name), short(reply))


def imap_plain(dovecot, name, password):
    """AUTHENTICATE PLAIN with raw bytes: the tagged answer line, or None
    when Dovecot dropped the connection (input over its line limit)."""
    try:
        with socket.create_connection(("127.0.0.1", dovecot.imap_port), timeout=30,
                                      source_address=(client_address(), 0)) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a AUTHENTICATE PLAIN\r\n")
            f.readline()
            s.sendall(base64.b64encode(b"\0" + name + b"\0" + password) + b"\r\n")
            while True:
                line = f.readline()
                if not line or line.startswith(b"a "):
                    return line or None
    except ConnectionError:
        return None


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_imap(dovecot, name, userdb, passdb):
    answer = imap_plain(dovecot, name, password_for(passdb).encode())
    if answer is None:
        assert dovecot_drops(name), short(name)
        return
    if passdb:
        assert answer.startswith(b"a OK"), answer
    else:
        assert answer.startswith(b"a NO") or answer.startswith(b"a BAD"), (short(name), answer)
        assert b"UNAVAILABLE" not in answer, (short(name), answer)


def smtp_line_safe(name):
    """What can travel inside one SMTP/LMTP command line at all."""
    return not any(c in name for c in (b"\0", b"\r", b"\n"))


def lmtp_rcpt(dovecot, name):
    """RCPT TO:<name> on Dovecot's LMTP: the reply code (None when Dovecot
    dropped the connection)."""
    try:
        with socket.create_connection(("127.0.0.1", dovecot.lmtp_port), timeout=30) as s:
            f = s.makefile("rb")

            def reply():
                while True:
                    line = f.readline()
                    if not line:
                        return None
                    if line[3:4] != b"-":
                        return int(line[:3])
            reply()
            s.sendall(b"LHLO test\r\n")
            reply()
            s.sendall(b"MAIL FROM:<sender@example.org>\r\n")
            reply()
            s.sendall(b"RCPT TO:<" + name + b">\r\n")
            return reply()
    except ConnectionError:
        return None


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_lmtp_rcpt(dovecot, name, userdb, passdb):
    """A recipient is accepted only when it is an account's address; any
    other is refused for good (5xx), never a temporary failure."""
    if not smtp_line_safe(name):
        pytest.skip("cannot travel in an LMTP command")
    # RFC 5321: a quoted local part is the same mailbox unquoted
    localpart, _, domain = name.rpartition(b"@")
    if len(localpart) > 1 and localpart[:1] == localpart[-1:] == b'"':
        unquoted = (localpart[1:-1] + b"@" + domain).decode(errors="replace")
        userdb = hostile.VALID.get(unquoted, (None, None))[0]
    code = lmtp_rcpt(dovecot, name)
    if code is None:
        assert dovecot_drops(name), short(name)
        return
    if userdb:
        assert code == 250, (short(name), code)
    else:
        assert 500 <= code < 600, (short(name), code)


@pytest.mark.parametrize("name,userdb,passdb", NAMES, ids=IDS)
def test_doveadm_auth_test(dovecot, name, userdb, passdb):
    """doveadm auth test: the auth-client socket as login processes use it."""
    if not argv_safe(name):
        pytest.skip("a NUL cannot travel in argv")
    # a fresh remote address per call: Dovecot's auth penalty grows per
    # address with every failure
    out = subprocess.run([b"doveadm", b"-c", dovecot.config_path.encode(), b"auth", b"test",
                          b"-x", b"service=imap", b"-x", b"rip=" + client_address().encode(),
                          name, password_for(passdb).encode()],
                         capture_output=True, timeout=20)
    if passdb:
        assert out.returncode == 0, short(out.stdout + out.stderr)
        assert b"user=" + passdb.encode() in out.stdout, short(out.stdout)
    elif out.returncode == 75:
        assert dovecot_drops(name), (short(name), short(out.stderr))
    else:
        # 77: refused; 64: a name doveadm itself will not send
        assert out.returncode in (64, 77), (short(name), out.returncode, short(out.stderr))


@pytest.mark.parametrize("password", hostile.PASSWORDS,
                         ids=[p[:16].encode("unicode_escape").decode()
                              for p in hostile.PASSWORDS])
def test_hostile_passwords_checkpassword(config, password):
    request = b"john@example.com\0" + password.encode() + b"\0\0"
    assert checkpassword.run(config, "", request=request).status in (1, 2)


@pytest.mark.parametrize("password", hostile.PASSWORDS,
                         ids=[p[:16].encode("unicode_escape").decode()
                              for p in hostile.PASSWORDS])
def test_hostile_passwords_imap(dovecot, password):
    answer = imap_plain(dovecot, b"john@example.com", password.encode())
    if answer is None:
        assert dovecot_drops(password.encode()), password[:80]
        return
    assert answer.startswith(b"a NO") or answer.startswith(b"a BAD"), answer
