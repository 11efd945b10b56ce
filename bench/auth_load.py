"""Lookups and logins per second through Dovecot's own sockets, at several
account counts, every contender on the same data in the same run.

A private MariaDB and one private Dovecot per contender (loopback only, a
temporary directory): the module (conf.d's auth-mailroute.conf.ext),
Dovecot's stock sql driver (auth-mailroute-sql.conf.ext with the DJANGO
scheme) and mailroute-checkpassword through Dovecot's checkpassword
driver. N clients, each on its own connection, send USER requests to
auth-userdb (an LMTP recipient or doveadm lookup) or AUTH PLAIN to
auth-client (a login), for a fixed time each, over random accounts.

Prints a table, writes bench/results/auth-load-<time>.csv and, where
matplotlib is installed, a PNG of lookups/s against account count."""
import argparse
import base64
import csv
import os
import random
import shutil
import hashlib
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))

from mrtest import fixtures, legacy, scale  # noqa: E402
from mrtest.auth_client import login_client, userdb_client  # noqa: E402
from mrtest.dovecot import Dovecot  # noqa: E402
from mrtest.dovecot_conf import (checkpassword_auth, module_auth,  # noqa: E402
                                 share_config_with_dovecot, sql_auth)
from mrtest.dovecot_modules import install_auth_modules  # noqa: E402
from mrtest.mariadb import MariaDB  # noqa: E402
from mrtest.paths import BUILD_DIR, CHECKPASSWORD, SOURCE_DIR  # noqa: E402
from process_cpu import CpuMeter  # noqa: E402

RESULTS_DIR = os.path.join(SOURCE_DIR, "bench", "results")
# Django 5.x's default cost: what a real login pays without a cache
REAL_ITERATIONS = 1_000_000
# the low-cost rows: a hash of its own per account, cheap enough that
# thousands are made in seconds, costly enough to be counted
LOW_ITERATIONS = 1000


def build_pbkdf2_counter(work):
    """bench/pbkdf2-count.c as a preload library, and the file it counts
    into (open to the auth processes, whatever user they run as)."""
    library = os.path.join(work, "pbkdf2-count.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", library,
                    os.path.join(SOURCE_DIR, "bench", "pbkdf2-count.c"), "-ldl"], check=True)
    counter = os.path.join(work, "pbkdf2-count")
    open(counter, "w").close()
    os.chmod(counter, 0o666)
    return library, counter


def pbkdf2_count(counter):
    return os.path.getsize(counter)


def timed_clients(make_client, clients, users_of):
    """`clients` threads, each on its own connection, calling it for every
    user users_of(i) yields; returns (requests/s, p50 ms, p99 ms,
    failures)."""
    latencies, failures = [], [0]
    lock = threading.Lock()

    def worker(i):
        conn, call = make_client()
        mine, failed = [], 0
        try:
            for user in users_of(i):
                start = time.perf_counter()
                failed += 0 if call(user) else 1
                mine.append(time.perf_counter() - start)
        finally:
            conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    begin = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - begin
    latencies.sort()
    if not latencies:
        return 0.0, 0.0, 0.0, failures[0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000, failures[0]


def drive(make_client, users, clients, seconds):
    """Random users for `seconds`, as timed_clients()."""
    deadline = time.monotonic() + seconds

    def random_users(seed):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            yield rng.choice(users)
    return timed_clients(make_client, clients, random_users)


def drive_once(make_client, users, clients):
    """Each user once, spread over the clients, as timed_clients()."""
    return timed_clients(make_client, clients, lambda i: users[i::clients])


def list_users(dovecot):
    """doveadm user '*' (the userdb iterate dsync and doveadm -A use):
    (seconds to the first name, seconds to the last, names)."""
    start = time.monotonic()
    proc = subprocess.Popen(["doveadm", "-c", dovecot.config_path, "user", "*"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first, names = None, 0
    for _ in proc.stdout:
        if first is None:
            first = time.monotonic() - start
        names += 1
    proc.wait()
    return first or 0.0, time.monotonic() - start, names, proc.returncode


BENCH_LOOKUP = os.path.join(BUILD_DIR, "bench", "bench-lookup")
# seconds of lookups before each timed userdb run, not counted: workers
# started, connections made, statements prepared, for every contender
WARM_UP_SECONDS = 2


def bench_lookup(target, accounts, clients, seconds, meter, program=BENCH_LOOKUP):
    """bench-lookup on target (a config: the ceiling; ["--auth-userdb",
    socket]: a Dovecot), after a warm-up: (lookups/s, p50 ms, p99 ms,
    failures, the timed run's CPU per lookup from meter)."""
    target = [target] if isinstance(target, str) else target

    def run_for(run_seconds):
        out = subprocess.run([program] + target + [str(accounts), str(clients),
                                                   str(run_seconds)],
                             capture_output=True, text=True)
        if len(out.stdout.split()) != 4:
            raise RuntimeError("bench-lookup failed: %s" % out.stderr.strip())
        return out.stdout.split()
    run_for(WARM_UP_SECONDS)
    meter.start()
    rate, p50, p99, failures = run_for(seconds)
    return (float(rate), float(p50), float(p99), int(failures),
            meter.per_request(float(rate) * seconds))


def userdb_target(dovecot):
    return ["--auth-userdb", os.path.join(dovecot.base_dir, "auth-userdb")]


ROW_FIELDS = ("round", "accounts", "contender", "test", "hash_cost", "cache", "clients",
              "per_second", "p50_ms", "p99_ms", "failed", "pbkdf2", "pbkdf2_per_account",
              "server_ms", "dovecot_ms", "client_ms")


def emit(rows, **fields):
    """A result row, "-" where a field does not apply, printed as it comes."""
    row = {name: fields.get(name, "-") for name in ROW_FIELDS}
    rows.append(row)
    print("\t".join(str(v) for v in row.values()), flush=True)


def build_at(commit, patch, work):
    """This project built as it was at commit, with patch (a file, or None)
    applied, in a detached worktree under work: the directory holding its
    bench-lookup and its Dovecot modules, built once for a commit and patch."""
    tree = os.path.join(work, "baseline")
    built = os.path.join(work, "built-" + commit.replace("^", "-parent") +
                         ("-" + os.path.basename(patch) if patch else ""))
    if os.path.isdir(built):
        return built
    subprocess.run(["git", "-C", SOURCE_DIR, "worktree", "add", "--detach", tree, commit],
                   check=True, capture_output=True)
    try:
        if patch:
            subprocess.run(["git", "apply", os.path.abspath(patch)], cwd=tree, check=True)
        for command in (["autoreconf", "-fi"],
                        ["./configure", "--quiet", "--with-dovecot=/usr/lib/dovecot"],
                        ["make", "-j%d" % os.cpu_count()],
                        ["make", "bench/bench-lookup"]):
            subprocess.run(command, cwd=tree, check=True, capture_output=True)
        shutil.copytree(os.path.join(tree, "plugin", ".libs"), built,
                        ignore=shutil.ignore_patterns("*.o", "*.la*", "*.a"))
        shutil.copy(os.path.join(tree, "bench", "bench-lookup"), built)
        return built
    finally:
        subprocess.run(["git", "-C", SOURCE_DIR, "worktree", "remove", "--force", tree],
                       check=False, capture_output=True)


def worker_rss_kib(dovecot):
    """Summed VmRSS of this Dovecot's auth-worker processes."""
    total = 0
    for pid in dovecot.auth_worker_pids():
        try:
            with open("/proc/%d/status" % pid) as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total


def rss_growth(dovecot, users, clients, requests):
    """auth-worker RSS after a warm-up, and after `requests` lookups more."""
    drive_count(lambda: userdb_client(dovecot), users, clients, requests // 10)
    before = worker_rss_kib(dovecot)
    if before == 0:
        raise RuntimeError("no auth-worker process found")
    drive_count(lambda: userdb_client(dovecot), users, clients, requests)
    return before, worker_rss_kib(dovecot)


def drive_count(make_client, users, clients, requests):
    """`requests` requests spread over `clients` connections."""
    def worker(seed):
        rng = random.Random(seed)
        conn, call = make_client()
        try:
            for _ in range(requests // clients):
                call(rng.choice(users))
        finally:
            conn.close()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def legacy_auth(root, server, db):
    """Today's production userdb: the legacy user_query over
    temporary_hosted (tests/integration/legacy-queries.sql), through
    Dovecot's sql driver. No passdb answers (userdb test only)."""
    from mrtest.mariadb import APP_PASSWORD, APP_USER
    path = os.path.join(root, "dovecot-legacy-sql.conf.ext")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("driver = mysql\n"
                "connect = host=127.0.0.1 port=%d dbname=%s user=%s password=%s\n"
                "password_query = SELECT NULL AS password FROM DUAL WHERE 1 = 0\n"
                "user_query = %s\n" % (server.port, db, APP_USER, APP_PASSWORD,
                                        " ".join(legacy.query(legacy.USER_QUERY).split())))
    return ("auth_username_chars =\n"
            "passdb {\n  driver = sql\n  args = %s\n}\n"
            "userdb {\n  driver = sql\n  args = %s\n}\n" % (path, path))


def restore_temporary_hosted(server, db):
    """The stop-gap table the legacy query reads, one row per domain with
    its policy's values (what migration 0001 moved out of it)."""
    server.query("CREATE TABLE IF NOT EXISTS temporary_hosted LIKE temporary_hosted_retired",
                 db=db)
    server.query("INSERT INTO temporary_hosted (domain_id, hosted, continuity,"
                 " cont_storage_days, quota_mb)"
                 " SELECT d.id, COALESCE(p.hosted_mail_enabled, 0),"
                 " COALESCE(p.continuity_enabled, 0), p.continuity_storage_days, p.quota_mb"
                 " FROM amavisd_domain d JOIN amavisd_policy p ON p.id = d.policy_id", db=db)


def contender_auth(name, root, server, db, config):
    if name.startswith("module"):
        return module_auth(config)
    if name == "legacy":
        return legacy_auth(root, server, db)
    if name == "sql":
        return sql_auth(os.path.join(root, "dovecot-sql.conf.ext"), server, db,
                        "/nonexistent/mail", "/nonexistent/index")
    share_config_with_dovecot(config)
    return checkpassword_auth(CHECKPASSWORD, config)


def start_dovecot(root, name, server, db, config, cache, counter):
    """Dovecot's default worker settings (auth_worker_max_count, idle_kill)
    are left as they are: what production runs."""
    library, count_file = counter
    # the host's verified-credential table starts empty for each contender
    if os.path.exists(config + ".verify-cache"):
        os.unlink(config + ".verify-cache")
    auth = contender_auth(name, root, server, db, config)
    # the shipped includes turn the auth cache on; a later setting wins
    auth += "\nauth_cache_size = %s\nauth_debug = no\nauth_verbose = no\n" % (
        "10M" if cache else "0")
    auth += "import_environment = TZ CORE_OUTOFMEM CORE_ERROR LD_PRELOAD MR_PBKDF2_COUNT\n"
    dovecot = Dovecot(os.path.join(root, "%s-%s" % (name, "cache" if cache else "nocache")),
                      auth)
    dovecot.environment = {"LD_PRELOAD": library, "MR_PBKDF2_COUNT": count_file}
    dovecot.start()
    return dovecot


def real_cost_hash(account):
    """A Django-5.x-cost hash of its own per account (its own salt), as
    Django's make_password writes it: no two accounts share a stored hash,
    so no cache can serve one account's login from another's."""
    salt = "bench%d" % account
    digest = hashlib.pbkdf2_hmac("sha256", scale.PLAIN_PASSWORD.encode(), salt.encode(),
                                 REAL_ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (REAL_ITERATIONS, salt, base64.b64encode(digest).decode())


def low_cost_hash(account):
    """As real_cost_hash, at LOW_ITERATIONS: the cache's capacity under
    test, not the hash."""
    salt = "low%d" % account
    digest = hashlib.pbkdf2_hmac("sha256", scale.PLAIN_PASSWORD.encode(), salt.encode(),
                                 LOW_ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (LOW_ITERATIONS, salt, base64.b64encode(digest).decode())


def set_own_hashes(server, db, accounts, make_hash):
    """Gives each account in `accounts` its own hash (computed on every
    core: 0.2 s each at the real cost)."""
    with multiprocessing.Pool() as pool:
        hashes = pool.map(make_hash, accounts)
    conn = server.connect(db)
    try:
        cur = conn.cursor()
        cur.executemany("UPDATE auth_user SET password = %s WHERE id = %s",
                        list(zip(hashes, accounts)))
    finally:
        conn.close()


def run_ceilings(rows, args, context):
    """bench-lookup on the module's resolution without Dovecot: the
    baseline's build (if any), then this tree's."""
    ceilings = [("ceiling", BENCH_LOOKUP, context["config"])]
    if context["baseline"]:
        ceilings.insert(0, ("ceiling@" + args.ceiling_baseline, context["baseline"],
                            context["baseline_config"]))
    for contender, program, program_config in ceilings:
        rate, p50, p99, failed, cpu = bench_lookup(
            program_config, context["accounts"], args.clients, args.seconds,
            CpuMeter(context["server"].process.pid), program)
        emit(rows, round=context["round"], accounts=context["accounts"],
             contender=contender, test="userdb", hash_cost=context["cost"],
             clients=args.clients, per_second=round(rate, 1), p50_ms=p50, p99_ms=p99,
             failed=failed, **cpu)


def run_side_tests(rows, args, context, name, dovecot):
    """The tests run once per size, round and contender, not timed
    against the others: the userdb iteration and the workers' memory."""
    common = dict(round=context["round"], accounts=context["accounts"], contender=name,
                  cache="off")
    if "iterate" in args.tests and name in ("module", "sql"):
        first, total, names, status = list_users(dovecot)
        emit(rows, test="iterate", clients=1, per_second=round(names / total, 1),
             p50_ms=round(first * 1000, 1), p99_ms=round(total * 1000, 1),
             failed=0 if status == 0 and names == context["accounts"] else 1, **common)
    if "rss" in args.tests and name == "module":
        before, after = rss_growth(dovecot, context["users"], args.clients,
                                   args.rss_requests)
        emit(rows, test="rss", clients=args.clients, per_second=args.rss_requests,
             p50_ms=before, p99_ms=after, failed=0, **common)


def run_timed_tests(rows, args, context, name, cache, dovecot):
    """userdb lookups (bench-lookup on auth-userdb), then the logins: every
    account once (the key derivation bounds it), then repeat logins."""
    counter = context["counter"][1]
    common = dict(round=context["round"], accounts=context["accounts"], contender=name,
                  hash_cost=context["cost"], cache="on" if cache else "off",
                  clients=args.clients)
    meter = CpuMeter(context["server"].process.pid, dovecot.master_pid())
    # a userdb lookup does not depend on the hash; legacy has only a userdb
    if "userdb" in args.tests and context["cost"] == args.costs[0]:
        rate, p50, p99, failed, cpu = bench_lookup(
            userdb_target(dovecot), context["accounts"], args.clients, args.seconds, meter)
        emit(rows, test="userdb", per_second=round(rate, 1), p50_ms=p50, p99_ms=p99,
             failed=failed, **common, **cpu)
    if "login" not in args.tests or name == "legacy":
        return
    logins = context["logins"]

    def make_client():
        return login_client(dovecot, scale.PLAIN_PASSWORD)
    for phase in ("login-first", "login"):
        before = pbkdf2_count(counter)
        meter.start()
        if phase == "login-first":
            rate, p50, p99, failed = drive_once(make_client, logins, args.clients)
            requests = len(logins)
        else:
            rate, p50, p99, failed = drive(make_client, logins, args.clients, args.seconds)
            requests = rate * args.seconds
        derived = pbkdf2_count(counter) - before
        emit(rows, test=phase, per_second=round(rate, 1), p50_ms=round(p50, 2),
             p99_ms=round(p99, 2), failed=failed, pbkdf2=derived,
             pbkdf2_per_account=round(derived / len(logins), 3), **common,
             **meter.per_request(requests))


def run_contenders(rows, args, context, contenders, module_baseline):
    """Each contender's Dovecot in turn, with the auth cache off and on."""
    for cache in args.cache:
        for name in contenders:
            # no Dovecot (ceiling), or only a userdb (legacy)
            if name == "ceiling" or (name == "legacy" and context["cost"] != args.costs[0]):
                continue
            root = os.path.join(context["work"], "%s-%s-%d" % (
                context["db"], context["cost"], context["round"]))
            os.makedirs(root, exist_ok=True)
            install_auth_modules(module_baseline if name.startswith("module@") else None)
            dovecot = start_dovecot(root, name, context["server"], context["db"],
                                    context["config"], cache, context["counter"])
            try:
                if context["round"] == 1 and not cache and context["cost"] == args.costs[0]:
                    run_side_tests(rows, args, context, name, dovecot)
                run_timed_tests(rows, args, context, name, cache, dovecot)
            finally:
                dovecot.stop()


def load_size(server, work, accounts, args):
    """The scale data for one size and what the runs on it take."""
    db = "bench_%d" % accounts
    started = time.monotonic()
    scale.load(server, db, accounts)
    if "legacy" in args.contenders:
        restore_temporary_hosted(server, db)
    print("# %d accounts loaded in %.0f s" % (accounts, time.monotonic() - started),
          flush=True)
    config = fixtures.write_config(os.path.join(work, db + ".conf"), server, db,
                                   dummy_pbkdf2_iterations="1000",
                                   verify_cache_size=None if args.verify_cache else "0")
    # the baseline's: only keys every release since the views knows
    baseline_config = args.ceiling_baseline and fixtures.write_config(
        os.path.join(work, db + "-baseline.conf"), server, db, verify_cache_file=None)
    sample = random.Random(accounts).sample(range(1, accounts + 1), min(accounts, 5000))
    users = [scale.addresses(n)[kind] for n in sample
             for kind in ("canonical", "alias", "detail")]
    return dict(db=db, accounts=accounts, config=config, baseline_config=baseline_config,
                sample=sample, users=users)


def run(args):
    install_auth_modules()
    work = tempfile.mkdtemp(prefix="mailroute-bench-")
    os.chmod(work, 0o755)
    # everything built before the server starts: a failed build leaves none
    counter = build_pbkdf2_counter(work)
    subprocess.run(["make", "-C", BUILD_DIR, "bench/bench-lookup"], check=True,
                   capture_output=True)
    baseline = args.ceiling_baseline and os.path.join(
        build_at(args.ceiling_baseline, None, work), "bench-lookup")
    contenders, module_baseline = args.contenders, None
    if args.module_baseline:
        # the baseline's modules and this tree's in turn (as the ceilings):
        # Dovecot loads modules from its moduledir alone
        module_baseline = build_at(args.module_baseline, args.module_baseline_patch, work)
        contenders = [c for name in args.contenders for c in
                      (["module@" + args.module_baseline, name] if name == "module"
                       else [name])]
    server = MariaDB(os.path.join(work, "mariadb"), buffer_pool=args.buffer_pool)
    server.start()
    rows = []
    try:
        for accounts in args.sizes:
            context = load_size(server, work, accounts, args)
            context.update(server=server, work=work, counter=counter, baseline=baseline)
            for cost in args.costs:
                # scale accounts n have user_id n; each logs in with a hash of
                # its own, so no cache serves one account from another's entry
                own = context["sample"][:args.real_cost_accounts if cost == "real"
                                        else args.low_cost_accounts]
                set_own_hashes(server, context["db"], own,
                               real_cost_hash if cost == "real" else low_cost_hash)
                context.update(cost=cost, logins=[scale.addresses(n)["canonical"]
                                                  for n in own])
                # every contender once per round, in turn: drift in the
                # machine shows as a difference between rounds
                for round_no in range(1, args.rounds + 1):
                    context["round"] = round_no
                    if "ceiling" in args.contenders and "userdb" in args.tests \
                            and cost == args.costs[0]:
                        run_ceilings(rows, args, context)
                    run_contenders(rows, args, context, contenders, module_baseline)
            server.query("DROP DATABASE %s" % context["db"])
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def write_csv(rows, results_dir):
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, "auth-load-%s.csv" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("# wrote " + path)
    return path


def plot(rows, png):
    """Requests per second against accounts, per contender, auth cache off
    (the mean of the rounds)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, test in zip(axes, ("userdb", "login")):
        series = {}
        for row in rows:
            if row["test"] == test and row["cache"] in ("off", "-"):
                key = "%s (%s hash)" % (row["contender"], row["hash_cost"]) \
                    if test == "login" else row["contender"]
                series.setdefault(key, {}).setdefault(int(row["accounts"]), []).append(
                    float(row["per_second"]))
        for key, by_size in sorted(series.items()):
            points = sorted((size, statistics.mean(rates)) for size, rates in by_size.items())
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=key)
        ax.set_xscale("log")
        ax.set_xlabel("accounts")
        ax.set_ylabel("%s per second" % ("lookups" if test == "userdb" else "logins"))
        ax.set_title("%s, auth cache off" % test)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print("# wrote " + png)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--contenders", default="module,sql,checkpassword,legacy,ceiling",
                        help="legacy: today's user_query over temporary_hosted, userdb "
                        "only; ceiling: bench-lookup, the module's resolution without "
                        "Dovecot, userdb only")
    parser.add_argument("--ceiling-baseline", metavar="COMMIT",
                        help="also run bench-lookup built from COMMIT (its own lookup "
                        "statement) on the same data, in turn with this tree's: e.g. "
                        "b5a1bc9^, the statement before the groups of migration 0011")
    parser.add_argument("--module-baseline", metavar="COMMIT",
                        help="also run the module built from COMMIT through Dovecot on "
                        "the same data, in turn with this tree's")
    parser.add_argument("--module-baseline-patch", metavar="FILE",
                        help="applied to the module baseline's tree before it is built: "
                        "e.g. bench/baselines/c22dbdc-lookup-of-0014.patch, the lookup "
                        "statement of the migrations as they landed")
    parser.add_argument("--rounds", type=int, default=1,
                        help="every contender (and baseline) runs once per round, in "
                        "turn; the userdb iteration and RSS tests run in the first alone")
    parser.add_argument("--costs", default="low,real")
    parser.add_argument("--cache", default="off,on")
    parser.add_argument("--tests", default="userdb,login,iterate",
                        help="iterate: doveadm user '*', p50_ms = first name, p99_ms = all; "
                        "rss: auth-worker RSS in KiB after a warm-up (p50_ms) and after "
                        "--rss-requests more lookups (p99_ms)")
    parser.add_argument("--rss-requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--real-cost-accounts", type=int, default=200,
                        help="accounts given their own 1,000,000-iteration hash")
    parser.add_argument("--low-cost-accounts", type=int, default=5000,
                        help="accounts given their own %d-iteration hash" % LOW_ITERATIONS)
    parser.add_argument("--verify-cache", default="on", choices=("on", "off"),
                        help="the module's verified-credential cache (verify_cache_size)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--results", default=RESULTS_DIR)
    parser.add_argument("--buffer-pool", default="2G",
                        help="MariaDB's innodb_buffer_pool_size: production keeps the "
                        "accounts in memory")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--plot", metavar="CSV",
                        help="only draw the PNG of an earlier run's CSV")
    args = parser.parse_args()
    if args.plot:
        with open(args.plot) as f:
            plot(list(csv.DictReader(f)), args.plot[:-4] + ".png")
        return 0
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.contenders = args.contenders.split(",")
    args.tests = args.tests.split(",")
    args.verify_cache = args.verify_cache == "on"
    args.costs = args.costs.split(",")
    args.cache = [c == "on" for c in args.cache.split(",")]
    print("# " + "\t".join(ROW_FIELDS))
    rows = run(args)
    path = write_csv(rows, args.results)
    if not args.no_plot:
        plot(rows, path[:-4] + ".png")
    failed = sum(r["failed"] for r in rows)
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
