"""Django hash verification: mailroute against the references, same
machine, same run. Hashes are made by Django (Debian's python3-django);
mailroute and OpenSSL/libsodium are timed in one process (bench-hash), then
Python's hashlib and argon2-cffi here. Ratios > 1 mean mailroute is slower.
"""
import hashlib
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))

from mrtest.fixtures import django_hashers  # noqa: E402
from mrtest.paths import BUILD_DIR  # noqa: E402

PASSWORD = "correct horse battery staple"
ROUNDS = 7


def median_seconds(fn):
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_hashes():
    hashers = django_hashers()
    pbkdf2 = hashers.get_hasher("pbkdf2_sha256")
    argon2 = hashers.get_hasher("argon2")
    return [
        ("pbkdf2_sha256 260,000", pbkdf2.encode(PASSWORD, pbkdf2.salt(), 260000)),
        ("pbkdf2_sha256 1,000,000", pbkdf2.encode(PASSWORD, pbkdf2.salt(), 1000000)),
        ("argon2id m=102400,t=2,p=8", argon2.encode(PASSWORD, argon2.salt())),
    ]


def python_reference(name, stored):
    if stored.startswith("pbkdf2_sha256$"):
        _, iterations, salt, _ = stored.split("$")
        return "hashlib", median_seconds(lambda: hashlib.pbkdf2_hmac(
            "sha256", PASSWORD.encode(), salt.encode(), int(iterations), 32))
    import argon2
    hasher = argon2.PasswordHasher()
    return "argon2-cffi", median_seconds(lambda: hasher.verify(stored[len("argon2"):], PASSWORD))


def main():
    cases = make_hashes()
    args = [os.path.join(BUILD_DIR, "bench", "bench-hash"), PASSWORD]
    for name, stored in cases:
        args += [name, stored]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    ours = {}
    print("| case | mailroute | reference (same process) | ratio | Python reference | ratio |")
    print("|---|---|---|---|---|---|")
    for line in out.splitlines()[1:]:
        name = line[:28].strip()
        fields = line[28:].split()
        ours_ms, ref_ms, ratio = float(fields[0]), float(fields[2]), float(fields[4])
        ours[name] = ours_ms
        if name == "unknown user vs mismatch":
            print("| unknown user (decoy PBKDF2, default cost) | %.1f ms | wrong password, "
                  "1,000,000 %.1f ms | %.3f | | |" % (ours_ms, ref_ms, ratio))
            continue
        if name == "repeat login, verify cache":
            print("| repeat login, verified-credential cache | %.4f ms | full verification "
                  "%.1f ms | %.2g | | |" % (ours_ms, ref_ms, ratio))
            continue
        stored = dict(cases)[name]
        ref_name = "OpenSSL PKCS5_PBKDF2_HMAC" if stored.startswith("pbkdf2") else \
            "libsodium crypto_pwhash_str_verify"
        py_name, py_seconds = python_reference(name, stored)
        print("| %s | %.1f ms | %s %.1f ms | %.3f | %s %.1f ms | %.3f |" % (
            name, ours_ms, ref_name, ref_ms, ratio, py_name, py_seconds * 1e3,
            ours_ms / (py_seconds * 1e3)))
    print("\n(median of %d verifications each; %d CPUs; %s)" % (
        ROUNDS, os.cpu_count(), subprocess.run(["uname", "-m"], capture_output=True,
                                               text=True).stdout.strip()))


if __name__ == "__main__":
    main()
