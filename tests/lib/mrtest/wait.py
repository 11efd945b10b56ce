"""Waiting for what servers do asynchronously: deliveries, log lines."""
import time


def wait_for(check, timeout=30):
    """check() until it returns something true (returned), or its last
    answer after timeout seconds: deliveries land asynchronously."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()
