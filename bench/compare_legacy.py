"""mailroute-auth compare-legacy at production size: the pre-migration
database of bench/migration_load.py (N accounts, default 1,000,000;
2.2 addresses each), migrated but for 0003, then the comparator over every
address. Prints its summary, the time it took and addresses per second.
Never part of the test suite."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
sys.path.insert(0, os.path.dirname(__file__))

from migration_load import DB, load  # noqa: E402
from mrtest import fixtures  # noqa: E402
from mrtest.mariadb import MariaDB  # noqa: E402
from mrtest.paths import ADMIN_CLI  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="worker counts to time, each over every address")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="mailroute-cmpbench-")
    server = MariaDB(os.path.join(root, "db"), buffer_pool="1G")
    server.start()
    try:
        load(server, args.accounts)
        for path in fixtures.migrations("up"):
            if not os.path.basename(path).startswith("0003_"):
                code, _, err = server.run_file(path, DB)
                assert code == 0, err
        config = fixtures.write_config(os.path.join(root, "bench.conf"), server, DB)
        for jobs in args.jobs:
            start = time.monotonic()
            out = subprocess.run([ADMIN_CLI, "-c", config, "compare-legacy", str(jobs)],
                                 capture_output=True, text=True)
            took = time.monotonic() - start
            summary = [line for line in out.stdout.splitlines() if line.startswith("#")]
            print("\n".join(summary))
            addresses = int(summary[0].split()[1])
            print("jobs %d: exit %d; %.0f s for %d addresses, %.0f addresses/s"
                  % (jobs, out.returncode, took, addresses, addresses / took), flush=True)
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
