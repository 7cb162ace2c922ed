"""The Redis-backed task backend (scale-out): tasks enqueue into Redis and an RQ worker runs them."""

import pytest
import redis
from django.conf import settings as django_settings

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def rq_backend(settings):
    if not _redis_up():
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (.ci/run starts it)")
    settings.RQ_QUEUES = {"default": {"URL": REDIS_TEST_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    conn = redis.Redis.from_url(REDIS_TEST_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    settings.TASKS = django_settings.TASKS


def test_task_runs_through_redis(db, rq_backend):
    import django_rq
    from django_tasks import TaskResultStatus
    from django_tasks_rq import Job
    from rq import SimpleWorker

    from fengqiao.cases.tasks import sweep_deadlines_task

    result = sweep_deadlines_task.enqueue()
    assert result.status == TaskResultStatus.READY
    assert rq_backend.keys("rq:job:*"), "the job is stored in Redis, not in the database"

    queue = django_rq.get_queue("default", job_class=Job)
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    worker.work(burst=True)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"overdue": 0, "yellow": 0, "red": 0, "near": 0}
