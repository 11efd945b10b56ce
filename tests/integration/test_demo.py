"""README command 1's demo, run as part of the suite: a real Dovecot with
mailroute-checkpassword, IMAP/POP3 logins, refusals, LMTP delivery."""
import os
import subprocess

DEMO = os.path.join(os.path.dirname(__file__), "..", "demo", "demo.py")


def test_demo_end_to_end():
    out = subprocess.run(["/usr/bin/python3", DEMO], capture_output=True, text=True, timeout=600)
    print(out.stdout[-4000:], out.stderr[-4000:])
    assert out.returncode == 0
    assert out.stdout.rstrip().endswith("passed, 0 failed")
    assert "landed in the canonical user's maildir               ok" in out.stdout
    assert "[AUTHENTICATIONFAILED]" in out.stdout
