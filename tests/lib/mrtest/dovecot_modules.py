"""This build's Dovecot modules, installed where Dovecot loads them."""
import os
import shutil

from .dovecot_version import is_dovecot_24
from .paths import BUILD_DIR


AUTH_MODULE_DIR = "/usr/lib/dovecot/modules/auth"
AUTH_MODULES = ("libauthdb_mailroute.so", "lib20_mailroute_django.so")
# the mail plugin keeping shared folders within one customer
TENANT_MODULE = ("/usr/lib/dovecot/modules", "lib00_mailroute_tenant_plugin.so")
# 2.4: the config process learns mailroute_config_file from it
SETTINGS_MODULE = ("/usr/lib/dovecot/modules/settings", "libmailroute_settings.so")


def install_auth_modules(built_dir=None):
    """Dovecot loads modules from its compiled-in moduledir only, so the
    build's modules (or those in built_dir) go there (what `make install`
    does)."""
    modules = [(AUTH_MODULE_DIR, name) for name in AUTH_MODULES]
    modules.append(TENANT_MODULE)
    if is_dovecot_24():
        modules.append(SETTINGS_MODULE)
    for directory, name in modules:
        built = os.path.join(built_dir or os.path.join(BUILD_DIR, "plugin", ".libs"), name)
        if not os.path.exists(built):
            raise RuntimeError("build first: %s missing" % built)
        target = os.path.join(directory, name)
        # a Dovecot built from source has no settings/ until a module is
        # installed there (make install makes it)
        os.makedirs(directory, exist_ok=True)
        shutil.copyfile(built, target + ".new")
        os.chmod(target + ".new", 0o644)
        os.replace(target + ".new", target)
