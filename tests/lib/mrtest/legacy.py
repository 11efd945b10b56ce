"""The legacy queries production runs today (tests/integration/
legacy-queries.sql, a verbatim copy of the reference file), for the
comparison test and the benchmark's legacy contender."""
import os
import re

from .paths import SOURCE_DIR

LEGACY_FILE = os.path.join(SOURCE_DIR, "tests", "integration", "legacy-queries.sql")


def query(number):
    """Query N of the file ("-- N. ..." blocks), without comments."""
    with open(LEGACY_FILE) as f:
        text = f.read()
    blocks = re.split(r"\n-- \d\. ", text)
    # the block's first line is the rest of its "-- N." comment
    body = "\n".join(l for l in blocks[number].splitlines()[1:] if not l.startswith("--"))
    return body.strip().rstrip(";")


USER_QUERY = 2
