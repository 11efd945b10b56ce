"""Which Dovecot is installed: the harness writes 2.3's or 2.4's
configuration by it."""
import re
import subprocess


def dovecot_version():
    """The installed Dovecot's version, e.g. (2, 3, 19), (2, 3, 19, 1) or
    (2, 4, 1) (Debian's "2.4.1-4")."""
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, check=True)
    release = re.match(r"[0-9.]+", out.stdout).group(0).rstrip(".")
    return tuple(int(part) for part in release.split("."))


def is_dovecot_24():
    return dovecot_version() >= (2, 4)
