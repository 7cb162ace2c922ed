"""Leases of running background tasks, so that a task whose worker died runs again.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a
worker killed mid-task (OOM, kill -9, power loss) leaves it RUNNING forever (django-tasks-db
0.13 has no recovery of its own). Here, through the backend's public signals and model:

* when a worker starts a task (`task_started`) it takes a lease (TaskLease, TASK_LEASE_SECONDS)
  and a heartbeat thread renews it every third of that while the task runs; `task_finished`
  stops the heartbeat and drops the lease;
* `recover_expired()` (the periodic task `recover_expired_tasks`, or `fengqiao recover_tasks`)
  puts every RUNNING task whose lease expired back into the queue (READY). A task that was
  claimed but whose worker died before taking the lease counts as expired once it started
  longer than a lease ago. After TASK_MAX_ATTEMPTS claims it is marked FAILED instead
  (`LeaseExpired`), so a task that kills its worker cannot loop forever.

Delivery is therefore at least once: every task handler must be idempotent.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from fengqiao.ops.models import TaskLease

log = logging.getLogger(__name__)


class LeaseExpired(Exception):
    """The task's worker stopped renewing its lease too many times (it died running it)."""


def lease_duration() -> timedelta:
    return timedelta(seconds=float(settings.TASK_LEASE_SECONDS))


def max_attempts() -> int:
    return int(settings.TASK_MAX_ATTEMPTS)


class Heartbeat(threading.Thread):
    """Renews one task's lease until stopped. Runs in the worker process, on its own
    database connection (closed when it stops)."""

    def __init__(self, task_id: str, worker_id: str) -> None:
        super().__init__(name=f"lease-{task_id}", daemon=True)
        self.task_id = task_id
        self.worker_id = worker_id
        self.stopped = threading.Event()
        self.lost = False

    def renew(self) -> bool:
        now = timezone.now()
        return bool(
            TaskLease.objects.filter(task_id=self.task_id, worker_id=self.worker_id).update(
                renewed_at=now, expires_at=now + lease_duration()
            )
        )

    def run(self) -> None:
        interval = max(float(settings.TASK_LEASE_SECONDS) / 3, 0.05)
        try:
            while not self.stopped.wait(interval):
                try:
                    if not self.renew() and not self.lost:
                        # The task was put back into the queue (this worker was thought dead):
                        # it may run twice, which idempotent handlers allow.
                        self.lost = True
                        log.warning(
                            "lease of task %s lost by worker %s", self.task_id, self.worker_id
                        )
                except Exception:
                    # A short database outage: keep trying until the lease would expire.
                    log.exception("could not renew the lease of task %s", self.task_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=float(settings.TASK_LEASE_SECONDS))


_running: dict[str, Heartbeat] = {}
_running_lock = threading.Lock()


def _is_database_task(sender: Any) -> bool:
    # The worker sends the backend itself as sender on start, its class on a failure.
    backend = sender if isinstance(sender, type) else type(sender)
    return issubclass(backend, DatabaseBackend)


def take(task_id: str, worker_id: str) -> TaskLease:
    now = timezone.now()
    lease, _created = TaskLease.objects.update_or_create(
        task_id=task_id,
        defaults={
            "worker_id": worker_id,
            "taken_at": now,
            "renewed_at": now,
            "expires_at": now + lease_duration(),
        },
    )
    return lease


def on_task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if not _is_database_task(sender) or not task_result.worker_ids:
        return
    task_id, worker_id = str(task_result.id), str(task_result.worker_ids[-1])
    take(task_id, worker_id)
    beat = Heartbeat(task_id, worker_id)
    with _running_lock:
        _running[task_id] = beat
    beat.start()


def on_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if not _is_database_task(sender):
        return
    task_id = str(task_result.id)
    with _running_lock:
        beat = _running.pop(task_id, None)
    if beat is not None:
        beat.stop()
        TaskLease.objects.filter(task_id=task_id, worker_id=beat.worker_id).delete()


@dataclass
class Recovery:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"requeued": self.requeued, "failed": self.failed}


def expired_task_ids(now: datetime) -> set[str]:
    """RUNNING tasks whose lease expired, or that have none and started over a lease ago."""
    expired = TaskLease.objects.filter(expires_at__lt=now).values_list("task_id", flat=True)
    orphans = (
        DBTaskResult.objects.running()
        .filter(started_at__lt=now - lease_duration())
        .exclude(id__in=TaskLease.objects.values("task_id"))
        .values_list("id", flat=True)
    )
    return {str(pk) for pk in expired} | {str(pk) for pk in orphans}


def _recover_one(task_id: str, now: datetime, report: Recovery) -> None:
    with transaction.atomic():
        task = (
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(id=task_id, status=TaskResultStatus.RUNNING)
            .first()
        )
        lease = TaskLease.objects.select_for_update().filter(task_id=task_id).first()
        if task is None:
            # Finished meanwhile (or locked by someone recovering it): a stale lease goes.
            if lease is not None and lease.expires_at < now:
                lease.delete()
            return
        if lease is not None and lease.expires_at >= now:
            return  # renewed meanwhile
        if lease is None and task.started_at and task.started_at >= now - lease_duration():
            return
        if lease is not None:
            lease.delete()
        if len(task.worker_ids) >= max_attempts():
            task.set_failed(
                LeaseExpired(
                    f"worker lost {len(task.worker_ids)} times (last: {task.worker_ids[-1]})"
                )
            )
            report.failed.append(task_id)
            log.error("task %s (%s) failed: its workers died", task_id, task.task_path)
        else:
            DBTaskResult.objects.filter(id=task_id).update(status=TaskResultStatus.READY)
            report.requeued.append(task_id)
            log.warning("task %s (%s) put back into the queue", task_id, task.task_path)


def recover_expired(now: datetime | None = None) -> Recovery:
    """Put RUNNING tasks whose worker died back into the queue (or fail them after
    TASK_MAX_ATTEMPTS claims). Safe to run from several processes at once."""
    now = now or timezone.now()
    report = Recovery()
    for task_id in sorted(expired_task_ids(now)):
        _recover_one(task_id, now, report)
    return report
