"""The man pages: they render without a warning, name every
configuration key and every CLI command the code has, and make install
puts them where man finds them."""
import os
import re
import subprocess
import tempfile

import pytest

from mrtest.paths import BUILD_DIR, SOURCE_DIR

MAN_DIR = os.path.join(SOURCE_DIR, "man")
PAGES = {"mailroute-auth.1": "man1", "mailroute-auth.conf.5": "man5",
         "mailroute-checkpassword.8": "man8"}


def source(path):
    with open(os.path.join(SOURCE_DIR, path)) as f:
        return f.read()


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_renders_without_warnings(page):
    out = subprocess.run(["man", "--warnings=w", "-l", os.path.join(MAN_DIR, page)],
                         capture_output=True, text=True,
                         env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat"))
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert "SEE ALSO" in out.stdout and len(out.stdout.splitlines()) > 40


def test_config_page_names_every_key():
    keys = re.findall(r'(?:STRING|UINT)_KEY\("([a-z_0-9]+)"', source("lib/mr-config.c"))
    assert len(keys) > 20
    page = source("man/mailroute-auth.conf.5")
    documented = set(re.findall(r"^\.B ([a-z_0-9]+)$", page, re.M))
    assert set(keys) - documented == set()


def test_cli_page_names_every_command():
    usage = source("cli/mailroute-auth.c")
    commands = set(re.findall(r'^\t\{ "([a-z-]+)", "', usage, re.M))
    assert {"lookup", "check-config", "pw-test", "users", "hash-census"} <= commands
    page = source("man/mailroute-auth.1").replace("\\-", "-")
    for command in commands:
        assert re.search(r"^\.(B|BI|BR) %s\b" % re.escape(command), page, re.M), command


def test_make_install_puts_them_in_the_man_path():
    with tempfile.TemporaryDirectory() as dest:
        out = subprocess.run(["make", "-s", "-C", BUILD_DIR, "install-man", "DESTDIR=" + dest],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        installed = {os.path.relpath(os.path.join(d, f), dest)
                     for d, _, files in os.walk(dest) for f in files}
        for page, section in PAGES.items():
            assert any(p.endswith("share/man/%s/%s" % (section, page)) for p in installed), installed
