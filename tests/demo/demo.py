"""The mailroute-auth demo: a private MariaDB with demo accounts, a private
Dovecot authenticating through the mailroute auth module (conf.d as
shipped), and real IMAP, POP3 and LMTP sessions against it. Cleans up
after itself."""
import imaplib
import os
import shutil
import smtplib
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

from mrtest import fixtures  # noqa: E402
from mrtest.dovecot import Dovecot  # noqa: E402
from mrtest.dovecot_conf import module_auth, share_config_with_dovecot  # noqa: E402
from mrtest.dovecot_modules import install_auth_modules  # noqa: E402
from mrtest.mail_clients import IMAP, POP3  # noqa: E402
from mrtest.mariadb import MariaDB  # noqa: E402
from mrtest.paths import ADMIN_CLI  # noqa: E402

pw = fixtures.fixture_password


def step(title):
    print("\n== " + title)


def show(label, ok, detail=""):
    print("  %-52s %s %s" % (label, "ok  " if ok else "FAIL", detail))
    return ok


def imap_login(port, user, password):
    conn = IMAP("127.0.0.1", port)
    try:
        conn.login(user, password)
        return conn, "OK"
    except imaplib.IMAP4.error as e:
        conn.logout()
        return None, e.args[0].decode() if isinstance(e.args[0], bytes) else str(e.args[0])


def main():
    root = tempfile.mkdtemp(prefix="mailroute-demo-")
    os.chmod(root, 0o755)  # the auth process runs the binary as dovecot
    mariadb = dovecot = None
    results = []
    try:
        step("private MariaDB in %s, demo data, migrations" % root)
        mariadb = MariaDB(os.path.join(root, "mariadb"))
        mariadb.start()
        fixtures.load_migrated(mariadb, "mailroute")
        accounts = mariadb.query("SELECT COUNT(DISTINCT account_id) FROM mailroute_login", db="mailroute")[0][0]
        print("  %d accounts, password hashes made by Django; every migration applied" % accounts)

        conf = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), mariadb, "mailroute",
                                     mail_root=os.path.join(root, "mailstorage"),
                                     index_root=os.path.join(root, "mailindices"))
        share_config_with_dovecot(conf)  # database password: dovecot group only

        step("private Dovecot 2.3 with the mailroute auth module")
        install_auth_modules()
        print("  libauthdb_mailroute.so, lib20_mailroute_django.so -> /usr/lib/dovecot/modules/auth")
        dovecot = Dovecot(os.path.join(root, "dovecot"), module_auth(conf))
        for d in ("mailstorage", "mailindices"):
            os.makedirs(os.path.join(root, d))
            os.chown(os.path.join(root, d), dovecot.vmail.pw_uid, dovecot.vmail.pw_gid)
        dovecot.start()
        print("  IMAP 127.0.0.1:%d  POP3 :%d  LMTP :%d" % (dovecot.imap_port, dovecot.pop3_port,
                                                         dovecot.lmtp_port))

        step("IMAP logins")
        for login, password, expect, why in [
            ("john@example.com", pw("john@example.com"), True, "hosted user"),
            ("johnny@example.net", pw("john@example.com"), True, "alias localpart + alias domain"),
            ("cont@continuity30.org", pw("cont@continuity30.org"), True, "continuity user"),
            ("john@example.com", "not-the-password", False, "wrong password"),
            ("nothosted@nothosted.com", pw("nothosted@nothosted.com"), False, "not hosted"),
            ("inactive@example.com", pw("inactive@example.com"), False, "inactive user"),
            ("nobody@example.com", "whatever", False, "unknown user"),
        ]:
            conn, answer = imap_login(dovecot.imap_port, login, password)
            label = "%s (%s)" % (login, why)
            if conn is not None:
                typ, data = conn.namespace()
                conn.logout()
            results.append(show(label, (conn is not None) == expect,
                                "logged in" if conn else "refused: " + answer))

        step("POP3 login")
        pop = POP3("127.0.0.1", dovecot.pop3_port)
        pop.user("mary@mixed-alias.example")
        results.append(show("mary@mixed-alias.example (mixed case, alias domain)",
                            pop.pass_(pw("Mary@Mixed.Example")).startswith(b"+OK")))
        pop.quit()

        step("LMTP delivery to john+newsletter@example.net")
        lmtp = smtplib.LMTP("127.0.0.1", dovecot.lmtp_port)
        lmtp.sendmail("sender@remote.example", ["john+newsletter@example.net"],
                      "Subject: demo\r\nFrom: sender@remote.example\r\n\r\nhello from the demo\r\n")
        lmtp.quit()
        maildir = os.path.join(root, "mailstorage", "e", "x", "example.com", "j", "john", "mail", "new")
        delivered = os.listdir(maildir) if os.path.isdir(maildir) else []
        results.append(show("landed in the canonical user's maildir", len(delivered) == 1,
                            maildir.replace(root, "$DEMO")))

        step("doveadm user (userdb lookups as LMTP and doveadm see them)")
        for user in ("john-smith+x@example.com", "cont@continuity30.org", "bigquota@example.com"):
            out = dovecot.doveadm("user", "-u", user)
            print("  $ doveadm user %s" % user)
            for line in out.stdout.splitlines():
                print("    " + line.replace(root, "$DEMO"))
            results.append(out.returncode == 0)
        out = dovecot.doveadm("user", "nothosted@nothosted.com")
        results.append(show("doveadm user nothosted@nothosted.com: unknown (EX_NOUSER)", out.returncode == 67,
                            "(exit %d)" % out.returncode))

        step("continuity mailbox is read-only")
        conn, _ = imap_login(dovecot.imap_port, "cont@continuity30.org", pw("cont@continuity30.org"))
        typ, data = conn.append("INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")
        conn.logout()
        results.append(show("APPEND to a continuity INBOX refused", typ == "NO",
                            data[0].decode() if data and data[0] else ""))

        step("continuity autoexpunge (30 days for cont@continuity30.org)")
        lmtp = smtplib.LMTP("127.0.0.1", dovecot.lmtp_port)
        lmtp.sendmail("sender@remote.example", ["cont@continuity30.org"],
                      "Subject: copy\r\nFrom: sender@remote.example\r\n\r\ncontinuity copy\r\n")
        lmtp.quit()

        before = dovecot.mailbox_messages("cont@continuity30.org", "INBOX")
        dovecot.session_later("cont@continuity30.org", 10)
        after_10 = dovecot.mailbox_messages("cont@continuity30.org", "INBOX")
        dovecot.session_later("cont@continuity30.org", 31)
        after_31 = dovecot.mailbox_messages("cont@continuity30.org", "INBOX")
        results.append(show("INBOX: %d now, %d after a session 10 days on, %d after 31 days" %
                            (before, after_10, after_31),
                            before == after_10 == 1 and after_31 == 0))
        dovecot.session_later("john@example.com", 31)
        results.append(show("hosted john@example.com keeps its mail 31 days on",
                            dovecot.mailbox_messages("john@example.com", "INBOX") == 1))

        step("admin CLI: mailroute-auth lookup john-other@example.com")
        os.system("%s -c %s lookup john-other@example.com | sed 's|%s|$DEMO|g; s/^/    /'" %
                  (ADMIN_CLI, conf, root))
    except Exception:
        if dovecot is not None and os.path.exists(dovecot.log_path):
            print("\n-- last lines of the Dovecot log:")
            print("".join(open(dovecot.log_path).readlines()[-25:]).replace(root, "$DEMO"))
        raise
    finally:
        if dovecot is not None:
            dovecot.stop()
        if mariadb is not None:
            mariadb.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("\n%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
