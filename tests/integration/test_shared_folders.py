"""Shared folders (migration 0011): a real Dovecot with the module, the
shipped mailroute-mail.conf.ext and mailroute-shared.conf.ext. The userdb
gives each account its customer's groups in acl_groups; an owner shares a
folder with a group by IMAP SETACL; members of the group (on any domain
of the customer) see and read it, and nobody else does: not an account of
the same customer outside the group, not a member of another customer's
group of the same name, not a continuity account (whose read-only ACL
must reach only its own mailboxes). Which owner shared with whom is in
the database (migration 0013), written and read through Dovecot's dict
service, so a second host on the same mail storage lists the same
shared folders."""
import os
import re
import subprocess

import MySQLdb
import pytest

from mrtest import hostile
from mrtest.dovecot import ensure_vmail_user, start_mail_host
from mrtest.dovecot_conf import read_conf, write_dict_config
from mrtest.dovecot_version import is_dovecot_24
from mrtest.mail_clients import IMAP
from mrtest.fixtures import fixture_password
from mrtest.paths import ADMIN_CLI, SOURCE_DIR, SQL_DIR

# Dovecot 2.4 has the module only (no stock-SQL include)
MODES = ["module"] if is_dovecot_24() else ["module", "sql"]

OWNER = "alice@shared-a.com"           # customer 1, group projects@shared-a.com
MEMBER = "bob@shared-b.com"            # customer 1, another domain, in the group
SAME_CUSTOMER = "bigquota@example.com"  # customer 1, not in the group
OTHER_CUSTOMER = "both@both.net"       # customer 2, in its own projects@continuity30.org
CONTINUITY = "cont@continuity30.org"   # customer 2, continuity only, in that group too
FOLDER = "Projects"
SHARED = "shared/%s/%s" % (OWNER, FOLDER)
DICT_USER, DICT_PASSWORD = "mailroute_shared", "shared-dict-secret-for-tests"


@pytest.fixture(scope="module")
def groups(mariadb, migrated_db):
    """projects on shared-a.com (alice, bob) and projects on
    continuity30.org (both, cont), removed afterwards."""
    mariadb.query("INSERT INTO mailroute_group (id, domain_id, name) VALUES "
                  "(901, 11, 'projects'), (902, 3, 'projects')", db=migrated_db)
    mariadb.query("INSERT INTO mailroute_group_member (group_id, account_id) VALUES "
                  "(901, 116), (901, 117), (902, 110), (902, 107)", db=migrated_db)
    yield migrated_db
    mariadb.query("DELETE FROM mailroute_group WHERE id IN (901, 902)", db=migrated_db)
    mariadb.query("DELETE FROM mailroute_group_retired", db=migrated_db)


@pytest.fixture(scope="module")
def dict_user(mariadb, groups):
    mariadb.run_template(os.path.join(SOURCE_DIR, "conf.d", "dovecot", "shared-mailbox-db-user.sql"),
                         groups, {"@DOVECOT_HOST@": "localhost", "@PASSWORD@": DICT_PASSWORD})
    yield groups
    clear_shares(mariadb, groups)


def clear_shares(mariadb, db):
    for table in ("mailroute_shared_mailbox", "mailroute_shared_mailbox_unlisted"):
        mariadb.query("DELETE FROM " + table, db=db)


def start_shared_host(root, mariadb, db, mode, mail_root=None):
    """A Dovecot with the shipped shared namespace and its dict map,
    pointed at the test server."""
    os.makedirs(root)
    dict_path = os.path.join(root, "dovecot-dict-shared.conf.ext")
    write_dict_config(dict_path, "dovecot-dict-shared.conf.ext", mariadb, db, DICT_USER,
                      DICT_PASSWORD)
    shared = (read_conf("mailroute-shared.conf.ext")
              .replace("/etc/dovecot/dovecot-dict-shared.conf.ext", dict_path)
              .replace("user = vmail", "user = " + ensure_vmail_user().pw_name))
    return start_mail_host(os.path.join(root, "host"), mariadb, db, mode, shared, mail_root)


@pytest.fixture(scope="module", params=MODES)
def dovecot(request, workdir, mariadb, dict_user):
    """The module's Dovecot, then the stock-SQL include's, each with the
    shipped shared namespace."""
    dovecot = start_shared_host(os.path.join(workdir, "shared-folders-" + request.param),
                                mariadb, dict_user, request.param)
    yield dovecot
    dovecot.stop()
    clear_shares(mariadb, dict_user)


def login(dovecot, user):
    conn = IMAP("127.0.0.1", dovecot.imap_port)
    conn.login(user, fixture_password(user))
    return conn


def acl_groups(dovecot, user):
    out = dovecot.doveadm("user", "-f", "acl_groups", user)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def select_answer(dovecot, user, mailbox):
    conn = login(dovecot, user)
    try:
        return conn.select('"%s"' % mailbox, readonly=True)
    finally:
        conn.logout()


def listed(conn):
    status, lines = conn.list('""', '"shared/*"')
    assert status == "OK"
    return b"\n".join(line for line in lines if line)


@pytest.fixture(scope="module")
def shared_folder(dovecot):
    """alice's Projects with one message, shared with her group: lrs."""
    conn = login(dovecot, OWNER)
    assert conn.create(FOLDER)[0] == "OK"
    assert conn.append(FOLDER, None, None,
                       b"Subject: plans\r\nFrom: alice@shared-a.com\r\n\r\nshared\r\n")[0] == "OK"
    status, answer = conn.setacl(FOLDER, "$projects@shared-a.com", "lrs")
    assert status == "OK", answer
    status, answer = conn.getacl(FOLDER)
    assert status == "OK" and b"$projects@shared-a.com lrs" in answer[0], answer
    conn.logout()
    return SHARED


def test_database_refuses(mariadb, groups):
    with pytest.raises(MySQLdb.OperationalError, match="not of the customer of group 901"):
        mariadb.query("INSERT INTO mailroute_group_member (group_id, account_id) "
                      "VALUES (901, 110)", db=groups)
    with pytest.raises(MySQLdb.OperationalError, match="mailroute_group_name_valid"):
        mariadb.query("INSERT INTO mailroute_group (domain_id, name) VALUES (11, 'Two Words')",
                      db=groups)
    with pytest.raises(MySQLdb.IntegrityError):
        mariadb.query("INSERT INTO mailroute_group (domain_id, name) VALUES (11, 'projects')",
                      db=groups)


def lookup_groups(config, user):
    """acl_groups as the module's lookup gives them (mailroute-auth lookup)."""
    out = subprocess.run([ADMIN_CLI, "-c", config, "lookup", user], capture_output=True, text=True)
    assert out.returncode == 0, out
    fields = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
    return fields.get("acl_groups", "")


def marked(mariadb, db):
    return {row[0] for row in mariadb.query(
        "SELECT grouped_account_id FROM mailroute_grouped_account", db=db)}


def test_groups_follow_each_membership_change(mariadb, groups, config):
    """Migration 0014: a lookup reads groups only for an account marked in
    mailroute_grouped_account. A sequence, each step answered at once: a
    membership moved to another account (the update trigger marks it; the
    old account's mark stays and gives it nothing), moved back, a new
    group's member, the group deleted (a cascade, no trigger)."""
    q = lambda sql: mariadb.query(sql, db=groups)  # noqa: E731
    assert {116, 117, 107, 110} <= marked(mariadb, groups)
    assert 120 not in marked(mariadb, groups)
    assert lookup_groups(config, SAME_CUSTOMER) == ""
    q("UPDATE mailroute_group_member SET account_id = 120 WHERE group_id = 901 AND account_id = 117")
    try:
        assert lookup_groups(config, SAME_CUSTOMER) == "projects@shared-a.com"
        assert 117 in marked(mariadb, groups)
        assert lookup_groups(config, MEMBER) == ""
    finally:
        q("UPDATE mailroute_group_member SET account_id = 117 WHERE group_id = 901 "
          "AND account_id = 120")
    assert lookup_groups(config, MEMBER) == "projects@shared-a.com"
    assert lookup_groups(config, SAME_CUSTOMER) == ""
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (903, 11, 'interim')")
    try:
        q("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (903, 117)")
        assert lookup_groups(config, MEMBER) == "interim@shared-a.com,projects@shared-a.com"
    finally:
        q("DELETE FROM mailroute_group WHERE id = 903")
    assert lookup_groups(config, MEMBER) == "projects@shared-a.com"
    assert lookup_groups(config, CONTINUITY) == "continuity,projects@continuity30.org"


def test_migration_marks_the_members_it_finds(mariadb, groups, config):
    """0014 down, a membership added meanwhile (no trigger to mark it),
    0014 up: the migration's copy marks it, and the lookup reads it."""
    def migration(direction):
        status, out, err = mariadb.run_file(
            os.path.join(SQL_DIR, "migrations", "0014_grouped_accounts.%s.sql" % direction), groups)
        assert status == 0, err
    migration("down")
    try:
        mariadb.query("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (901, 120)",
                      db=groups)
    finally:
        migration("up")
    try:
        assert 120 in marked(mariadb, groups)
        assert lookup_groups(config, SAME_CUSTOMER) == "projects@shared-a.com"
    finally:
        mariadb.query("DELETE FROM mailroute_group_member WHERE group_id = 901 AND account_id = 120",
                      db=groups)


def test_userdb_names_each_customers_groups_apart(dovecot):
    """Both customers have a group "projects"; the userdb names them by
    their domain, and the continuity group comes first."""
    assert acl_groups(dovecot, OWNER) == "projects@shared-a.com"
    assert acl_groups(dovecot, MEMBER) == "projects@shared-a.com"
    assert acl_groups(dovecot, OTHER_CUSTOMER) == "projects@continuity30.org"
    assert acl_groups(dovecot, CONTINUITY) == "continuity,projects@continuity30.org"
    assert acl_groups(dovecot, SAME_CUSTOMER) == ""


def test_member_sees_and_reads_the_shared_folder(dovecot, shared_folder):
    conn = login(dovecot, MEMBER)
    try:
        assert shared_folder.encode() in listed(conn)
        status, count = conn.select('"%s"' % shared_folder, readonly=True)
        assert status == "OK" and count == [b"1"], count
        status, rights = conn.myrights('"%s"' % shared_folder)
        assert status == "OK" and rights[0].split()[-1] == b"lrs", rights
        status, data = conn.fetch("1", "(BODY.PEEK[TEXT])")
        assert status == "OK" and b"shared" in data[0][1]
    finally:
        conn.logout()


def test_member_cannot_write_what_was_shared_read_only(dovecot, shared_folder):
    conn = login(dovecot, MEMBER)
    try:
        status, answer = conn.append('"%s"' % shared_folder, None, None,
                                     b"Subject: mine\r\n\r\nno\r\n")
        assert status == "NO", answer
    finally:
        conn.logout()


@pytest.mark.parametrize("user", [SAME_CUSTOMER, OTHER_CUSTOMER, CONTINUITY])
def test_outsider_neither_sees_nor_selects(dovecot, shared_folder, user):
    conn = login(dovecot, user)
    try:
        assert OWNER.encode() not in listed(conn)
        for mailbox in (shared_folder, "shared/%s/INBOX" % OWNER):
            status, answer = conn.select('"%s"' % mailbox, readonly=True)
            assert status == "NO", (mailbox, answer)
    finally:
        conn.logout()


def test_removed_member_loses_the_folder(dovecot, mariadb, groups, shared_folder):
    """A sequence: bob reads the folder; his membership row goes; after the
    auth cache is flushed (the control panel's change takes effect at the
    cache TTL otherwise) he can no longer select it; back in the group, he
    can again."""
    assert select_answer(dovecot, MEMBER, shared_folder)[0] == "OK"
    mariadb.query("DELETE FROM mailroute_group_member WHERE group_id = 901 AND account_id = 117",
                  db=groups)
    try:
        assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
        assert acl_groups(dovecot, MEMBER) == ""
        assert select_answer(dovecot, MEMBER, shared_folder)[0] == "NO"
    finally:
        mariadb.query("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (901, 117)",
                      db=groups)
    assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
    assert select_answer(dovecot, MEMBER, shared_folder)[0] == "OK"


def shares(mariadb, db):
    return mariadb.query("SELECT grantee_kind, grantee, owner FROM mailroute_shared_mailbox "
                         "ORDER BY grantee_kind, grantee, owner", db=db)


GROUP_SHARE = (("group", "projects@shared-a.com", OWNER),)


def test_the_share_is_a_row_in_the_database(dovecot, mariadb, dict_user, shared_folder):
    """The group's share, and nothing for the continuity group's global
    ACL: those rows (one per user who logged in) went to the table the
    map never reads, and the view over it answers none."""
    assert shares(mariadb, dict_user) == GROUP_SHARE
    unlisted = mariadb.query("SELECT owner FROM mailroute_shared_mailbox_unlisted", db=dict_user)
    assert (OWNER,) in unlisted and (MEMBER,) in unlisted, unlisted
    assert mariadb.query("SELECT owner FROM mailroute_shared_mailbox_continuity",
                         db=dict_user) == ()


@pytest.mark.parametrize("identifier", ["anyone", "authenticated"])
def test_sharing_with_everyone_is_refused(dovecot, mariadb, dict_user, shared_folder, identifier):
    """anyone and authenticated would reach every user of every customer
    on the host: the shipped config leaves acl_anyone unset."""
    conn = login(dovecot, OWNER)
    try:
        with pytest.raises(IMAP.error, match="'%s' identifier is disallowed" % identifier):
            conn.setacl(FOLDER, identifier, "lr")
    finally:
        conn.logout()
    assert shares(mariadb, dict_user) == GROUP_SHARE


def assert_member_lists(host, expected):
    conn = login(host, MEMBER)
    try:
        assert (SHARED.encode() in listed(conn)) == expected
    finally:
        conn.logout()


def test_second_host_lists_the_share_and_its_withdrawal(request, workdir, dovecot, mariadb,
                                                        dict_user, shared_folder):
    """Production's mirrored pair: a second host on the same mail storage
    and database. The member there finds the folder the owner shared on
    the first host; the owner withdraws the right on the first host and
    the second stops listing it; shared again, it lists it again."""
    mode = request.node.callspec.params["dovecot"]
    second = start_shared_host(os.path.join(workdir, "shared-second-host-" + mode), mariadb,
                               dict_user, mode, dovecot.mail_root)
    try:
        assert select_answer(second, MEMBER, shared_folder) == ("OK", [b"1"])
        assert_member_lists(second, True)
        owner = login(dovecot, OWNER)
        try:
            assert owner.deleteacl(FOLDER, "$projects@shared-a.com")[0] == "OK"
            assert shares(mariadb, dict_user) == ()
            assert_member_lists(second, False)
            assert owner.setacl(FOLDER, "$projects@shared-a.com", "lrs")[0] == "OK"
        finally:
            owner.logout()
        assert shares(mariadb, dict_user) == GROUP_SHARE
        assert_member_lists(second, True)
    finally:
        second.stop()


def test_acl_recalc_refills_the_database(dovecot, mariadb, dict_user, shared_folder):
    """The operator's step after moving from a file dictionary, or after
    0013 down and up: with the table empty a member lists nothing (the
    rights are still in the owner's ACL file); doveadm acl recalc -A
    reads the ACL files of every user and writes the rows back."""
    clear_shares(mariadb, dict_user)
    assert_member_lists(dovecot, False)
    out = dovecot.doveadm("acl", "recalc", "-A")
    assert out.returncode == 0, out.stderr
    assert shares(mariadb, dict_user) == GROUP_SHARE
    assert_member_lists(dovecot, True)


# Customer 2's folder, shared by both@both.net with customer 1's users.
OTHER_FOLDER = "Globex"
OTHER_SHARED = "shared/%s/%s" % (OTHER_CUSTOMER, OTHER_FOLDER)


@pytest.fixture
def cross_customer_grants(dovecot, shared_folder):
    """Grants across customers, both ways, as a hostile or careless owner
    writes them: alice (customer 1) to both@both.net and to customer 2's
    group; both@both.net (customer 2) to bob and to customer 1's group.
    Withdrawn afterwards."""
    grants = [(OWNER, FOLDER, [OTHER_CUSTOMER, "$projects@continuity30.org"]),
              (OTHER_CUSTOMER, OTHER_FOLDER, [MEMBER, "$projects@shared-a.com"])]
    for owner, folder, grantees in grants:
        conn = login(dovecot, owner)
        try:
            if conn.create(folder)[0] == "OK":
                conn.append(folder, None, None, b"Subject: private\r\n\r\nprivate\r\n")
            for grantee in grantees:
                status, answer = conn.setacl(folder, grantee, "lrs")
                assert status == "OK", answer
        finally:
            conn.logout()
    yield
    for owner, folder, grantees in grants:
        conn = login(dovecot, owner)
        try:
            for grantee in grantees:
                assert conn.deleteacl(folder, grantee)[0] == "OK"
        finally:
            conn.logout()


def refused_everything(dovecot, user, mailbox):
    """Neither LIST nor LSUB names the mailbox's owner; SELECT, EXAMINE
    and STATUS are refused, so no FETCH can follow."""
    owner = mailbox.split("/")[1].encode()
    conn = login(dovecot, user)
    try:
        assert owner not in listed(conn)
        status, lines = conn.lsub('""', '"shared/*"')
        assert status == "OK" and owner not in b"".join(l for l in lines if l), lines
        for readonly in (True, False):
            status, answer = conn.select('"%s"' % mailbox, readonly=readonly)
            assert status == "NO", (mailbox, answer)
        status, answer = conn.status('"%s"' % mailbox, "(MESSAGES)")
        assert status == "NO", answer
        with pytest.raises(IMAP.error):
            conn.fetch("1", "(BODY.PEEK[TEXT])")
    finally:
        conn.logout()


@pytest.mark.parametrize("user, mailbox", [
    (OTHER_CUSTOMER, SHARED),        # customer 1's folder, granted to a user of 2
    (CONTINUITY, SHARED),            # granted to customer 2's group, a member
    (MEMBER, OTHER_SHARED),          # customer 2's folder, granted to a user of 1
    (OWNER, OTHER_SHARED),           # granted to customer 1's group, a member
], ids=["1-to-user-of-2", "1-to-group-of-2", "2-to-user-of-1", "2-to-group-of-1"])
def test_a_grant_to_another_customer_gives_nothing(dovecot, cross_customer_grants, user,
                                                   mailbox):
    """SPEC 12: sharing stays within the customer, whatever the owner's
    ACL files say (the mailroute_tenant mail plugin)."""
    refused_everything(dovecot, user, mailbox)


def test_the_same_grant_within_the_customer_still_works(dovecot, cross_customer_grants):
    """The control: bob, of alice's customer and group, still reads the
    folder alice also (wrongly) shared with customer 2."""
    assert select_answer(dovecot, MEMBER, SHARED)[0] == "OK"


def answers(conn, owner):
    """What the server says about shared/<owner>/..., the name blanked."""
    said = []
    for command, args in [("select", ('"shared/%s/INBOX"' % owner,)),
                          ("status", ('"shared/%s/INBOX"' % owner, "(MESSAGES)")),
                          ("create", ('"shared/%s/Stolen"' % owner,)),
                          ("rename", ('"shared/%s/INBOX"' % owner, '"shared/%s/Moved"' % owner)),
                          ("myrights", ('"shared/%s/INBOX"' % owner,)),
                          ("getacl", ('"shared/%s/INBOX"' % owner,))]:
        try:
            status, data = getattr(conn, command)(*args)
        except IMAP.error as e:
            status, data = "error", [str(e).encode()]
        text = b" ".join(d if isinstance(d, bytes) else repr(d).encode() for d in data if d)
        text = re.sub(rb" \([0-9.+ ]+ secs\)", b"", text.replace(owner.encode(), b"<owner>"))
        # a SERVERBUG answer carries the time: the two askings may fall in
        # two different seconds
        text = re.sub(rb" \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]", b" [<time>]", text)
        said.append((command, status, text))
        # the session goes on after each (2.3.19 panicked on MYRIGHTS)
        assert conn.noop()[0] == "OK", (command, said)
    return said


@pytest.mark.parametrize("user, owner", [(OTHER_CUSTOMER, OWNER), (MEMBER, OTHER_CUSTOMER)],
                         ids=["2-asks-of-1", "1-asks-of-2"])
def test_another_customers_user_answers_as_an_unknown_name(dovecot, cross_customer_grants,
                                                           user, owner):
    """No user learns which accounts another customer has: SELECT,
    STATUS, CREATE, RENAME, MYRIGHTS and GETACL on shared/<owner>/ answer
    the same for an existing owner of another customer and for a name
    nobody has, and none of them ends the session."""
    unknown = "nobody-here@" + owner.split("@")[1]
    conn = login(dovecot, user)
    try:
        assert answers(conn, owner) == answers(conn, unknown)
    finally:
        conn.logout()


def test_a_members_append_counts_for_the_owner(request, workdir, mariadb, dict_user, dovecot):
    """With the quota usage include beside the shared one: bob appends by
    IMAP into the folder alice shared with him (rights lrsi), and the
    message counts in alice's usage row, not his."""
    from test_quota_usage import WRITER, WRITER_PASSWORD, quota_usage_config, usage
    from mrtest.wait import wait_for
    mode = request.node.callspec.params["dovecot"]
    mariadb.run_template(os.path.join(SOURCE_DIR, "conf.d", "dovecot", "quota-usage-db-user.sql"),
                         dict_user, {"@DOVECOT_HOST@": "localhost", "@PASSWORD@": WRITER_PASSWORD})
    root = os.path.join(workdir, "shared-quota-" + mode)
    os.makedirs(root)
    quota_dict = os.path.join(root, "dovecot-dict-quota.conf.ext")
    write_dict_config(quota_dict, "dovecot-dict-quota.conf.ext", mariadb, dict_user, WRITER,
                      WRITER_PASSWORD)
    shared_dict = os.path.join(root, "dovecot-dict-shared.conf.ext")
    write_dict_config(shared_dict, "dovecot-dict-shared.conf.ext", mariadb, dict_user, DICT_USER,
                      DICT_PASSWORD)
    vmail = ensure_vmail_user().pw_name
    extra = (read_conf("mailroute-shared.conf.ext")
             .replace("/etc/dovecot/dovecot-dict-shared.conf.ext", shared_dict)
             .replace("user = vmail", "user = " + vmail)
             + quota_usage_config(quota_dict, vmail))
    host = start_mail_host(os.path.join(root, "host"), mariadb, dict_user, mode, extra)
    try:
        owner = login(host, OWNER)
        try:
            owner.create("Dropbox")
            assert owner.setacl("Dropbox", MEMBER, "lrsi")[0] == "OK"
        finally:
            owner.logout()
        # this host's own mail storage: alice has nothing stored here yet
        mariadb.query("DELETE FROM mailroute_quota_usage", db=dict_user)
        member = login(host, MEMBER)
        try:
            status, answer = member.append('"shared/%s/Dropbox"' % OWNER, None, None,
                                           b"Subject: dropped\r\n\r\n" + b"z" * 4000 + b"\r\n")
            assert status == "OK", answer
        finally:
            member.logout()
        after = wait_for(lambda: usage(mariadb, dict_user, OWNER))
        assert after and after[1] == 1 and after[0] >= 4000, after
        assert usage(mariadb, dict_user, MEMBER) in (None, (0, 0))
    finally:
        host.stop()


# --- a freed group name carries nothing to its next owner (SPEC 12) ---------

def retired(mariadb, db):
    return mariadb.query("SELECT acl_group, group_id FROM mailroute_group_retired "
                         "ORDER BY acl_group", db=db)


@pytest.fixture
def rename_domains(mariadb, groups):
    """Domain 913 rename-a.example (customer 1) with group staff (913);
    everything these tests add is removed afterwards."""
    q = lambda sql: mariadb.query(sql, db=groups)  # noqa: E731
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(913, 'rename-a.example', 'd0000000000000000000000000000913', 11, 1)")
    q("INSERT INTO amavisd_domainalias (id, domain_id, name) VALUES "
      "(913, 913, 'rename-a.example')")
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (913, 913, 'staff')")
    yield q
    q("DELETE FROM amavisd_domainalias WHERE domain_id IN (913, 914)")
    q("DELETE FROM amavisd_domain WHERE id IN (913, 914)")
    q("DELETE FROM mailroute_group_retired")


def test_a_freed_group_name_is_refused_to_another_group(mariadb, groups, rename_domains):
    """A sequence: customer 1 renames rename-a.example; the group's old
    name staff@rename-a.example is kept; customer 2 makes the name
    rename-a.example its own and cannot make a group staff there (nor
    rename one to it) until the operator has removed the old grants and
    released the name; the first group may take its own name back."""
    q = rename_domains
    q("UPDATE amavisd_domain SET name = 'rename-b.example' WHERE id = 913")
    assert retired(mariadb, groups) == (("staff@rename-a.example", 913),)
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(914, 'rename-a.example', 'd0000000000000000000000000000914', 6, 2)")
    with pytest.raises(MySQLdb.OperationalError, match="would take the name group 913 gave up"):
        q("INSERT INTO mailroute_group (domain_id, name) VALUES (914, 'staff')")
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (914, 914, 'other')")
    with pytest.raises(MySQLdb.OperationalError, match="gave up"):
        q("UPDATE mailroute_group SET name = 'staff' WHERE id = 914")
    # another group's rename to a given-up name, through its domain's rename
    q("DELETE FROM amavisd_domain WHERE id = 914")
    assert ("other@rename-a.example", 914) in retired(mariadb, groups)
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (915, 11, 'staff')")
    with pytest.raises(MySQLdb.OperationalError, match="gave up"):
        q("UPDATE amavisd_domain SET name = 'rename-a.example' WHERE id = 11")
    q("DELETE FROM mailroute_group WHERE id = 915")
    # group 913 takes its own name back: allowed, and no longer kept
    q("UPDATE amavisd_domain SET name = 'rename-a.example' WHERE id = 913")
    names = [r[0] for r in retired(mariadb, groups)]
    assert "staff@rename-a.example" not in names and "staff@rename-b.example" in names
    assert "staff@shared-a.com" in names    # group 915, deleted


@pytest.mark.parametrize("dovecot", ["module"], indirect=True)
def test_rename_then_reuse_reaches_nothing_over_imap(dovecot, mariadb, groups, rename_domains):
    """The sequence over IMAP: alice (customer 1) shares Reports with
    $staff@rename-a.example, bob's group; the domain is renamed; even
    with the kept name released by the operator without removing the
    grant, customer 2's new group staff@rename-a.example (both@both.net)
    reads nothing of alice's: the grant is to another customer's group."""
    q = rename_domains
    q("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (913, 117)")
    owner = login(dovecot, OWNER)
    try:
        owner.create("Reports")
        owner.append("Reports", None, None, b"Subject: q4\r\n\r\nnumbers\r\n")
        assert owner.setacl("Reports", "$staff@rename-a.example", "lrs")[0] == "OK"
    finally:
        owner.logout()
    assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
    assert select_answer(dovecot, MEMBER, "shared/%s/Reports" % OWNER)[0] == "OK"
    q("UPDATE amavisd_domain SET name = 'rename-b.example' WHERE id = 913")
    q("DELETE FROM mailroute_group_retired")
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(914, 'rename-a.example', 'd0000000000000000000000000000914', 6, 2)")
    q("INSERT INTO amavisd_domainalias (id, domain_id, name) VALUES "
      "(914, 914, 'rename-a.example')")
    q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (914, 914, 'staff')")
    q("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (914, 110)")
    assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
    assert "staff@rename-a.example" in acl_groups(dovecot, OTHER_CUSTOMER)
    refused_everything(dovecot, OTHER_CUSTOMER, "shared/%s/Reports" % OWNER)
    # and bob, whose group is now staff@rename-b.example, lost it too
    assert select_answer(dovecot, MEMBER, "shared/%s/Reports" % OWNER)[0] == "NO"


@pytest.mark.parametrize("domain", hostile.GROUP_DOMAINS)
def test_hostile_group_domain_joins_no_other_group(request, dovecot, mariadb, groups, domain):
    """bob in a group on a domain named as an attacker would (issue 24:
    "m2.example,continuity" made Dovecot put him in the continuity
    group, whose global ACL reads every mailbox on the host). The module
    refuses his userdb answer (a temporary failure naming the account:
    no login, mail deferred); the stock SQL include leaves that group
    out. Either way he reads no other user's INBOX."""
    mode = request.node.callspec.params["dovecot"]
    q = lambda sql, params=None: mariadb.query(sql, params, db=groups)  # noqa: E731
    q("INSERT INTO amavisd_domain (id, name, uuid, policy_id, customer_id) VALUES "
      "(920, %s, 'd0000000000000000000000000000920', 11, 1)", (domain,))
    try:
        q("INSERT INTO mailroute_group (id, domain_id, name) VALUES (920, 920, 'g')")
        q("INSERT INTO mailroute_group_member (group_id, account_id) VALUES (920, 117)")
        assert dovecot.doveadm("auth", "cache", "flush").returncode == 0
        out = dovecot.doveadm("user", "-f", "acl_groups", MEMBER)
        if mode == "module":
            assert out.returncode != 0, out.stdout
            conn = IMAP("127.0.0.1", dovecot.imap_port)
            try:
                with pytest.raises(IMAP.error, match="UNAVAILABLE|[Tt]emporary"):
                    conn.login(MEMBER, fixture_password(MEMBER))
            finally:
                conn.shutdown()
        else:
            assert out.returncode == 0 and out.stdout.strip() == "projects@shared-a.com", out
            status, answer = select_answer(dovecot, MEMBER, "shared/%s/INBOX" % OWNER)
            assert status == "NO", answer
            status, answer = select_answer(dovecot, MEMBER, "shared/%s/INBOX" % OTHER_CUSTOMER)
            assert status == "NO", answer
    finally:
        q("DELETE FROM mailroute_group WHERE id = 920")
        q("DELETE FROM amavisd_domain WHERE id = 920")
        q("DELETE FROM mailroute_group_retired")
        dovecot.doveadm("auth", "cache", "flush")
