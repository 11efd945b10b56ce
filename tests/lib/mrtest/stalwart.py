"""Stalwart's SQL directory, as far as the database sees it: the shipped
queries of conf.d/stalwart (read from the files, never retyped), run the
way Stalwart runs them, and its documented rules applied to the answers.
Secrets are checked by implementations independent of mailroute-auth."""
import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os
import re
import subprocess
from dataclasses import dataclass, field

import MySQLdb
from MySQLdb.constants import FIELD_TYPE

try:
    from tomllib import loads as toml_loads
except ImportError:  # Python 3.9 (the Debian 11 chroot): python3-toml, a pytest dependency there
    from toml import loads as toml_loads

from .paths import PHC_VERIFY_DIR, STALWART_CONF_DIR, STALWART_SCHEMA_FILE

USER = "mailroute_stalwart"
# the tests' database of the fixtures, apart: the secret tests rewrite
# passwords
DB = "stalwart"
PASSWORD = "stalwart-ro-secret-for-tests"

TOML_FILE = os.path.join(STALWART_CONF_DIR, "mailroute-directory.toml")
TOML_09_FILE = os.path.join(STALWART_CONF_DIR, "mailroute-directory-0.9.toml")
JSON_016_FILE = os.path.join(STALWART_CONF_DIR, "mailroute-directory-0.16.json")
DB_USER_FILE = os.path.join(STALWART_CONF_DIR, "db-user.sql")

INTEGER_TYPES = {FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.LONG,
                 FIELD_TYPE.LONGLONG, FIELD_TYPE.INT24}


def load_toml(path=TOML_FILE):
    with open(path, encoding="utf-8") as f:
        return toml_loads(f.read())


def load_json(path=JSON_016_FILE):
    with open(path) as f:
        return json.load(f)


def queries(path=TOML_FILE):
    """store."mailroute".query.* of a shipped TOML file."""
    return load_toml(path)["store"]["mailroute"]["query"]


def columns(path=TOML_FILE):
    return load_toml(path)["directory"]["mailroute"]["columns"]


def all_queries():
    """Every query Stalwart can be given: (source, key, query) for the
    0.10.7-0.15 and 0.9 TOML files and the 0.16 JSON object."""
    return [(source, key, query)
            for source, qs in (("toml", queries()), ("toml-0.9", queries(TOML_09_FILE)),
                               ("json-0.16", load_json()))
            for key, query in qs.items()
            if source != "json-0.16" or (key.startswith("query") and query is not None)]


# --- Stalwart 0.16's registry objects, as its source defines them ------------

def load_schema():
    """tests/stalwart/stalwart-schema.json: made by tests/stalwart/
    extract-schema from Stalwart's source at the tag it names."""
    with open(STALWART_SCHEMA_FILE) as f:
        return json.load(f)


_SCALAR_TYPES = {"String": str, "bool": bool, "u64": int}


def registry_errors(value, type_name, registry, path=""):
    """What Stalwart 0.16 refuses in value as an object of type_name: the
    JSON patch's "Invalid property" for a property the type does not have
    (structs_impl.rs, patch_property), a value of the wrong type, and the
    checks of validate() (required, min, max). [] when it is accepted."""
    if type_name.startswith("Option<"):
        if value is None:
            return []
        type_name = type_name[len("Option<"):-1]
    if type_name in _SCALAR_TYPES:
        wanted = _SCALAR_TYPES[type_name]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            return ["%s: not a %s" % (path, type_name)]
        if wanted is int and value < 0:
            return ["%s: negative" % path]
        return []
    if type_name.startswith("List<"):
        if not isinstance(value, list):
            return ["%s: not a list" % path]
        return [e for i, item in enumerate(value)
                for e in registry_errors(item, type_name[5:-1], registry, "%s/%d" % (path, i))]
    if not isinstance(value, dict):
        return ["%s: not an object" % path]
    if type_name in registry["enums"]:
        variants = registry["enums"][type_name]
        variant = value.get("@type")
        if variant not in variants:
            return ["%s: @type %r is not one of %s" % (path, variant, sorted(variants))]
        inner = variants[variant]
        rest = {k: v for k, v in value.items() if k != "@type"}
        if inner is None:
            return ["%s/%s: Invalid property" % (path, k) for k in rest]
        return registry_errors(rest, inner, registry, path)
    if type_name not in registry["structs"]:
        return ["%s: type %s is not in the extracted schema" % (path, type_name)]
    properties = registry["structs"][type_name]
    errors = ["%s/%s: Invalid property" % (path, k)
              for k in value if k != "@type" and k not in properties]
    for name, spec in properties.items():
        where = "%s/%s" % (path, name)
        if name not in value:
            # left out: the type's default applies
            if spec.get("non_empty") and not spec["type"].startswith("Option<") \
                    and not spec.get("default"):
                errors.append("%s: required" % where)
            continue
        item = value[name]
        errors += registry_errors(item, spec["type"], registry, where)
        if item is None:
            continue
        if spec.get("non_empty") and isinstance(item, str) and not item.strip():
            errors.append("%s: required" % where)
        if isinstance(item, int) and not isinstance(item, bool):
            if "min" in spec and item < spec["min"]:
                errors.append("%s: below %d" % (where, spec["min"]))
            if "max" in spec and item > spec["max"]:
                errors.append("%s: above %d" % (where, spec["max"]))
    return errors


def defaulted_properties(value, type_name, registry):
    """The properties value leaves out that then take a default that is
    not empty: Stalwart creates an object from its type's Default and
    patches the given properties onto it (jmap/src/registry/set.rs)."""
    return {name: spec["default"] for name, spec in registry["structs"][type_name].items()
            if name not in value and spec.get("default") not in (None, False)}


def create_user(server, db, host):
    """Runs conf.d/stalwart/db-user.sql as an operator would."""
    server.run_template(DB_USER_FILE, db, {"@STALWART_HOST@": host, "@PASSWORD@": PASSWORD})


class QueryError(Exception):
    """The query failed on the server: Stalwart reports a temporary failure."""

    def __init__(self, errno, message):
        super().__init__("%d %s" % (errno, message))
        self.errno = errno
        self.message = message


@dataclass
class Rows:
    names: list
    types: list
    rows: list


@dataclass
class Principal:
    typ: str = None
    secret: str = None
    description: str = None
    quota: int = None
    emails: list = field(default_factory=list)


class Directory:
    """One connection as Stalwart's SQL store makes it: the read-only user,
    over TCP with TLS and the server certificate checked; each query a
    server-side prepared statement executed with exactly one bound value."""

    def __init__(self, server, db, user=USER, password=PASSWORD, tls=True):
        kwargs = dict(host="127.0.0.1", port=server.port, user=user, passwd=password,
                      db=db, charset="utf8mb4")
        if tls:
            kwargs["ssl"] = {"ca": server.tls_ca}
        self.conn = MySQLdb.connect(**kwargs)
        self.conn.autocommit(True)

    def close(self):
        self.conn.close()

    def tls_cipher(self):
        cur = self.conn.cursor()
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        return cur.fetchone()[1]

    def execute(self, query, value):
        cur = self.conn.cursor()
        cur.execute("PREPARE mailroute_stalwart_query FROM %s", (query,))
        cur.execute("SET @mailroute_value = %s", (value,))
        try:
            cur.execute("EXECUTE mailroute_stalwart_query USING @mailroute_value")
        except MySQLdb.Error as e:
            raise QueryError(e.args[0], e.args[1]) from e
        names = [d[0] for d in cur.description]
        types = [d[1] for d in cur.description]
        return Rows(names, types, list(cur.fetchall()))

    def parameter_count_is_one(self, query):
        """A statement prepared from query refuses to run without a value
        and runs with one: it has exactly one parameter."""
        cur = self.conn.cursor()
        cur.execute("PREPARE mailroute_stalwart_query FROM %s", (query,))
        try:
            cur.execute("EXECUTE mailroute_stalwart_query")
            return False
        except MySQLdb.OperationalError as e:
            if "Incorrect arguments to EXECUTE" not in str(e):
                raise
        self.execute(query, "john@example.com")
        return True

    # Stalwart's rules (crates/directory/src/backend/sql): the name query's
    # first row only, columns matched by name case-insensitively, the class
    # from its text, quota only when an integer, secret only when text;
    # recipients, members and emails: the first column of each row.

    def principal(self, query, name, column_map):
        result = self.execute(query, name)
        if not result.rows:
            return None
        wanted = {v.lower(): k for k, v in column_map.items()}
        p = Principal()
        for column, typ, value in zip(result.names, result.types, result.rows[0]):
            key = wanted.get(column.lower())
            if key == "class":
                p.typ = {"individual": "individual", "person": "individual",
                         "user": "individual", "group": "group"}.get(value)
            elif key == "secret" and isinstance(value, str):
                p.secret = value
            elif key == "description" and isinstance(value, str):
                p.description = value
            elif key == "quota" and typ in INTEGER_TYPES and isinstance(value, int):
                p.quota = value
            elif key == "email" and isinstance(value, str):
                p.emails = [value]
        return p

    def first_column(self, query, value):
        return [row[0] for row in self.execute(query, value).rows]


def phc_verifier(build_dir):
    """Builds tests/stalwart/phc-verify (RustCrypto pbkdf2 from Debian's
    librust-pbkdf2-dev, Debian's cargo, offline) and returns its path."""
    env = dict(os.environ, CARGO_TARGET_DIR=build_dir, CARGO_HOME=os.path.join(build_dir, "home"))
    subprocess.run(["/usr/bin/cargo", "build", "--release", "--quiet", "--offline"],
                   cwd=PHC_VERIFY_DIR, env=env, check=True)
    return os.path.join(build_dir, "release", "phc-verify")


def _b64_unpadded_decode(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt_phc_verify(secret, password):
    """$scrypt$ln=..,r=..,p=..$salt$hash with Python's hashlib.scrypt."""
    m = re.fullmatch(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)", secret)
    if m is None:
        return False
    ln, r, p = (int(x) for x in m.group(1, 2, 3))
    salt, expected = _b64_unpadded_decode(m.group(4)), _b64_unpadded_decode(m.group(5))
    key = hashlib.scrypt(password.encode(), salt=salt, n=2 ** ln, r=r, p=p,
                         maxmem=2 ** 28, dklen=len(expected))
    return hmac.compare_digest(key, expected)


def system_crypt(password, salt):
    """libcrypt's crypt(3): Python 3.13 (Debian 13) has no crypt module."""
    libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt"))
    libcrypt.crypt.restype = ctypes.c_char_p
    libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return libcrypt.crypt(password.encode(), salt.encode()).decode()


def verify_secret(secret, password, phc_verify):
    """What Stalwart does with a secret and a password: by prefix, or a
    plain-text comparison for anything else (so a raw Django hash would be
    a working password). Implementations: RustCrypto pbkdf2 (the crate
    Stalwart links), argon2-cffi, bcrypt, hashlib, the system's crypt(3)."""
    if secret.startswith("$pbkdf2-sha256$"):
        p = subprocess.run([phc_verify, secret], input=password.encode(), capture_output=True)
        if p.returncode == 2:
            raise AssertionError("PHC string refused by RustCrypto: " + p.stderr.decode())
        return p.returncode == 0
    if secret.startswith("$argon2"):
        import argon2
        try:
            return argon2.PasswordHasher().verify(secret, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
    if re.match(r"\$2[aby]\$", secret):
        import bcrypt
        return bcrypt.checkpw(password.encode(), secret.encode())
    if secret.startswith("$scrypt$"):
        return _scrypt_phc_verify(secret, password)
    if secret.startswith("{SHA}"):
        digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
        return hmac.compare_digest(secret[5:], digest)
    if secret.startswith("{MD5}"):
        digest = base64.b64encode(hashlib.md5(password.encode()).digest()).decode()
        return hmac.compare_digest(secret[5:], digest)
    if secret.startswith("{CRYPT}"):
        return hmac.compare_digest(system_crypt(password, secret[7:9]), secret[7:])
    return hmac.compare_digest(secret.encode(), password.encode())
