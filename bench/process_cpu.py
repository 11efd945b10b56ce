"""Where a benchmark's requests spend their CPU: the database server, the
Dovecot instance (its master process and every process under it) and
the load client, read from /proc and getrusage around one timed run."""
import os
import resource

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _processes():
    """{pid: (parent pid, CPU ticks of it and of its children it waited
    for)} of every process now running."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        # fields after the command, which may hold spaces: state, ppid, ...
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(pid)] = (int(fields[1]), sum(int(t) for t in fields[11:15]))
    return found


def tree_seconds(processes, root):
    """CPU seconds of root and every process under it, in processes (as
    _processes() gives them); a process that ended is counted in its
    parent, which waited for it."""
    children = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in processes:
            ticks += processes[pid][1]
            todo.extend(children.get(pid, ()))
    return ticks / TICKS_PER_SECOND


def client_seconds():
    """CPU seconds of this process and its ended children (bench-lookup)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CpuMeter:
    """CPU per request by role over one run: start(), then
    per_request(requests) after it."""

    def __init__(self, server_pid, dovecot_pid=None):
        self.server_pid, self.dovecot_pid = server_pid, dovecot_pid

    def _read(self):
        processes = _processes()
        return (tree_seconds(processes, self.server_pid),
                tree_seconds(processes, self.dovecot_pid) if self.dovecot_pid else None,
                client_seconds())

    def start(self):
        self.before = self._read()
        return self

    def per_request(self, requests):
        """{server_ms, dovecot_ms, client_ms}: milliseconds of CPU per
        request ("-" for no Dovecot)."""
        after = self._read()
        result = {}
        for name, old, new in zip(("server_ms", "dovecot_ms", "client_ms"),
                                  self.before, after):
            result[name] = "-" if old is None or not requests else \
                round((new - old) * 1000 / requests, 3)
        return result
