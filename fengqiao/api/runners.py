"""Who runs a request, and whether that process is still alive.

A request holding an Idempotency-Key records its process as "host boot-id pid start-time". A
retry that finds the key still running asks `alive()`: on the same host, a process that is gone,
or a pid now used by another process (different start time), or a host booted since, is dead and
the retry takes the key over at once. The owner on another host cannot be asked: its key is freed
after RUNNING_TIMEOUT as before. Within this process, requests in flight are known exactly.
"""

import os
import socket
import threading
from functools import cache

_lock = threading.Lock()
_in_flight: set[int] = set()


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc), "" when unknown."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@cache
def _host() -> tuple[str, str]:
    return socket.gethostname()[:60], _read("/proc/sys/kernel/random/boot_id")[:40]


def current() -> str:
    host, boot = _host()
    pid = os.getpid()  # not cached: a forked worker is its own process
    return f"{host} {boot or '-'} {pid} {_start_time(pid) or '-'}"


def begin(record_id: int) -> None:
    with _lock:
        _in_flight.add(record_id)


def end(record_id: int) -> None:
    with _lock:
        _in_flight.discard(record_id)


def alive(runner: str, record_id: int) -> bool:
    """False only when the owning process is known to be dead; True when it lives or is unknown."""
    parts = runner.split()
    if len(parts) != 4:
        return True
    host, boot, pid_text, started = parts
    my_host, my_boot = _host()
    if host != my_host or boot == "-" or not my_boot:
        return True  # another machine (or no /proc): only the timeout can tell
    if boot != my_boot:
        return False  # the machine was restarted since
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid() and started == (_start_time(pid) or "-"):
        with _lock:
            return record_id in _in_flight
    now_started = _start_time(pid)
    if not now_started:
        return False  # no such process
    return started == "-" or now_started == started
