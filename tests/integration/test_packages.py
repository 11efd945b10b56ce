"""The Debian packages, as an operator gets them: built from the tracked
files against the host's dovecot-dev, lintian clean, refused by a Dovecot
of another ABI (Debian 11's), installed with dpkg into a Debian 12 chroot
that has only Dovecot, and working there: Dovecot started as docs/dovecot.md
says to configure it answers doveadm auth test and doveadm user from the
private MariaDB. The chroot is a copy of a cached one, so nothing a test
installs stays."""
import os
import re
import shutil
import subprocess

import pytest

from mrtest.fixtures import fixture_password
from mrtest.mariadb import APP_PASSWORD, APP_USER
from mrtest.paths import BUILD_DIR, SOURCE_DIR

PACKAGES = ("dovecot-mailroute", "mailroute-auth")
# what the packages need beside themselves, nothing of the build
INSTALL_BASE = ["dovecot-core", "libmariadb3", "libsodium23", "libargon2-1", "procps"]
ABI_FILE = "/usr/share/dovecot/dovecot-abi"


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def debs(workdir):
    out = os.path.join(workdir, "packages")
    built = run(os.path.join(SOURCE_DIR, "tests", "packages", "build"), out)
    assert built.returncode == 0, built.stderr
    files = {name: os.path.join(out, f) for f in os.listdir(out)
             for name in PACKAGES if re.fullmatch(re.escape(name) + r"_[^_]+_[^_]+\.deb", f)}
    assert set(files) == set(PACKAGES), os.listdir(out)
    return out, files


def chroot_base(name, suite, packages):
    made = run(os.path.join(SOURCE_DIR, "tests", "chroot", "make"), name, suite, *packages)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


class Chroot:
    """A throw-away copy of a cached chroot, with /proc, /dev and a /run
    of its own mounted while the test uses it."""

    def __init__(self, base, root):
        self.root = root
        subprocess.run(["cp", "-a", base, root], check=True)
        self.mounted = []
        for source, target, args in (("proc", "/proc", ["-t", "proc"]),
                                     ("/dev", "/dev", ["--bind"]),
                                     ("tmpfs", "/run", ["-t", "tmpfs"])):
            subprocess.run(["mount", *args, source, root + target], check=True)
            self.mounted.append(root + target)

    def run(self, *args):
        return run("chroot", self.root, "/usr/bin/env", "-i",
                   "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", *args)

    def start(self, *args):
        """A daemon: it keeps no pipe of ours open. Returns its start-up
        exit status and what it printed."""
        log = self.path("/tmp/start.log")
        with open(log, "w") as out:
            status = subprocess.run(["chroot", self.root, *args], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=out).returncode
        with open(log) as f:
            return status, f.read()

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def remove(self):
        self.run("doveadm", "stop")
        for target in reversed(self.mounted):
            subprocess.run(["umount", "-l", target])
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def installed(debs, workdir):
    out, files = debs
    base = chroot_base("bookworm-install", "bookworm", INSTALL_BASE)
    root = Chroot(base, os.path.join(workdir, "package-root"))
    try:
        for name, path in files.items():
            shutil.copy(path, root.path("/tmp"))
        debs_inside = ["/tmp/" + os.path.basename(files[name]) for name in PACKAGES]
        result = root.run("dpkg", "-i", *debs_inside)
        assert result.returncode == 0, result.stdout + result.stderr
        yield root
    finally:
        root.remove()


def lintian_tags(out):
    with open(os.path.join(out, "lintian.log")) as f:
        return [line for line in f if re.match(r"[EWIPX]: ", line)]


def test_lintian_finds_nothing(debs):
    assert lintian_tags(debs[0]) == []


def test_module_depends_on_the_dovecot_abi_it_was_built_for(debs):
    with open(ABI_FILE) as f:
        abi = f.read().strip()
    fields = run("dpkg-deb", "-f", debs[1]["dovecot-mailroute"], "Depends").stdout
    depends = [d.strip() for d in fields.split(",")]
    assert "dovecot-abi-" + abi in depends, depends
    assert any(d.startswith("mailroute-auth (= ") for d in depends), depends


def test_another_dovecot_abi_refuses_the_module(debs, workdir):
    """Debian 11's Dovecot provides dovecot-abi-2.3.abiv13: apt will not
    install a module built for Debian 12's, which Dovecot would refuse to
    load."""
    base = chroot_base("bullseye-install", "bullseye", INSTALL_BASE)
    inside = []
    for path in debs[1].values():
        shutil.copy(path, os.path.join(base, "tmp"))
        inside.append("/tmp/" + os.path.basename(path))
    try:
        result = run("chroot", base, "apt-get", "install", "--simulate", *inside)
    finally:
        for path in inside:
            os.unlink(os.path.join(base, path.lstrip("/")))
    assert result.returncode != 0
    assert re.search(r"dovecot-mailroute : Depends: dovecot-abi-\S+ but it is not installable",
                     result.stdout), result.stdout + result.stderr


def test_files_land_where_dovecot_looks(installed):
    modules = installed.path("/usr/lib/dovecot/modules/auth")
    assert {"libauthdb_mailroute.so", "lib20_mailroute_django.so"} <= set(os.listdir(modules))
    assert not [f for f in os.listdir(modules) if f.endswith(".la")]
    # the mail plugin that keeps shared folders within one customer
    assert os.path.exists(installed.path("/usr/lib/dovecot/modules/lib00_mailroute_tenant_plugin.so"))
    for path in ("/etc/dovecot/conf.d/auth-mailroute.conf.ext",
                 "/etc/dovecot/conf.d/auth-mailroute-checkpassword.conf.ext",
                 "/usr/libexec/mailroute-checkpassword", "/usr/sbin/mailroute-auth",
                 "/usr/share/mailroute-auth/sql/migrations",
                 "/usr/share/man/man5/mailroute-auth.conf.5.gz"):
        assert os.path.exists(installed.path(path)), path
    with open(installed.path("/etc/dovecot/conf.d/auth-mailroute-checkpassword.conf.ext")) as f:
        assert "/usr/libexec/mailroute-checkpassword" in f.read()


def test_config_file_is_for_root_and_dovecot_only(installed):
    st = os.stat(installed.path("/etc/dovecot/mailroute-auth.conf"))
    assert st.st_mode & 0o777 == 0o640
    with open(installed.path("/etc/group")) as f:
        groups = {line.split(":")[2]: line.split(":")[0] for line in f}
    assert groups[str(st.st_gid)] == "dovecot"


@pytest.fixture(scope="module")
def running(installed, mariadb, migrated_db):
    """Dovecot in the chroot, configured as docs/dovecot.md says: 10-auth.conf
    includes auth-mailroute.conf.ext; mailroute-auth.conf names the
    database (over loopback TCP, the host's private MariaDB)."""
    conf = installed.path("/etc/dovecot/conf.d/10-auth.conf")
    with open(conf) as f:
        text = f.read()
    assert "!include auth-system.conf.ext" in text
    with open(conf, "w") as f:
        f.write(text.replace("!include auth-system.conf.ext", "!include auth-mailroute.conf.ext"))
    with open(installed.path("/etc/dovecot/local.conf"), "w") as f:
        f.write("protocols =\nssl = no\n")
    with open(installed.path("/etc/dovecot/mailroute-auth.conf"), "w") as f:
        f.write("db_hosts = 127.0.0.1:%d\ndb_name = %s\ndb_user = %s\ndb_password = %s\n"
                "db_tls = preferred\ndb_connect_timeout = 2\n"
                % (mariadb.port, migrated_db, APP_USER, APP_PASSWORD))
    status, output = installed.start("dovecot")
    assert status == 0, output
    return installed


def test_doveadm_auth_test_in_the_chroot(running):
    ok = running.run("doveadm", "auth", "test", "-x", "service=imap", "johnny@example.net",
                     fixture_password("john@example.com"))
    assert ok.returncode == 0 and "auth succeeded" in ok.stdout, ok.stdout + ok.stderr
    assert re.search(r"^\s*user=john@example\.com$", ok.stdout, re.M), ok.stdout
    wrong = running.run("doveadm", "auth", "test", "-x", "service=imap", "johnny@example.net",
                        "not-the-password")
    assert wrong.returncode != 0 and "auth failed" in wrong.stdout, wrong.stdout


def test_doveadm_user_in_the_chroot(running):
    out = running.run("doveadm", "user", "john+tag@example.com")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"^user\s+john@example\.com$", out.stdout, re.M), out.stdout
    assert re.search(r"^mail\s+maildir:\S+/e/x/example\.com/j/john/mail:INDEX=", out.stdout,
                     re.M), out.stdout


def test_package_removal_keeps_the_config_and_purge_removes_it(running):
    running.run("doveadm", "stop")
    removed = running.run("dpkg", "-r", "dovecot-mailroute", "mailroute-auth")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not os.path.exists(running.path("/usr/lib/dovecot/modules/auth/libauthdb_mailroute.so"))
    assert os.path.exists(running.path("/etc/dovecot/mailroute-auth.conf"))
    purged = running.run("dpkg", "-P", "dovecot-mailroute", "mailroute-auth")
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert not os.path.exists(running.path("/etc/dovecot/mailroute-auth.conf"))



@pytest.fixture(scope="module")
def rpms(workdir):
    """The RPM spec, built by rpmbuild from `make dist`'s tarball as on
    AlmaLinux 9 (-ta), here with Debian's rpm: Debian has no dovecot-devel
    package for BuildRequires (--nodeps), so the host's dovecot-config and
    a Dovecot version are given."""
    top = os.path.join(workdir, "rpmbuild")
    os.makedirs(top)
    dist = run("make", "-s", "-C", BUILD_DIR, "dist")
    assert dist.returncode == 0, dist.stderr
    tarball = [f for f in os.listdir(BUILD_DIR) if re.fullmatch(r"mailroute-auth-.*\.tar\.gz", f)]
    assert len(tarball) == 1, tarball
    shutil.move(os.path.join(BUILD_DIR, tarball[0]), top)
    built = run("rpmbuild", "-tb", "--nodeps", "--define", "_topdir " + top,
                "--define", "dovecot_devel_dir /usr/lib/dovecot",
                "--define", "dovecot_evr " + RPM_DOVECOT_EVR, os.path.join(top, tarball[0]))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return {name: os.path.join(top, "RPMS", arch, f)
            for arch in os.listdir(os.path.join(top, "RPMS"))
            for f in os.listdir(os.path.join(top, "RPMS", arch))
            for name in PACKAGES if re.fullmatch(re.escape(name) + r"-\d.*\.rpm", f)}


RPM_DOVECOT_EVR = "1:2.3.16"


def rpm_query(path, *args):
    out = run("rpm", "-qp", *args, path)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_rpm_module_requires_the_dovecot_it_was_built_for(rpms):
    assert set(rpms) == set(PACKAGES)
    requires = rpm_query(rpms["dovecot-mailroute"], "--requires").splitlines()
    assert "dovecot(x86-64) = " + RPM_DOVECOT_EVR in requires, requires
    assert any(r.startswith("mailroute-auth(x86-64) = ") for r in requires), requires


def test_rpm_files_and_config_modes(rpms):
    modules = rpm_query(rpms["dovecot-mailroute"], "--list").split()
    assert "/usr/lib/dovecot/modules/auth/libauthdb_mailroute.so" in modules, modules
    assert "/usr/lib/dovecot/modules/lib00_mailroute_tenant_plugin.so" in modules, modules
    listing = rpm_query(rpms["mailroute-auth"], "--qf",
                        "[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} "
                        "%{FILEFLAGS:fflags}\n]")
    files = {line.split()[0]: line.split()[1:] for line in listing.splitlines()}
    assert files["/etc/dovecot/mailroute-auth.conf"][:2] == ["-rw-r-----", "root:dovecot"]
    assert "c" in files["/etc/dovecot/mailroute-auth.conf"][2:][0]  # %config
    for path in ("/usr/libexec/mailroute-checkpassword", "/usr/share/man/man8/"
                 "mailroute-checkpassword.8", "/usr/share/mailroute-auth/sql/migrations"):
        assert any(f.startswith(path) for f in files), path
