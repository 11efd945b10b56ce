"""Secrets for Stalwart (SPEC 8): every Django hash Stalwart can verify
converted into a format it verifies (checked by independent
implementations), every other one NULL, never the raw hash; and
`mailroute-auth hash-census`, which lists the accounts that must move."""
import base64
import hashlib
import os
import subprocess

import pytest

from mrtest import fixtures, stalwart
from mrtest.paths import ADMIN_CLI

DB = stalwart.DB
Q = stalwart.queries()
COLUMNS = stalwart.columns()


def login(directory, name):
    return directory.principal(Q["name"], name, COLUMNS)


# --- secrets ------------------------------------------------------------------

PASSWORD = "Corr3ct hörse \u2603 battery"


def django_style_scrypt(password, salt="c2FsdHNhbHQ", n=2 ** 14, r=8, p=1):
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                         maxmem=2 ** 26, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(key).decode())


def argon2_old_style(password, version):
    """Django <= 3.1's argon2i, m=512,t=2,p=2, with or without v=."""
    from argon2.low_level import Type, hash_secret
    encoded = hash_secret(password.encode(), b"saltsaltsalt", time_cost=2, memory_cost=512,
                          parallelism=2, hash_len=16, type=Type.I, version=version).decode()
    if version == 0x10:
        encoded = encoded.replace("$v=16$", "$")
    return "argon2" + encoded


def convertible_vectors(password):
    hashers = fixtures.django_hashers()
    made = {name: hashers.make_password(password, hasher=name)
            for name in ("pbkdf2_sha256", "argon2", "bcrypt", "unsalted_sha1",
                         "unsalted_md5", "crypt")}
    made["pbkdf2_sha256 short salt"] = hashers.make_password(password, salt="abc",
                                                             hasher="pbkdf2_sha256")
    made["md5 bare"] = hashlib.md5(password.encode()).hexdigest()
    made["scrypt"] = django_style_scrypt(password)
    made["argon2i v=19"] = argon2_old_style(password, 0x13)
    made["argon2i no version"] = argon2_old_style(password, 0x10)
    return made


def secret_of(mariadb, directory, stored):
    mariadb.query("UPDATE auth_user SET password = %s WHERE id = 1", (stored,), db=DB)
    return login(directory, "john@example.com").secret


@pytest.fixture
def restore_john(mariadb, stalwart_db):
    """john's stored hash put back after each test that sets it, so that
    no test sees what another left (a test that stops early included)."""
    saved = mariadb.query("SELECT password FROM auth_user WHERE id = 1", db=stalwart_db)[0][0]
    yield
    mariadb.query("UPDATE auth_user SET password = %s WHERE id = 1", (saved,), db=stalwart_db)


def test_converted_secrets_verify_independently(mariadb, directory, phc_verify, restore_john):
    for name, stored in convertible_vectors(PASSWORD).items():
        pw = PASSWORD
        if name == "crypt":  # DES crypt: ASCII, 8 characters
            pw = "Tr0ub4dr"
            stored = fixtures.django_hashers().make_password(pw, hasher="crypt")
        secret = secret_of(mariadb, directory, stored)
        assert secret is not None, name
        assert "\n" not in secret and secret != stored, name
        verify = lambda p: stalwart.verify_secret(secret, p, phc_verify)  # noqa: E731
        assert verify(pw), name
        assert not verify("x" + pw), name
        assert not verify(stored), name  # the Django hash is no password


def test_base64_helpers_never_wrap(mariadb, stalwart_db):
    """TO_BASE64 wraps at 76 characters; the secrets' encoders must not."""
    data = bytes(range(256))[:200]
    one_line, phc = mariadb.query("SELECT mailroute_base64(%s), mailroute_phc_base64(%s)",
                                  (data, data), db=stalwart_db)[0]
    assert one_line == base64.b64encode(data).decode()
    assert phc == one_line.rstrip("=") and "\n" not in phc


@pytest.mark.parametrize("hasher", ["bcrypt_sha256", "pbkdf2_sha1", "sha1", "md5"])
def test_unconvertible_hashes_give_no_secret(mariadb, directory, restore_john, hasher):
    stored = fixtures.django_hashers().make_password(PASSWORD, hasher=hasher)
    assert secret_of(mariadb, directory, stored) is None


@pytest.mark.parametrize("stored", [
    "!unusable", "", "pbkdf2_sha256$0260000$salt$" + "A" * 43 + "=",
    "pbkdf2_sha256$260000$salt$short=", "PBKDF2_SHA256$260000$salt$" + "A" * 43 + "=",
    "scrypt$16385$salt$8$1$" + "A" * 86 + "==", "md5$$" + "A" * 32, "plain-text-password",
    "bcrypt$$2x$12$" + "a" * 53, "argon2$argon2id$v=19$m=1,t=1$salt$hash"])
def test_malformed_hashes_give_no_secret(mariadb, directory, restore_john, stored):
    assert secret_of(mariadb, directory, stored) is None


def census_with_passwords(mariadb, db, config, passwords):
    """hash-census run with auth_user.password set as given ({user id:
    stored value}), the old values put back afterwards."""
    ids = ", ".join(str(int(user_id)) for user_id in passwords)
    saved = mariadb.query("SELECT id, password FROM auth_user WHERE id IN (%s)" % ids, db=db)
    try:
        for user_id, stored in passwords.items():
            mariadb.query("UPDATE auth_user SET password = %s WHERE id = %s",
                          (stored, user_id), db=db)
        return subprocess.run([ADMIN_CLI, "-c", config, "hash-census"],
                              capture_output=True, text=True)
    finally:
        for user_id, password in saved:
            mariadb.query("UPDATE auth_user SET password = %s WHERE id = %s",
                          (password, user_id), db=db)


def test_hash_census(mariadb, stalwart_db, stalwart_config, directory, restore_john):
    """Counts per format; lists the accounts that may log in with a hash
    Stalwart cannot verify; its format table agrees with the database's
    conversion for every format."""
    hashers = fixtures.django_hashers()
    planted = {3: "bcrypt_sha256", 20: "pbkdf2_sha1", 21: "sha1", 5: "md5", 2: "unsalted_md5"}
    out = census_with_passwords(mariadb, stalwart_db, stalwart_config, {
        user_id: hashers.make_password("pw", hasher=hasher)
        for user_id, hasher in planted.items()})
    assert out.returncode == 1, out
    lines = [line.split("\t") for line in out.stdout.splitlines() if not line.startswith("#")]
    listed = {(row[1], row[2]) for row in lines if len(row) == 3}
    table = {row[0]: row[1:] for row in lines if len(row) == 4}
    # 105 inactive (md5) is not listed: it cannot log in anywhere
    assert listed == {("jürgen@example.com", "bcrypt_sha256"),
                      ("bigquota@example.com", "pbkdf2_sha1"),
                      ("contuser@example.com", "sha1")}
    assert table["md5"] == ["1", "0", "no"]
    # the decoy's cost against the PBKDF2 cost of the hashes that may log
    # in (Django's default here, as the test config's decoy: no advice)
    pbkdf2 = int(table["pbkdf2_sha256"][1]) + int(table["pbkdf2_sha1"][1])
    iterations = fixtures.django_pbkdf2_iterations()
    assert out.stdout.rstrip().endswith(
        "# pbkdf2 iterations: median %d over %d hashes; dummy_pbkdf2_iterations = %d"
        % (iterations, pbkdf2, iterations)), out.stdout
    assert table["unsalted_md5"] == ["1", "1", "yes"]
    assert table["unusable"][2] == "no" and table["empty"][2] == "no"
    assert sum(int(v[0]) for v in table.values()) == int(mariadb.query(
        "SELECT COUNT(DISTINCT account_id, domain_id) FROM mailroute_login", db=stalwart_db)[0][0])
    assert "\n# 3 accounts to move before Stalwart\n" in out.stdout
    # the census's format table and the database's conversion agree
    for hasher in fixtures.django_hasher_names():
        converted = secret_of(mariadb, directory, hashers.make_password("pw", hasher=hasher))
        out = subprocess.run([ADMIN_CLI, "-c", stalwart_config, "hash-census"],
                             capture_output=True, text=True)
        row = [line.split("\t") for line in out.stdout.splitlines()
               if line.startswith(hasher + "\t")]
        assert row and len(row[0]) == 4, (hasher, out.stdout)
        assert (row[0][3] == "yes") == (converted is not None), hasher


def test_census_lists_unverifiable_hashes(mariadb, stalwart_db, stalwart_config, restore_john):
    """A stored hash every front end refuses at each login (malformed, over
    a cap) is listed with the account id and the reason, and sets exit 1;
    a hash that is merely unusable ("!") is not a data error."""
    planted = {3: "pbkdf2_sha256$0260000$salt$AAAA",
               20: "scrypt$2097152$salt$2$1$aGVsbG8=",
               21: "md5$salt$NOT-HEX",
               5: "!unusable"}
    out = census_with_passwords(mariadb, stalwart_db, stalwart_config, planted)
    assert out.returncode == 1, out
    rows = [line.split("\t") for line in out.stdout.splitlines()
            if not line.startswith("#") and line.count("\t") == 4]
    listed = {(row[1], row[2], row[3]) for row in rows}
    assert listed == {("jürgen@example.com", "pbkdf2_sha256", "malformed"),
                      ("bigquota@example.com", "scrypt", "over-cap"),
                      ("contuser@example.com", "md5", "malformed")}, out.stdout
    assert all(row[0].isdigit() and row[4] for row in rows)
    assert "\n# 3 accounts with an unverifiable hash\n" in out.stdout
    # the reason names the field, never the stored value
    assert "AAAA" not in out.stdout and "NOT-HEX" not in out.stdout


def test_census_fails_cleanly_without_database(workdir, mariadb):
    dead = fixtures.write_config(os.path.join(workdir, "census-dead.conf"), mariadb, DB,
                                 db_socket="/nonexistent.sock")
    out = subprocess.run([ADMIN_CLI, "-c", dead, "hash-census"], capture_output=True, text=True)
    assert out.returncode == 3 and "database" in out.stderr
