"""Password hashes made by Django itself at test time, verified by
mailroute-auth pw-test (the same code path as every login)."""
import os
import subprocess
import tempfile

import pytest

from mrtest import fixtures
from mrtest.paths import ADMIN_CLI

PASSWORDS = ["correct horse battery staple", "", "p", "ünïcødé-pässwörd-€",
             "x" * 100, "with\ttab and spaces ", "$dollar$signs$"]

# Django's hasher names for the formats verified natively.
HASHERS = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt",
           "sha1", "md5", "unsalted_sha1", "unsalted_md5", "crypt"]


def one_char_changed(password):
    if not password:
        return "a"
    return password[:-1] + chr(ord(password[-1]) ^ 1)


def pw_test(stored, password):
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(stored + "\n")
    try:
        return subprocess.run([ADMIN_CLI, "-c", "/nonexistent.conf", "pw-test", "-f", f.name],
                              input=password + "\n", capture_output=True, text=True)
    finally:
        os.unlink(f.name)


@pytest.fixture(scope="module")
def hashers():
    return fixtures.django_hashers()


@pytest.mark.parametrize("hasher", HASHERS)
@pytest.mark.parametrize("password", PASSWORDS, ids=range(len(PASSWORDS)))
def test_django_vector(hashers, hasher, password):
    while hasher == "crypt" and len(password.encode()) > 8:
        # DES crypt reads 8 bytes: a change after them cannot show
        password = password[:-1]
    if hasher == "bcrypt" and len(password.encode()) > 72:
        # bcrypt reads 72 bytes: Django accepts a change after them, so must we
        stored = hashers.make_password(password, hasher=hasher)
        assert hashers.check_password(one_char_changed(password), stored)
        assert pw_test(stored, one_char_changed(password)).returncode == 0
        return
    if hasher == "pbkdf2_sha256":
        # a low cost keeps the suite fast; the format is the same
        stored = hashers.PBKDF2PasswordHasher().encode(password, hashers.get_random_string(12), 10000)
    else:
        stored = hashers.make_password(password, hasher=hasher)
    assert hashers.check_password(password, stored)
    ok = pw_test(stored, password)
    assert ok.returncode == 0, (stored.split("$")[0], ok.stderr)
    wrong = pw_test(stored, one_char_changed(password))
    assert wrong.returncode == 1, wrong.stderr
    assert not hashers.check_password(one_char_changed(password), stored)


def test_django_default_pbkdf2_cost(hashers):
    stored = hashers.make_password("default cost", hasher="pbkdf2_sha256")
    assert pw_test(stored, "default cost").returncode == 0


def test_non_canonical_iterations_refused_like_django(hashers):
    stored = hashers.PBKDF2PasswordHasher().encode("pw", "saltsalt", 1000)
    padded = stored.replace("$1000$", "$01000$")
    assert not hashers.check_password("pw", padded)
    out = pw_test(padded, "pw")
    assert out.returncode == 2 and "canonical" in out.stderr


def test_unusable_and_unknown(hashers):
    unusable = hashers.make_password(None)
    assert unusable.startswith("!")
    assert pw_test(unusable, "").returncode == 2
    assert pw_test("sha256$$abc", "x").returncode == 2


def django_style_scrypt(password, salt, n=2 ** 14, r=8, p=1):
    """The string Django >= 4.0's ScryptPasswordHasher makes (Debian 12
    ships Django 3.2, which has no scrypt hasher), from Python's hashlib."""
    import base64
    import hashlib
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                         maxmem=0, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(key).decode())


@pytest.mark.parametrize("password", PASSWORDS, ids=range(len(PASSWORDS)))
def test_scrypt_vector(password):
    stored = django_style_scrypt(password, "R2lzIHNhbHQ")
    assert pw_test(stored, password).returncode == 0
    assert pw_test(stored, one_char_changed(password)).returncode == 1


def test_scrypt_cap_and_parsing():
    assert pw_test(django_style_scrypt("pw", "salt", n=2 ** 10), "pw").returncode == 0
    huge = "scrypt$1073741824$salt$8$1$AAAA"
    out = pw_test(huge, "pw")
    assert out.returncode == 2 and "hash_max_scrypt_work" in out.stderr
    assert pw_test("scrypt$16385$salt$8$1$AAAA", "pw").returncode == 2  # N not a power of 2
    assert pw_test("scrypt$16384$salt$08$1$AAAA", "pw").returncode == 2


def test_bcrypt_cost_cap(hashers):
    stored = hashers.make_password("pw", hasher="bcrypt")
    capped = stored.replace("$12$", "$17$")
    out = pw_test(capped, "pw")
    assert out.returncode == 2 and "hash_max_bcrypt_cost" in out.stderr
