"""Distribution lists (migration 0009): the rules the database enforces,
`mailroute-auth list` and `check-lists`, and a real Postfix with the
shipped map delivering a list's mail through the real Dovecot LMTP (the
mailroute module) into each member's maildir and to external members
through a relay host on loopback."""
import os
import re
import smtplib
import subprocess
import uuid
from email.message import EmailMessage

import MySQLdb
import pytest

from mrtest import hostile
from mrtest.dovecot import start_mail_host
from mrtest.wait import wait_for
from mrtest.paths import ADMIN_CLI, SOURCE_DIR
from mrtest.postfix import Postfix, SmtpSink

POSTFIX_USER, POSTFIX_PASSWORD = "mailroute_postfix", "postfix-secret-for-tests"
# the fixture domains the Dovecot host serves
DOMAINS = ["example.com", "example.net", "Mixed.Example", "mixed-alias.example",
           "continuity30.org", "nothosted.com"]


def cli(config, *args):
    out = subprocess.run([ADMIN_CLI, "-c", config, *args], capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


@pytest.fixture
def db(mariadb, migrated_db):
    conn = mariadb.connect(db=migrated_db)
    conn.autocommit(True)
    yield conn.cursor()
    conn.close()


@pytest.fixture
def restore_lists(mariadb, migrated_db):
    """Puts the list tables and any alias a test adds back as they were."""
    def snapshot():
        return (mariadb.query("SELECT * FROM mailroute_list ORDER BY id", db=migrated_db),
                mariadb.query("SELECT * FROM mailroute_list_member ORDER BY id", db=migrated_db))
    before = snapshot()
    yield
    mariadb.query("DELETE FROM amavisd_localpartalias WHERE id >= 9000", db=migrated_db)
    mariadb.query("DELETE FROM mailroute_list_member WHERE id > 9", db=migrated_db)
    mariadb.query("DELETE FROM mailroute_list WHERE id > 4", db=migrated_db)
    mariadb.query("UPDATE mailroute_list SET active = (id <> 3),"
                  " localpart = ELT(id, 'team', 'sales', 'old', 'ops')", db=migrated_db)
    assert snapshot() == before


# --- what the database refuses ----------------------------------------------

@pytest.mark.parametrize("address", hostile.EXTERNAL_MEMBERS)
def test_external_member_is_exactly_one_address(db, restore_lists, address):
    with pytest.raises(MySQLdb.OperationalError, match="mailroute_list_member_external"):
        db.execute("INSERT INTO mailroute_list_member (list_id, external_address) "
                   "VALUES (2, %s)", (address,))
    with pytest.raises(MySQLdb.OperationalError, match="mailroute_list_member_external"):
        db.execute("UPDATE mailroute_list_member SET external_address = %s WHERE id = 6",
                   (address,))


@pytest.mark.parametrize("sql,message", [
    ("INSERT INTO mailroute_list (domain_id, localpart) VALUES (1, 'JOHNNY')",
     "is an address of account 101"),
    ("INSERT INTO mailroute_list (domain_id, localpart) VALUES (1, 'cont')", None),
    ("INSERT INTO mailroute_list_member (list_id, member_list_id) VALUES (1, 1)",
     "cannot be its own member"),
    ("INSERT INTO mailroute_list_member (list_id, member_list_id) VALUES (2, 1)",
     "has lists as members"),
    ("INSERT INTO mailroute_list_member (list_id, member_list_id) VALUES (3, 1)",
     "has lists as members"),
    ("INSERT INTO mailroute_list_member (list_id, member_list_id) VALUES (4, 3)",
     "belongs to another customer"),
    ("UPDATE mailroute_list_member SET member_list_id = 3, account_id = NULL WHERE id = 5",
     "is a member of a list"),
    ("INSERT INTO mailroute_list_member (list_id, account_id, external_address) "
     "VALUES (2, 101, 'x@outside.example')", "mailroute_list_member_one_kind"),
    ("INSERT INTO mailroute_list_member (list_id, external_address) VALUES (2, 'nobody')",
     "mailroute_list_member_external"),
    # another customer's account, either way: both@both.net (customer 2) on
    # team@ (customer 1), john (customer 1) on ops@ (customer 2), and by an
    # update of a member row
    ("INSERT INTO mailroute_list_member (list_id, account_id) VALUES (1, 110)",
     "account 110 is not of the customer of list 1"),
    ("INSERT INTO mailroute_list_member (list_id, account_id) VALUES (4, 101)",
     "account 101 is not of the customer of list 4"),
    ("UPDATE mailroute_list_member SET account_id = 107 WHERE id = 1",
     "account 107 is not of the customer of list 1"),
    ("INSERT INTO mailroute_list (domain_id, localpart) VALUES (1, 'a@b')",
     "mailroute_list_localpart_valid"),
])
def test_database_refuses(db, restore_lists, sql, message):
    """An address that is already an account's, a list in itself, lists
    more than one level deep, a member list of another customer, a member
    of two kinds; a list on another domain's account localpart is fine
    (cont is an account of continuity30.org, not of example.com)."""
    if message is None:
        db.execute(sql)
        return
    with pytest.raises(MySQLdb.MySQLError) as refused:
        db.execute(sql)
    assert message in str(refused.value)


def test_address_of_an_account_is_a_duplicate_key(db, restore_lists):
    """Django's IntegrityError: SQLSTATE 23000, error 1062."""
    with pytest.raises(MySQLdb.IntegrityError) as refused:
        db.execute("INSERT INTO mailroute_list (domain_id, localpart) VALUES (1, 'john-smith')")
    assert refused.value.args[0] == 1062


# --- the administrator's tool -----------------------------------------------

def test_list_shows_each_member_and_why(config):
    status, out, err = cli(config, "list", "Team@Example.NET")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "list\tteam@example.net\tlist 1, active: the whole team"
    assert lines[1:-1] == [
        "member\tjohn@example.com\taccount 101",
        "member\tMary@Mixed.Example\taccount 104",
        "skipped\toptout@example.com\taccount 118: neither hosted nor continuity",
        "member\tpartner@outside.example\texternal address",
        "member\tjohn-smith@example.com\taccount 102, via list 2",
        "member\tbuyer@outside.example\texternal address, via list 2",
    ]
    assert lines[-1] == "delivered to 5, skipped 1"


@pytest.mark.parametrize("address,status,first", [
    ("old@example.com", 1, "list\told@example.com\tlist 3, inactive: retired list"),
    ("tëam@example.com", 1, "not a list: tëam@example.com"),
    ("john@example.com", 1, "not a list: john@example.com"),
    ("team", 1, "not a list: "),
])
def test_list_refusals(config, address, status, first):
    """Inactive, SPEC 3's name rule (the collation would take tëam for
    team), an account's address, no domain."""
    code, out, _ = cli(config, "list", address)
    assert code == status
    assert out.splitlines()[0].startswith(first), out


def test_check_lists_reports_an_alias_added_after_the_list(config, db, restore_lists):
    """Django knows nothing of lists: an alias it adds later makes an
    address both; check-lists names both sides until it is removed."""
    assert cli(config, "check-lists")[:2] == (0, "0 addresses both a list's and an account's\n")
    db.execute("INSERT INTO amavisd_localpartalias (id, email_account_id, localpart, domain_id) "
               "VALUES (9001, 102, 'Sales', 1), (9002, 103, 'sälës', 1)")
    status, out, _ = cli(config, "check-lists")
    assert status == 1
    assert re.findall(r"^collision\t(\S+)\tlist 2 and account 102:", out, re.M) == [
        "sales@example.com", "sales@example.net"]
    # the way out: the list can still be switched off or renamed
    db.execute("UPDATE mailroute_list SET active = 0 WHERE id = 2")
    with pytest.raises(MySQLdb.IntegrityError):
        db.execute("UPDATE mailroute_list SET localpart = 'john' WHERE id = 2")
    db.execute("UPDATE mailroute_list SET localpart = 'sales-team' WHERE id = 2")
    assert cli(config, "check-lists")[0] == 0
    # the old name is the alias's now: the list cannot take it back
    with pytest.raises(MySQLdb.IntegrityError):
        db.execute("UPDATE mailroute_list SET localpart = 'sales' WHERE id = 2")
    db.execute("DELETE FROM amavisd_localpartalias WHERE id = 9001")
    db.execute("UPDATE mailroute_list SET localpart = 'sales', active = 1 WHERE id = 2")
    assert cli(config, "check-lists")[0] == 0


# --- Postfix -> Dovecot LMTP --------------------------------------------------

@pytest.fixture(scope="module")
def mail(workdir, mariadb, migrated_db):
    """Dovecot with the module (LMTP), a relay sink, and Postfix whose
    virtual_alias_maps is the shipped map read as the shipped Postfix
    database user."""
    root = os.path.join(workdir, "lists")
    mariadb.run_template(os.path.join(SOURCE_DIR, "conf.d", "postfix", "db-user.sql"), migrated_db,
                         {"@POSTFIX_HOST@": "localhost", "@PASSWORD@": POSTFIX_PASSWORD})
    dovecot = start_mail_host(root, mariadb, migrated_db)
    sink = SmtpSink()
    postfix = Postfix(os.path.join(root, "postfix"), DOMAINS, dovecot.lmtp_port, sink.port)
    postfix.start("hosts = unix:%s\ndbname = %s\nuser = %s\npassword = %s\n"
                  % (mariadb.socket, migrated_db, POSTFIX_USER, POSTFIX_PASSWORD))
    yield dovecot, postfix, sink
    postfix.stop()
    sink.stop()
    dovecot.stop()


def send(postfix, recipient):
    """One message through Postfix's smtpd; returns its Subject, unique."""
    message = EmailMessage()
    subject = "list test " + uuid.uuid4().hex
    message["From"] = "sender@outside.example"
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content("hello\n")
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port) as smtp:
        smtp.send_message(message, from_addr="sender@outside.example", to_addrs=[recipient])
    return subject


def inbox_subjects(dovecot, user):
    out = dovecot.doveadm("fetch", "-u", user, "hdr.subject", "mailbox", "INBOX")
    if out.returncode != 0:
        return []
    return re.findall(r"^hdr\.subject: (.*)$", out.stdout, re.M)


def relayed(sink, subject):
    """Who the relay got the message for; bounces (null sender) aside."""
    return sorted(r for sender, recipients, data in sink.messages
                  if sender != "<>" and subject.encode() in data for r in recipients)


LOCAL_MEMBERS = ["john@example.com", "Mary@Mixed.Example", "john-smith@example.com"]


@pytest.mark.postfix
def test_list_mail_reaches_every_member(mail):
    """team@ on its customer's other domain name, in another case: each
    member account's maildir (Mary on another domain, john-smith through
    the member list sales), the external members through the relay, and
    nothing for the account that receives no mail."""
    dovecot, postfix, sink = mail
    subject = send(postfix, "TEAM@example.net")
    assert wait_for(lambda: all(subject in inbox_subjects(dovecot, u) for u in LOCAL_MEMBERS)), \
        postfix.log()[-3000:]
    assert wait_for(lambda: relayed(sink, subject) == ["buyer@outside.example",
                                                       "partner@outside.example"]), sink.messages
    assert subject not in inbox_subjects(dovecot, "optout@example.com")
    for user in LOCAL_MEMBERS:
        assert inbox_subjects(dovecot, user).count(subject) == 1, user
    john = os.path.join(os.path.dirname(dovecot.root), "mailstorage", "e", "x", "example.com",
                        "j", "john", "mail", "new")
    assert any(subject.encode() in open(os.path.join(john, f), "rb").read()
               for f in os.listdir(john))


@pytest.mark.postfix
def test_list_deactivated_then_reactivated(mail, db, restore_lists):
    """A sequence: the list off, a message bounces and reaches no member;
    on again, the next one is delivered."""
    dovecot, postfix, sink = mail
    db.execute("UPDATE mailroute_list SET active = 0 WHERE id = 2")
    refused = send(postfix, "sales@example.com")
    assert wait_for(lambda: re.search(r"<sales@example\.com>.*status=bounced", postfix.log()))
    db.execute("UPDATE mailroute_list SET active = 1 WHERE id = 2")
    delivered = send(postfix, "sales@example.com")
    assert wait_for(lambda: delivered in inbox_subjects(dovecot, "john-smith@example.com"))
    assert refused not in inbox_subjects(dovecot, "john-smith@example.com")
    assert wait_for(lambda: relayed(sink, delivered) == ["buyer@outside.example"])
    assert relayed(sink, refused) == []


@pytest.mark.postfix
def test_similar_name_is_not_the_list(mail):
    """tëam@example.com is not team@ (SPEC 3): no member gets it."""
    dovecot, postfix, sink = mail
    subject = send(postfix, "tëam@example.com")
    assert wait_for(lambda: re.search(r"<tëam@example\.com>.*status=bounced", postfix.log()))
    assert subject not in inbox_subjects(dovecot, "john@example.com")
    assert relayed(sink, subject) == []


@pytest.mark.postfix
def test_postfix_user_cannot_read_password_hashes(mail, mariadb):
    conn = MySQLdb.connect(unix_socket=mariadb.socket, user=POSTFIX_USER,
                           password=POSTFIX_PASSWORD, db="mailroute")
    try:
        with pytest.raises(MySQLdb.OperationalError):
            conn.cursor().execute("SELECT password FROM auth_user LIMIT 1")
    finally:
        conn.close()


@pytest.mark.postfix
def test_rows_older_than_the_rules_never_reach_postfix(mail, mariadb, migrated_db, db,
                                                      restore_lists):
    """A row the trigger now refuses, written before it (here with the
    insert trigger dropped a moment): another customer's account on
    sales@. Postfix's map leaves it out: the mail reaches sales' own
    members only, not both@both.net (customer 2). (An external member
    naming two recipients cannot be in the table at all: its CHECK.)"""
    from mrtest.paths import SQL_DIR
    dovecot, postfix, sink = mail
    db.execute("DROP TRIGGER mailroute_list_member_insert")
    try:
        db.execute("INSERT INTO mailroute_list_member (id, list_id, account_id) VALUES (21, 2, 110)")
    finally:
        code, _, err = mariadb.run_file(os.path.join(
            SQL_DIR, "migrations", "0009_distribution_lists.up.sql"), migrated_db)
        assert code == 0, err
    subject = send(postfix, "sales@example.com")
    assert wait_for(lambda: subject in inbox_subjects(dovecot, "john-smith@example.com"))
    assert wait_for(lambda: relayed(sink, subject) == ["buyer@outside.example"]), sink.messages
    assert subject not in inbox_subjects(dovecot, "both@both.net")


@pytest.mark.parametrize("description", hostile.DESCRIPTIONS)
def test_list_output_escapes_the_description(config, mariadb, migrated_db, restore_lists,
                                            description):
    """A description with a line feed, a TAB or a NUL cannot print a line
    or a field of its own: escaped (\\xNN), or a data error for a NUL,
    never a value cut short."""
    mariadb.query("UPDATE mailroute_list SET description = %s WHERE id = 2", (description,),
                  db=migrated_db)
    try:
        code, out, err = cli(config, "list", "sales@example.com")
    finally:
        mariadb.query("UPDATE mailroute_list SET description = 'sales' WHERE id = 2",
                      db=migrated_db)
    if "\x00" in description:
        assert code == 3 and "NUL byte" in err, (out, err)
        return
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("list\tsales@example.com\tlist 2, active: "), out
    assert len(first.split("\t")) == 3, first
    assert all(line.split("\t")[0] in ("list", "member", "skipped") or
               line.startswith("delivered to") for line in out.splitlines()), out
    shown = first.split("active: ", 1)[1]
    assert all(ord(c) >= 0x20 and c != "\x7f" and not 0x80 <= ord(c) <= 0x9f for c in shown), shown
