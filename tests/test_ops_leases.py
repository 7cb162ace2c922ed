"""Task leases: a task whose worker died goes back into the queue (fengqiao.ops.leases)."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from fengqiao.ops import leases
from fengqiao.ops.models import TaskLease
from tests import scratch
from tests.ops_tasks import slow_once


def running_task(worker_ids: list[str], started_ago: timedelta) -> DBTaskResult:
    result = slow_once.enqueue("/nonexistent", 0)
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=worker_ids,
    )
    return DBTaskResult.objects.get(id=result.id)


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_LEASE_SECONDS = 60
    settings.TASK_MAX_ATTEMPTS = 3


def test_expired_lease_puts_the_task_back(db, db_tasks):
    task = running_task(["a"], timedelta(minutes=5))
    leases.take(str(task.id), "a")
    TaskLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    report = leases.recover_expired()
    assert report.requeued == [str(task.id)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert not TaskLease.objects.exists()
    assert DBTaskResult.objects.ready().filter(id=task.id).exists()


def test_live_lease_and_recent_claim_are_left_alone(db, db_tasks):
    leased = running_task(["a"], timedelta(minutes=5))
    leases.take(str(leased.id), "a")
    just_claimed = running_task(["b"], timedelta(seconds=5))  # lease not taken yet
    assert leases.recover_expired().requeued == []
    assert DBTaskResult.objects.running().count() == 2
    assert just_claimed.status == TaskResultStatus.RUNNING


def test_claimed_without_lease_for_longer_than_a_lease_is_recovered(db, db_tasks):
    task = running_task(["a"], timedelta(minutes=2))
    assert leases.recover_expired().requeued == [str(task.id)]


def test_a_task_that_keeps_killing_its_worker_fails_after_the_last_attempt(db, db_tasks):
    task = running_task(["a", "b", "c"], timedelta(minutes=5))
    report = leases.recover_expired()
    assert report.failed == [str(task.id)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "fengqiao.ops.leases.LeaseExpired"


def test_signals_take_renew_and_drop_the_lease(db, db_tasks, settings):
    task = running_task(["w1"], timedelta(0))
    result = task.task_result
    leases.on_task_started(DatabaseBackend, task_result=result)
    lease = TaskLease.objects.get(task_id=task.id)
    assert lease.worker_id == "w1"
    beat = leases._running[str(task.id)]
    TaskLease.objects.update(expires_at=timezone.now())
    assert beat.renew()
    assert TaskLease.objects.get().expires_at > timezone.now() + timedelta(seconds=50)
    leases.on_task_finished(DatabaseBackend, task_result=result)
    assert not TaskLease.objects.exists()
    assert str(task.id) not in leases._running


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _status(env, task_id: str) -> str:
    rows = scratch.sql(
        env, "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", (task_id,)
    )
    return rows[0][0]


def test_worker_killed_mid_task_its_task_runs_again(tmp_path: Path):
    """A real worker killed with SIGKILL: its lease stops being renewed, the task is put back,
    a second worker runs it to the end (on the suite's kind of database)."""
    marker = tmp_path / "marker.txt"
    log = tmp_path / "worker.log"
    worker_args = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    with scratch.scratch_env(tmp_path, TASK_LEASE_SECONDS="1") as env:
        out = scratch.fq(
            env,
            "shell",
            "-c",
            f"from tests.ops_tasks import slow_once; print(slow_once.enqueue({str(marker)!r}, 120).id)",
        )
        task_id = out.strip().splitlines()[-1]
        task_key = task_id.replace("-", "") if env["DATABASE_URL"].startswith("sqlite") else task_id
        first = scratch.start(env, *worker_args, "--worker-id", "first", log=log)
        try:
            assert _wait(lambda: marker.exists() and "start" in marker.read_text()), log.read_text()
            # Alive: the heartbeat keeps the lease fresh well past its 1 s length.
            time.sleep(2.5)
            assert "requeued" not in scratch.fq(env, "recover_tasks")
            assert _status(env, task_key) == "RUNNING"
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        assert _status(env, task_key) == "RUNNING"
        # Dead: the lease expires and the task goes back into the queue.
        assert _wait(lambda: "requeued" in scratch.fq(env, "recover_tasks"), 30)
        assert _status(env, task_key) == "READY"
        second = scratch.start(env, *worker_args, "--batch", "--worker-id", "second", log=log)
        assert second.wait(60) == 0, log.read_text()
        assert _status(env, task_key) == "SUCCESSFUL"
        assert marker.read_text().split() == ["start", "start", "done"]
        assert scratch.sql(env, "SELECT count(*) FROM ops_tasklease") == [(0,)]
