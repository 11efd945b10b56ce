"""A real Dovecot with the shipped conf.d: the mailroute auth module, and
on 2.3 the same fixtures through the stock-SQL alternative (whose include
is 2.3 syntax). IMAP and POP3
logins, LMTP deliveries, doveadm user/quota/-A, autoexpunge, and the
database going away under a running Dovecot."""
import imaplib
import os
import poplib
import re
import smtplib
import time

import argon2
import pytest

from mrtest import fixtures
from mrtest.dovecot import Dovecot, start_mail_host
from mrtest.dovecot_conf import module_auth
from mrtest.dovecot_modules import install_auth_modules
from mrtest.dovecot_version import dovecot_version, is_dovecot_24
from mrtest.mail_clients import IMAP, POP3

pw = fixtures.fixture_password
MODES = ["module"] if is_dovecot_24() else ["module", "sql"]


class MailHost:
    def __init__(self, mode, root, dovecot):
        self.mode = mode
        self.root = root
        self.dovecot = dovecot
        self.mail_root = os.path.join(root, "mailstorage")

    def maildir(self, domain, localpart):
        return os.path.join(self.mail_root, domain[0], domain[1], domain, localpart[0], localpart,
                            "mail")

    def delivered(self, domain, localpart):
        """The message files of the account's INBOX: new/, and cur/,
        where Dovecot 2.4.2 and later deliver a message it has given a
        keyword ($HasNoAttachment)."""
        maildir = self.maildir(domain, localpart)
        return {os.path.join(sub, name) for sub in ("new", "cur")
                if os.path.isdir(os.path.join(maildir, sub))
                for name in os.listdir(os.path.join(maildir, sub))}

    def log(self):
        return self.dovecot.log()

    def logged(self, pattern):
        return self.dovecot.logged(pattern)


@pytest.fixture(scope="module", params=MODES)
def host(request, workdir, mariadb, migrated_db):
    mode = request.param
    root = os.path.join(workdir, "dovecot-" + mode)
    dovecot = start_mail_host(root, mariadb, migrated_db, mode)
    yield MailHost(mode, root, dovecot)
    dovecot.stop()


def imap_login(host, user, password):
    """(True, None) on success, else (False, the server's answer)."""
    conn = IMAP("127.0.0.1", host.dovecot.imap_port)
    # AUTHENTICATE PLAIN carries UTF-8, which imaplib's LOGIN cannot
    credentials = b"\0" + user.encode() + b"\0" + password.encode()
    try:
        conn.authenticate("PLAIN", lambda _: credentials)
    except imaplib.IMAP4.error as e:
        conn.shutdown()
        return False, str(e)
    conn.logout()
    return True, None


def auth_test(host, user, password):
    """doveadm auth test: the auth-client socket, as login processes use
    it. Returns (exit status, output)."""
    out = host.dovecot.doveadm("auth", "test", "-x", "service=imap", user, password)
    return out.returncode, out.stdout + out.stderr


# (login name, password, admitted, canonical user)
LOGINS = [
    ("john@example.com", pw("john@example.com"), True, "john@example.com"),
    ("johnny@example.net", pw("john@example.com"), True, "john@example.com"),
    ("john@john-external.example", pw("john@example.com"), True, "john@example.com"),
    ("jürgen@example.com", pw("jürgen@example.com"), True, "jürgen@example.com"),
    ("mary@mixed-alias.example", pw("Mary@Mixed.Example"), True, "Mary@Mixed.Example"),
    ("cont@continuity30.org", pw("cont@continuity30.org"), True, "cont@continuity30.org"),
    ("both@both.net", pw("both@both.net"), True, "both@both.net"),
    ("john@example.com", "pw-john@example.co", False, None),
    ("john+tag@example.com", pw("john@example.com"), False, None),
    ("nobody@example.com", "whatever", False, None),
    ("inactive@example.com", pw("inactive@example.com"), False, None),
    ("nothosted@nothosted.com", pw("nothosted@nothosted.com"), False, None),
    ("optout@example.com", pw("optout@example.com"), False, None),
    ("nopass@example.com", "anything", False, None),
]


@pytest.mark.parametrize("login,password,admitted,user", LOGINS,
                         ids=["%s/%d" % (l[0], i) for i, l in enumerate(LOGINS)])
def test_imap_login(host, login, password, admitted, user):
    ok, answer = imap_login(host, login, password)
    assert ok == admitted, answer
    if not admitted:
        assert "[AUTHENTICATIONFAILED]" in answer, answer
        return
    status, output = auth_test(host, login, password)
    assert status == 0, output
    assert "user=%s" % user in output, output


def test_pop3_login(host):
    pop = POP3("127.0.0.1", host.dovecot.pop3_port)
    pop.user("postmaster@mixed.example")
    assert pop.pass_(pw("Mary@Mixed.Example")).startswith(b"+OK")
    pop.quit()
    pop = POP3("127.0.0.1", host.dovecot.pop3_port)
    pop.user("postmaster@mixed.example")
    with pytest.raises(poplib.error_proto):
        pop.pass_("wrong")
    pop.quit()


def test_disabled_is_not_a_mismatch(host):
    """The module tells Dovecot "disabled" for a correct password of an
    account that may not log in; stock SQL can only say unknown user."""
    status, output = auth_test(host, "inactive@example.com", pw("inactive@example.com"))
    assert status != 0
    if host.mode == "module":
        assert host.logged("user is not active")
    assert pw("inactive@example.com") not in host.log()


def flush_auth_cache(host):
    out = host.dovecot.doveadm("auth", "cache", "flush")
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture
def restore_user(mariadb, migrated_db):
    """Puts auth_user rows changed by a test back as they were."""
    saved = {}

    def change(username, **values):
        if username not in saved:
            saved[username] = mariadb.query(
                "SELECT password, is_active FROM auth_user WHERE username = %s",
                (username,), db=migrated_db)[0]
        for column, value in values.items():
            mariadb.query("UPDATE auth_user SET %s = %%s WHERE username = %%s" % column,
                          (value, username), db=migrated_db)
    yield change
    for username, (password, is_active) in saved.items():
        mariadb.query("UPDATE auth_user SET password = %s, is_active = %s WHERE username = %s",
                      (password, is_active, username), db=migrated_db)


@pytest.mark.parametrize("login", ["inactive@example.com", "nothosted@nothosted.com"])
def test_failed_login_never_opens_the_cache_to_a_refused_account(host, login):
    """With the shipped auth cache: a wrong password for an account that
    may not log in must not leave its hash in Dovecot's cache, whose hits
    check the password and nothing else."""
    flush_auth_cache(host)
    ok, answer = imap_login(host, login, "a wrong password")
    assert not ok and "[AUTHENTICATIONFAILED]" in answer, answer
    for attempt in range(2):
        ok, answer = imap_login(host, login, pw(login))
        assert not ok, "attempt %d: a refused account logged in" % attempt
        assert "[AUTHENTICATIONFAILED]" in answer, answer


def test_wrong_then_right_password(host):
    flush_auth_cache(host)
    ok, _ = imap_login(host, "john@example.com", "a wrong password")
    assert not ok
    for _ in range(2):
        ok, answer = imap_login(host, "john@example.com", pw("john@example.com"))
        assert ok, answer
    ok, _ = imap_login(host, "john@example.com", "a wrong password")
    assert not ok


def test_account_disabled_after_a_login(host, restore_user):
    """A state change after a cached login: refused once the cache is
    flushed (entries otherwise live auth_cache_ttl: disable accounts with
    a flush, see docs/dovecot.md)."""
    flush_auth_cache(host)
    ok, answer = imap_login(host, "alice@shared-a.com", pw("alice@shared-a.com"))
    assert ok, answer
    restore_user("alice@shared-a.com", is_active=0)
    flush_auth_cache(host)
    ok, answer = imap_login(host, "alice@shared-a.com", pw("alice@shared-a.com"))
    assert not ok and "[AUTHENTICATIONFAILED]" in answer, answer


@pytest.mark.parametrize("stored", ["{PLAIN}plain-secret", "{plain}plain-secret",
                                    "{SHA256-CRYPT}plain-secret"])
def test_stored_scheme_prefix_is_never_honoured(host, restore_user, stored):
    """Django's column holds Django hashes only: a value in braces is not a
    Dovecot scheme, on the first login nor from the cache."""
    restore_user("alice@shared-a.com", password=stored)
    flush_auth_cache(host)
    for attempt in range(2):
        ok, answer = imap_login(host, "alice@shared-a.com", "plain-secret")
        assert not ok, "attempt %d: %s logged in" % (attempt, stored)


def test_verification_without_memory_is_a_temporary_failure(host, restore_user):
    """An argon2 hash within the caps whose memory cost the auth worker
    cannot allocate under Dovecot's default vsz_limit (256 MB): the module
    answers a temporary failure, never a wrong password. Before 2.3.21,
    Dovecot's own sql passdb maps a scheme's error to a mismatch
    (auth_request_password_verify() returned -1 for both; 2.3.21's commit
    65d5b77f0e made it a passdb result), which the stock path cannot
    change."""
    stored = "argon2" + argon2.PasswordHasher(time_cost=1, memory_cost=262144,
                                              parallelism=1).hash("big-secret")
    restore_user("alice@shared-a.com", password=stored)
    flush_auth_cache(host)
    ok, answer = imap_login(host, "alice@shared-a.com", "big-secret")
    assert not ok
    if host.mode == "module":
        assert "[UNAVAILABLE]" in answer, answer
        assert host.logged("not enough memory")
    elif dovecot_version() >= (2, 3, 21):
        assert "[UNAVAILABLE]" in answer, answer
    else:
        assert "[AUTHENTICATIONFAILED]" in answer, answer


def test_two_accounts_on_one_address_is_never_a_pick(host):
    """Never one of the two accounts: the module answers a temporary
    failure; with the stock driver the query fails, which Dovecot 2.3's
    mysql driver reports as no rows (see dovecot-sql.conf.ext)."""
    out = host.dovecot.doveadm("user", "shared-box@quota0.com")
    assert out.returncode == (75 if host.mode == "module" else 67), out.stdout + out.stderr
    with smtplib.LMTP("127.0.0.1", host.dovecot.lmtp_port) as lmtp:
        lmtp.ehlo("test")
        lmtp.mail("sender@example.org")
        code, answer = lmtp.rcpt("shared-box@quota0.com")
    assert (400 <= code < 500) if host.mode == "module" else (500 <= code < 600), (code, answer)


def test_no_password_or_hash_in_the_log(host):
    log = host.log()
    for secret in (pw("john@example.com"), "pw-john@example.co", "pbkdf2_sha256$", "argon2$",
                   "bcrypt$"):
        assert secret not in log


def deliver(host, recipient, subject="test"):
    lmtp = smtplib.LMTP("127.0.0.1", host.dovecot.lmtp_port)
    try:
        refused = lmtp.sendmail("sender@remote.example", [recipient],
                                "Subject: %s\r\nFrom: sender@remote.example\r\n\r\nbody\r\n" % subject)
    finally:
        lmtp.quit()
    return refused


def test_lmtp_detail_address_via_alias_domain(host):
    before = host.delivered("example.com", "john")
    assert deliver(host, "john+newsletter@example.net") == {}
    assert len(host.delivered("example.com", "john") - before) == 1


def test_lmtp_exact_match_wins(host):
    before = host.delivered("example.com", "john")
    assert deliver(host, "john-smith@example.com") == {}
    assert host.delivered("example.com", "john-smith")
    assert host.delivered("example.com", "john") == before


def test_lmtp_unknown_recipient_refused(host):
    for recipient in ("nobody@example.com", "nothosted@nothosted.com", "optout+x@example.com"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            deliver(host, recipient)
        code, message = refused.value.recipients[recipient]
        assert code == 550, (recipient, code, message)


def doveadm_user(host, user):
    out = host.dovecot.doveadm("user", user)
    fields = {}
    for line in out.stdout.splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            fields[key.strip()] = value
    fields["_raw"] = out.stdout
    return out.returncode, fields


IMPORTS_30 = "\t".join("namespace/inbox/mailbox/%s/autoexpunge=30d" % box for box in (
    "inbox", "Drafts", "Quarantine", "Quarantine.Spam", "Quarantine.BadHeaders",
    "Quarantine.BannedFiles", "Quarantine.Blocked", "Quarantine.Virus", "Trash", "Sent"))


@pytest.mark.parametrize("recipient,user,expected", [
    ("john+x@example.net", "john@example.com", {"quota_rule": "*:storage=1024M"}),
    ("john-other@example.com", "john@example.com", {}),
    ("alice@shared-a.com", "alice@shared-a.com", {"quota_rule": "*:storage=500M"}),
    ("cont+x@continuity30.org", "cont@continuity30.org", {"acl_groups": "continuity"}),
    ("both@both.net", "both@both.net", {"quota_rule": "*:storage=300M"}),
    ("inactive@example.com", "inactive@example.com", {}),
])
def test_doveadm_user(host, recipient, user, expected):
    status, fields = doveadm_user(host, recipient)
    assert status == 0, fields
    # doveadm does not print the user field; the home is the canonical
    # user's
    localpart, domain = user.rsplit("@", 1)
    home = os.path.dirname(host.maildir(domain, localpart))
    assert fields["home"] == home
    index = home.replace(host.mail_root, os.path.join(host.root, "mailindices"))
    if is_dovecot_24():
        # the same values as 2.4's settings
        assert (fields["mail_driver"], fields["mail_path"], fields["mail_index_path"],
                fields["mailbox_list_layout"]) == ("maildir", home + "/mail", index, "fs"), fields
        expected = {("quota_storage_size" if key == "quota_rule" else key):
                    (value.replace("*:storage=", "") if key == "quota_rule" else value)
                    for key, value in expected.items()}
    else:
        assert fields["mail"] == "maildir:%s/mail:INDEX=%s:LAYOUT=fs" % (home, index)
    for key, value in expected.items():
        assert fields[key] == value, (key, fields)
    if user == "both@both.net":
        assert "acl_groups" not in fields


def test_doveadm_user_continuity_imports(host):
    """userdb_import is split into one setting per mailbox: doveadm user
    shows each autoexpunge override as its own field."""
    status, fields = doveadm_user(host, "cont@continuity30.org")
    assert status == 0
    assert fields["acl_groups"] == "continuity"
    boxes = [key.split("/")[3] for key in fields if key.endswith("/autoexpunge")]
    assert boxes == ["inbox", "Drafts", "Quarantine", "Quarantine.Spam", "Quarantine.BadHeaders",
                     "Quarantine.BannedFiles", "Quarantine.Blocked", "Quarantine.Virus", "Trash",
                     "Sent"]
    assert {fields["namespace/inbox/mailbox/%s/autoexpunge" % box] for box in boxes} == {"30d"}


def test_doveadm_user_unknown(host):
    for user in ("nobody@example.com", "nothosted@nothosted.com"):
        status, _ = doveadm_user(host, user)
        assert status == 67  # EX_NOUSER


def test_doveadm_quota_domain_fallback(host):
    out = host.dovecot.doveadm("quota", "get", "-u", "alice@shared-a.com")
    assert out.returncode == 0, out.stderr
    storage = [l.split() for l in out.stdout.splitlines() if "STORAGE" in l][0]
    assert "512000" in storage, out.stdout  # 500 MiB from the domain policy, in KiB
    out = host.dovecot.doveadm("quota", "get", "-u", "john@example.com")
    storage = [l.split() for l in out.stdout.splitlines() if "STORAGE" in l][0]
    assert "1048576" in storage, out.stdout


def test_doveadm_user_all_lists_admitted_users(host, mariadb, migrated_db):
    # 2.3's doveadm user iterates for a mask ("-A" is for mail commands)
    out = host.dovecot.doveadm("user", "*")
    assert out.returncode == 0, out.stderr
    listed = out.stdout.split()
    assert len(listed) == len(set(listed)), "duplicates: %s" % listed
    expected = {row[0] for row in mariadb.query(
        "SELECT DISTINCT CONCAT(e.localpart, '@', d.name) FROM amavisd_localpartalias la "
        "JOIN amavisd_emailaccount e ON e.id = la.email_account_id "
        "JOIN amavisd_domain d ON d.id = la.domain_id "
        "JOIN amavisd_policy pd ON pd.id = d.policy_id "
        "LEFT JOIN amavisd_policy pe ON pe.id = e.policy_id "
        "WHERE COALESCE(pe.hosted_mail_enabled, pd.hosted_mail_enabled) = 1 "
        "   OR COALESCE(pe.continuity_enabled, pd.continuity_enabled) = 1", db=migrated_db)}
    assert set(listed) == expected
    for user in ("john@example.com", "cont@continuity30.org", "Mary@Mixed.Example",
                 "optin@nothosted.com", "inactive@example.com"):
        assert user in listed
    for user in ("nothosted@nothosted.com", "optout@example.com"):
        assert user not in listed


def test_doveadm_quota_get_all(host):
    out = host.dovecot.doveadm("quota", "get", "-A")
    rows = [l.split() for l in out.stdout.splitlines()]
    users = {r[0] for r in rows if r}
    assert "john@example.com" in users and "alice@shared-a.com" in users


def test_autoexpunge_removes_old_continuity_mail_only(host):
    """40 days on, the continuity user's 30-day mail is gone from INBOX;
    the hosted user's stays, and a continuity session today keeps it."""
    for user in ("cont@continuity30.org", "john-smith@example.com"):
        assert deliver(host, user, "old mail") == {}
    cont = host.dovecot.mailbox_messages("cont@continuity30.org", "INBOX")
    hosted = host.dovecot.mailbox_messages("john-smith@example.com", "INBOX")
    assert cont >= 1 and hosted >= 1
    host.dovecot.session_later("cont@continuity30.org", 0)
    assert host.dovecot.mailbox_messages("cont@continuity30.org", "INBOX") == cont
    host.dovecot.session_later("cont@continuity30.org", 40)
    host.dovecot.session_later("john-smith@example.com", 40)
    assert host.dovecot.mailbox_messages("cont@continuity30.org", "INBOX") == 0
    assert host.dovecot.mailbox_messages("john-smith@example.com", "INBOX") == hosted


def test_continuity_is_read_only(host):
    """Read-only, and the userdb's namespace/shared/disabled (for the
    shared folders include) is harmless without that include: the account
    lists its own INBOX and no namespace the field could have made."""
    conn = IMAP("127.0.0.1", host.dovecot.imap_port)
    conn.login("cont@continuity30.org", pw("cont@continuity30.org"))
    typ, _ = conn.append("INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")
    status, mailboxes = conn.list('""', '"*"')
    conn.logout()
    assert typ == "NO"
    assert status == "OK" and any(m.endswith(b'"/" INBOX') for m in mailboxes), mailboxes
    assert not any(b"shared" in m for m in mailboxes), mailboxes
    conn = IMAP("127.0.0.1", host.dovecot.imap_port)
    conn.login("john@example.com", pw("john@example.com"))
    typ, _ = conn.append("INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")
    conn.logout()
    assert typ == "OK"


def test_database_down_is_a_temporary_failure(host, mariadb):
    """Last in this file: stops the shared MariaDB and starts it again.
    A user the auth cache has not seen gets [UNAVAILABLE], never
    [AUTHENTICATIONFAILED]; LMTP defers (4xx) instead of bouncing; after
    the restart the same worker reconnects."""
    if host.mode != "module":
        # Dovecot's own sql driver queues requests while it reconnects:
        # measured here, clients wait about three minutes for an answer.
        pytest.skip("module semantics; the stock driver queues instead")
    user, password = "dup1@quota0.com", pw("dup1@quota0.com")
    mariadb.stop()
    try:
        ok, answer = imap_login(host, user, password)
        assert not ok
        assert "[UNAVAILABLE]" in answer, answer
        # detail addresses: names the auth cache has not seen
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            deliver(host, "zero+down@quota0.com")
        code, _ = refused.value.recipients["zero+down@quota0.com"]
        assert 400 <= code < 500, code
        status, _ = doveadm_user(host, "zero+down2@quota0.com")
        assert status == 75  # EX_TEMPFAIL, not EX_NOUSER
    finally:
        mariadb.start()
    deadline = time.time() + 20
    while True:
        ok, answer = imap_login(host, user, password)
        if ok or time.time() > deadline:
            break
        time.sleep(0.5)
    assert ok, answer
    assert "password mismatch" not in host.log().split("[UNAVAILABLE]")[0][-2000:]


def test_auth_cache_serves_a_repeated_login(host):
    """The passdb answer is cached (shipped auth_cache settings): a second
    login is a cache hit, its password verified again, not a new query,
    and a login through an alias is the canonical user every time. Dovecot
    2.3.13-2.3.17 lose a hit's fields when a worker verifies it: there the
    module keeps its passdb out of the cache and says so at start-up, and
    the stock include runs without a cache, as its comment asks."""
    flush_auth_cache(host)
    for _ in range(3):
        assert imap_login(host, "johnny@example.com", pw("john@example.com"))[0]
        status, output = auth_test(host, "johnny@example.com", pw("john@example.com"))
        assert status == 0 and "user=john@example.com" in output, output
    # 2.3: "mailroute(johnny@example.com,...): cache hit",
    # 2.4: "auth(johnny@example.com,...)[<id>]: Debug: mailroute: cache hit"
    hit = r"\(johnny@example\.com,[^)]*\)(<[^>]*>)?(: Debug: mailroute)?: cache hit"
    if dovecot_version() < (2, 3, 18):
        # the module turns its cache off; the stock include is told to
        if host.mode == "module":
            assert host.logged("passdb mailroute: auth cache off for this passdb")
        assert not re.search(hit, host.log())
    else:
        assert host.logged(hit)
    ok, answer = imap_login(host, "johnny@example.com", "not-the-password")
    assert not ok and "[AUTHENTICATIONFAILED]" in answer


def test_debug_log_names_the_matched_rule(host):
    """auth_debug shows which SPEC 3 rule matched a recipient (module)."""
    if host.mode != "module":
        pytest.skip("the rule is the module's own log line")
    status, _ = doveadm_user(host, "johnny+rule@example.net")
    assert status == 0
    # 2.3: "mailroute(johnny+rule@...): matched", 2.4: "auth-worker(johnny+rule@...)<pid>:
    # request [n]: Debug: mailroute: matched"
    assert host.logged(r"(mailroute\(johnny\+rule@example\.net[^)]*\)|"
                       r"auth-worker\(johnny\+rule@example\.net\).*Debug: mailroute): "
                       r"matched account \d+ \(localpart cut at '\+'")


def test_credentials_lookup(host):
    """A passdb lookup without a password (doveadm auth lookup: a
    credentials lookup; doveadm hides the {DJANGO} hash it gets) finds the
    canonical user; a disabled or unknown account is refused."""
    out = host.dovecot.doveadm("auth", "lookup", "john@example.net")
    assert out.returncode == 0, out.stderr
    assert re.search(r"user\s*:\s*john@example\.com", out.stdout)
    for user in ("inactive@example.com", "nobody@example.com"):
        out = host.dovecot.doveadm("auth", "lookup", user)
        assert out.returncode != 0, (user, out.stdout)
    if host.mode == "module":
        assert host.logged("Handling PASSL request")  # lookup_credentials in a worker


def test_module_requires_the_django_scheme_module(workdir, mariadb, migrated_db):
    """libauthdb_mailroute.so declares its dependency on the DJANGO scheme
    module (authdb_mailroute_dependencies): without lib20_mailroute_django.so,
    Dovecot says which plugin is missing instead of failing on a symbol,
    and no login gets through; with it back, logins work."""
    from mrtest.dovecot_modules import AUTH_MODULE_DIR
    root = os.path.join(workdir, "dovecot-no-scheme")
    os.makedirs(root)
    os.chmod(root, 0o755)
    conf = fixtures.write_config(os.path.join(root, "mailroute-auth.conf"), mariadb, migrated_db)
    install_auth_modules()
    scheme = os.path.join(AUTH_MODULE_DIR, "lib20_mailroute_django.so")
    os.rename(scheme, scheme + ".away")
    dovecot = Dovecot(os.path.join(root, "dovecot"), module_auth(conf))
    try:
        dovecot.start()
        host = MailHost("module", root, dovecot)
        status, output = auth_test(host, "john@example.com", pw("john@example.com"))
        assert status != 0, output
        assert host.logged("Plugin mailroute_django must be loaded also")
        assert "undefined symbol" not in host.log()
    finally:
        dovecot.stop()
        os.rename(scheme + ".away", scheme)
    dovecot.start()
    try:
        status, output = auth_test(host, "john@example.com", pw("john@example.com"))
        assert status == 0, output
    finally:
        dovecot.stop()


def test_password_verification_reports_the_verify_cache(host):
    """Each password the module verifies ends with the event
    mailroute_password_verified: whether the verified-credential cache
    answered, and its counters, by which an operator sizes it."""
    if host.mode != "module":
        pytest.skip("the module's event")
    assert imap_login(host, "john@example.com", pw("john@example.com"))[0]
    assert host.logged(r"password verified: verify cache (hit|miss) "
                       r"\(\d+ hits, \d+ misses, \d+ evictions\)")
