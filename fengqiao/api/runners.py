"""Who runs a request, and whether that process is still alive.

A request holding an Idempotency-Key records its process as "host boot-id pid start-time". A
retry that finds the key still running asks `alive()`: on the same host, a process that is gone,
or a pid now used by another process (different start time), or a host booted since, is dead and
the retry takes the key over at once. The owner on another host cannot be asked: it proves it
lives by a heartbeat instead. While a process has requests in flight, a thread of it renews
their records' `heartbeat_at` every IDEMPOTENCY_HEARTBEAT_SECONDS (on PostgreSQL, the database
several hosts share; SQLite is one host's); an owner on another host that missed three beats is
dead (like the leases of background tasks, fengqiao.ops.leases). Without a heartbeat the key is
freed after RUNNING_TIMEOUT as before. Within this process, requests in flight are known exactly.
"""

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

log = logging.getLogger(__name__)
# Beats an owner may miss before it counts as dead.
MISSED_BEATS = 3

_lock = threading.Lock()
_in_flight: set[int] = set()
_heartbeat: "Heartbeat | None" = None


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


def heartbeat_interval() -> float:
    """Seconds between beats; 0 when there is no heartbeat (disabled, or SQLite)."""
    if connection.vendor == "sqlite":
        return 0.0
    return max(float(settings.IDEMPOTENCY_HEARTBEAT_SECONDS), 0.0)


def beat() -> int:
    """Renew the heartbeat of this process's requests in flight; returns how many records."""
    from fengqiao.api.models import IdempotencyRecord

    with _lock:
        ids = list(_in_flight)
    if not ids:
        return 0
    return IdempotencyRecord.objects.filter(
        pk__in=ids, state=IdempotencyRecord.State.RUNNING
    ).update(heartbeat_at=timezone.now())


class Heartbeat(threading.Thread):
    """Beats while the process lives (a daemon thread, its own database connection)."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="idempotency-heartbeat", daemon=True)
        self.interval = interval
        self.pid = os.getpid()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                beat()
            except Exception:  # a short database outage: the next beat tries again
                log.exception("could not renew the idempotency heartbeat")
            finally:
                # Connected only to beat: no idle connection per process between requests.
                connections.close_all()


def _ensure_heartbeat() -> None:
    global _heartbeat
    interval = heartbeat_interval()
    if not interval:
        return
    with _lock:
        # A forked process (gunicorn's workers) does not inherit its parent's thread.
        if _heartbeat is None or _heartbeat.pid != os.getpid() or not _heartbeat.is_alive():
            _heartbeat = Heartbeat(interval)
            _heartbeat.start()


def begin(record_id: int) -> None:
    with _lock:
        _in_flight.add(record_id)
    _ensure_heartbeat()


def end(record_id: int) -> None:
    with _lock:
        _in_flight.discard(record_id)


def beating(last_beat: datetime | None) -> bool:
    """Whether an owner whose last heartbeat (or claim) was at `last_beat` still beats."""
    interval = heartbeat_interval()
    if not interval or last_beat is None:
        return True  # no heartbeat: only the timeout can tell
    return last_beat > timezone.now() - timedelta(seconds=interval * MISSED_BEATS)


def alive(runner: str, record_id: int, last_beat: datetime | None = None) -> bool:
    """False only when the owning process is known to be dead; True when it lives or is unknown.
    `last_beat`: the record's heartbeat (or its claim time), for an owner on another host."""
    parts = runner.split()
    if len(parts) != 4:
        return beating(last_beat)
    host, boot, pid_text, started = parts
    my_host, my_boot = _host()
    if host != my_host or boot == "-" or not my_boot:
        return beating(last_beat)  # another machine (or no /proc): its heartbeat tells
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
