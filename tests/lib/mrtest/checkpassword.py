"""Drives mailroute-checkpassword exactly as Dovecot 2.3 does
(db-checkpassword.c): request on fd 3, Dovecot's own checkpassword-reply
as the reply program writing to fd 4, environment as Dovecot sets it."""
import fcntl
import os
import subprocess

from .paths import CHECKPASSWORD, CHECKPASSWORD_REPLY


def tab_unescape(value):
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\x01" and i + 1 < len(value):
            out.append({"1": "\x01", "t": "\t", "r": "\r", "n": "\n"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_reply(data):
    """fd 4 as Dovecot reads it: TAB-separated key=value, \\001-escaped."""
    fields = {}
    for item in data.split("\t"):
        if item:
            key, _, value = item.partition("=")
            fields[key] = tab_unescape(value)
    return fields


class Result:
    def __init__(self, status, reply, stderr):
        self.status = status
        self.raw_reply = reply
        self.fields = parse_reply(reply)
        self.stderr = stderr

    def __repr__(self):
        return "Result(status=%d, fields=%r, stderr=%r)" % (self.status, self.fields, self.stderr)


def _pipe_above_4():
    """A pipe whose ends are not fds 3 or 4: dup2() onto the same fd is a
    no-op that keeps close-on-exec, and the child would find fd 3 closed."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5))
        os.close(fd)
    return tuple(ends)


def run(config, user, password="", userdb=False, request=None, env_extra=None,
        args=None, reply_program=CHECKPASSWORD_REPLY, binary=CHECKPASSWORD):
    if request is None:
        request = user.encode() + b"\0" + password.encode() + b"\0\0"
    req_r, req_w = _pipe_above_4()
    rep_r, rep_w = _pipe_above_4()
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "PROTO": "TCP",
        "ORIG_UID": str(os.getuid()),
        "SERVICE": "imap",
        "TCPLOCALIP": "127.0.0.1",
        "TCPREMOTEIP": "127.0.0.2",
        "AUTH_USER": user,
        "AUTH_SERVICE": "imap",
    }
    if userdb:
        env["AUTHORIZED"] = "1"
    env.update(env_extra or {})
    argv = [binary] + (args if args is not None else ["-c", config]) + \
        ([reply_program] if reply_program else [])
    def on_fds_3_and_4():
        # as Dovecot's child does with dup2(); dup2'd fds are inheritable
        os.dup2(req_r, 3)
        os.dup2(rep_w, 4)

    proc = subprocess.Popen(argv, env=env, preexec_fn=on_fds_3_and_4, close_fds=False,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(req_r)
    os.close(rep_w)
    try:
        os.write(req_w, request)
    except BrokenPipeError:
        pass  # it exited without reading (usage errors); the status tells
    os.close(req_w)
    _, stderr = proc.communicate(timeout=120)
    reply = b""
    while True:
        chunk = os.read(rep_r, 65536)
        if not chunk:
            break
        reply += chunk
    os.close(rep_r)
    return Result(proc.returncode, reply.decode("utf-8"), stderr.decode("utf-8", "replace"))
