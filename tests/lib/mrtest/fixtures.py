"""Loads the reference schema, the fixtures (with password hashes made by
Django at load time), the migrations and the per-account overrides."""
import glob
import os

from .paths import SQL_DIR

FIXTURE_PASSWORD_PREFIX = "fixture:"


def fixture_password(username):
    """The password every fixture user has: 'pw-' + username."""
    return "pw-" + username


def django_hashers():
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            "django.contrib.auth.hashers.BCryptPasswordHasher",
            "django.contrib.auth.hashers.SHA1PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
            "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
            "django.contrib.auth.hashers.CryptPasswordHasher",
        ])
        django.setup()
    from django.contrib.auth import hashers
    return hashers


def django_hasher_names():
    """The algorithms of the configured Django hashers that can make a
    hash here: Django's crypt hasher needs Python's crypt module, which
    Python 3.13 (Debian 13) no longer has."""
    import importlib.util
    names = []
    for hasher in django_hashers().get_hashers():
        library = getattr(hasher, "library", None)
        module = library[1] if isinstance(library, tuple) else library
        if module is None or importlib.util.find_spec(module) is not None:
            names.append(hasher.algorithm)
    return names


def django_pbkdf2_iterations():
    """The iteration count of the pbkdf2_sha256 hashes this Django makes."""
    return django_hashers().PBKDF2PasswordHasher.iterations


def _run(server, path, db):
    code, out, err = server.run_file(path, db)
    if code != 0:
        raise RuntimeError("%s failed:\n%s%s" % (os.path.basename(path), out, err))
    return out


def load_reference(server, db):
    for path in sorted(glob.glob(os.path.join(SQL_DIR, "reference", "*.sql"))):
        _run(server, path, db)


def migrations(direction):
    paths = sorted(glob.glob(os.path.join(SQL_DIR, "migrations", "*.%s.sql" % direction)))
    return paths if direction == "up" else list(reversed(paths))


def migrate(server, db, direction="up"):
    for path in migrations(direction):
        _run(server, path, db)


def set_fixture_passwords(server, db):
    hashers = django_hashers()
    rows = server.query("SELECT id, username, password FROM auth_user WHERE password LIKE %s",
                        (FIXTURE_PASSWORD_PREFIX + "%",), db=db)
    for user_id, username, password in rows:
        hasher = password[len(FIXTURE_PASSWORD_PREFIX):]
        encoded = hashers.make_password(fixture_password(username), hasher=hasher)
        server.query("UPDATE auth_user SET password = %s WHERE id = %s", (encoded, user_id), db=db)


def load_fixtures(server, db):
    """Reference schema + fixtures with Django hashes, before migrations."""
    server.create_database(db)
    load_reference(server, db)
    _run(server, os.path.join(SQL_DIR, "fixtures", "0001_accounts.sql"), db)
    set_fixture_passwords(server, db)


def load_migrated(server, db):
    """The full picture: fixtures, every migration, per-account overrides,
    distribution lists."""
    load_fixtures(server, db)
    migrate(server, db, "up")
    _run(server, os.path.join(SQL_DIR, "fixtures", "0002_overrides.sql"), db)
    _run(server, os.path.join(SQL_DIR, "fixtures", "0003_lists.sql"), db)


def write_config(path, server, db, **extra):
    """A mailroute-auth.conf for the private server; password in a file of
    its own, both mode 0600."""
    password_file = path + ".password"
    from .mariadb import APP_PASSWORD, APP_USER
    with open(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(APP_PASSWORD + "\n")
    lines = {
        "db_socket": server.socket,
        "db_name": db,
        "db_user": APP_USER,
        "db_password_file": password_file,
        "db_connect_timeout": "2",
        "db_read_timeout": "5",
        # what this Django makes (Debian 12: 260000, Debian 13: 600000)
        "dummy_pbkdf2_iterations": str(django_pbkdf2_iterations()),
        # the host's shared table, one per configuration here: Dovecots of
        # other tests must not answer this one's logins
        "verify_cache_file": path + ".verify-cache",
    }
    lines.update(extra)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        for key, value in lines.items():
            if value is not None:
                f.write("%s = %s\n" % (key, value))
    return path
