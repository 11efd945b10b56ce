"""Stalwart's queries at 1,000,000 accounts (SPEC 8): each one, as a
server-side prepared statement with its value bound, reads by index."""
import re

import pytest

from mrtest import scale, stalwart


# Every query Stalwart can be given, by file and key.
ALL_QUERIES = [pytest.param(source, key, query, id="%s-%s" % (source, key))
               for source, key, query in stalwart.all_queries()]


# --- index access at 1,000,000 accounts ----------------------------------------

SCALE_DB = "stalwart_scale"
SCALE_VALUES = {
    "name": "user500000@dom50000.example",
    "emails": "user500000@dom50000.example", "recipients": "alias500000-x+y@alias50000.example",
    "verify": "user500000@ext500000.example", "expand": "team@alias50000.example",
    "domains": "ext500000.example", "queryLogin": "user500000@dom50000.example",
    "queryRecipient": "alias500000@alias50000.example",
    "queryEmailAliases": "user500000@dom50000.example",
}
# Reading one account touches a few dozen index entries (a few hundred
# with the emails query's temporary tables); a scan of any of the big
# tables reads 100,000 rows or more.
MAX_HANDLER_READS = 1000


@pytest.fixture(scope="module")
def scale_db(mariadb):
    scale.load(mariadb, SCALE_DB)
    yield SCALE_DB
    mariadb.query("DROP DATABASE %s" % SCALE_DB)


def explain_and_count(mariadb, db, query, value):
    conn = mariadb.connect(db)
    try:
        cur = conn.cursor()
        cur.execute("SET @v = %s", (value,))
        cur.execute("PREPARE s FROM %s", ("EXPLAIN " + query,))
        cur.execute("EXECUTE s USING @v")
        names = [d[0] for d in cur.description]
        plan = [dict(zip(names, row)) for row in cur.fetchall()]
        cur.execute("PREPARE s FROM %s", (query,))
        cur.execute("FLUSH STATUS")
        cur.execute("EXECUTE s USING @v")
        rows = cur.fetchall()
        cur.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
        reads = sum(int(v) for _, v in cur.fetchall())
        return plan, rows, reads
    finally:
        conn.close()


@pytest.mark.parametrize("source,key,query", ALL_QUERIES)
def test_index_access_at_a_million_accounts(mariadb, scale_db, source, key, query):
    plan, rows, reads = explain_and_count(mariadb, scale_db, query, SCALE_VALUES[key])
    for step in plan:
        # the recursive CTE walks the function's array (its own derived
        # table and union), not a table of the schema
        scans_table = (step["type"] in ("ALL", "index")
                       and not re.fullmatch(r"<(derived|union)[0-9,]+>", step["table"] or ""))
        assert not scans_table, (key, step)
    assert reads <= MAX_HANDLER_READS, (key, reads, plan)
    assert rows, (key, "the scale account or list must be found")
