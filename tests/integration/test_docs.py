"""The documentation stays true: every configuration key the parser
takes and every command the CLI has is in docs/, every repository path
README.md and docs/ name exists, the README's two commands are the
scripts CI runs, and the README stays a newcomer's page."""
import glob
import os
import re
import subprocess

import pytest

from mrtest.paths import ADMIN_CLI, SOURCE_DIR

DOCS = sorted(glob.glob(os.path.join(SOURCE_DIR, "docs", "*.md")))
README = os.path.join(SOURCE_DIR, "README.md")
# where the code cites "SPEC n"
DESIGN = os.path.join(SOURCE_DIR, "docs", "design.md")


def read(path):
    with open(path) as f:
        return f.read()


def config_keys():
    keys = re.findall(r'(?:STRING|UINT)_KEY\("([a-z_0-9]+)"',
                      read(os.path.join(SOURCE_DIR, "lib", "mr-config.c")))
    assert len(keys) > 20
    return keys


def cli_commands():
    """The commands as the program's own usage lists them."""
    out = subprocess.run([ADMIN_CLI, "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    commands = re.findall(r"^  ([a-z][a-z-]+)(?: |$)", out.stdout.split("Commands:")[1], re.M)
    assert "lookup" in commands and "compare-legacy" in commands, out.stdout
    return commands


def test_every_config_key_is_in_the_configuration_page():
    page = read(os.path.join(SOURCE_DIR, "docs", "configuration.md"))
    missing = [k for k in config_keys() if not re.search(r"\b%s\b" % k, page)]
    assert missing == []


@pytest.mark.parametrize("page", ["admin-cli.md", "design.md"])
def test_every_cli_command_is_in_the_docs(page):
    text = read(os.path.join(SOURCE_DIR, "docs", page))
    missing = [c for c in cli_commands()
               if not re.search(r"(`|mailroute-auth )%s\b(?!-)" % re.escape(c), text)]
    assert missing == []


# a path inside the repository: a top-level directory of it, then a name;
# not a glob (lib/mr-hash-*.c) and not Dovecot's own numbered conf.d files
REPO_PATH = re.compile(r"(?<![\w./-])((?:bench|cli|conf\.d|checkpassword|debian|docs|lib|man|"
                       r"plugin|rpm|sql|tests)/(?!\d\d-)[\w.+-]+(?:/[\w.+-]+)*)(?![\w*-])")


@pytest.mark.parametrize("path", [README] + DOCS, ids=os.path.basename)
def test_every_path_named_exists(path):
    """A file or directory the page sends the reader to is there (a name
    with a placeholder, NNNN or <...>, is not a path)."""
    named = set(REPO_PATH.findall(read(path)))
    missing = sorted(p for p in named
                     if not os.path.exists(os.path.join(SOURCE_DIR, p.rstrip(".")))
                     and not re.search(r"NNNN|\.\.\.|<|\*", p))
    assert missing == []


def test_readme_starts_with_the_two_commands_ci_runs():
    text = read(README)
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1).splitlines()
    commands = [line.split("#")[0].strip() for line in block]
    assert commands == ["tests/demo/run", "tests/run-suite"]
    for command in commands:
        assert os.access(os.path.join(SOURCE_DIR, command), os.X_OK), command
    assert "tests/run-suite" in read(os.path.join(SOURCE_DIR, ".ci", "run"))


def test_readme_is_a_newcomers_page_that_links_every_doc():
    text = read(README)
    assert len(text.splitlines()) <= 200
    for path in DOCS:
        assert "docs/" + os.path.basename(path) in text, path


def test_design_has_every_section_the_code_cites():
    cited = set()
    for pattern in ("lib/*.[ch]", "plugin/*.[ch]", "cli/*.[ch]", "checkpassword/*.[ch]"):
        for path in glob.glob(os.path.join(SOURCE_DIR, pattern)):
            cited |= {int(n) for n in re.findall(r"SPEC (\d+)", read(path))}
    assert cited
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", read(DESIGN), re.M)}
    assert cited - sections == set()
