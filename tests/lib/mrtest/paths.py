"""Where the sources and the build tree are."""
import os

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD_DIR = os.path.abspath(os.environ.get("MR_BUILD_DIR", SOURCE_DIR))

SQL_DIR = os.path.join(SOURCE_DIR, "sql")
STALWART_CONF_DIR = os.path.join(SOURCE_DIR, "conf.d", "stalwart")
PHC_VERIFY_DIR = os.path.join(SOURCE_DIR, "tests", "stalwart", "phc-verify")
STALWART_SCHEMA_FILE = os.path.join(SOURCE_DIR, "tests", "stalwart", "stalwart-schema.json")
STALWART_EXTRACT_SCHEMA = os.path.join(SOURCE_DIR, "tests", "stalwart", "extract-schema")
# Stalwart's git history, where `fetch github:stalwartlabs/stalwart` put it
STALWART_GIT_DIR = os.environ.get("MR_STALWART_GIT_DIR",
                                  "/work/.mirror/stalwartlabs+stalwart/repo")
CHECKPASSWORD = os.path.join(BUILD_DIR, "checkpassword", "mailroute-checkpassword")
ADMIN_CLI = os.path.join(BUILD_DIR, "cli", "mailroute-auth")
CHECKPASSWORD_REPLY = "/usr/lib/dovecot/checkpassword-reply"
