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
HASHERS = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2"]


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
