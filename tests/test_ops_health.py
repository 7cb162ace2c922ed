"""Health endpoints for load balancers, and a plain 503 page while the database is away."""

import datetime as dt
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from fengqiao.web import health


def test_live_answers_without_the_database():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_database_migrations_and_queue_are_fine():
    response = Client().get("/health/ready")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert body["checks"]["task_backlog_seconds"] == 0


@pytest.mark.django_db
def test_ready_is_503_when_the_database_is_unreachable():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable"}}


@pytest.mark.django_db
def test_ready_is_503_while_a_migration_is_not_applied(monkeypatch):
    monkeypatch.setattr(health, "_migrations_done", False)
    with mock.patch.object(
        health.MigrationExecutor, "migration_plan", return_value=[("plan", False)]
    ):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 not applied"


@pytest.mark.django_db
def test_ready_is_503_when_the_oldest_due_task_waited_too_long(settings):
    settings.HEALTH_MAX_TASK_BACKLOG_SECONDS = 600
    now = timezone.now()
    row = DBTaskResult.objects.create(
        task_path="fengqiao.api.tasks.purge_idempotency_records",
        args_kwargs={"args": [], "kwargs": {}},
        status=TaskResultStatus.READY,
        run_after=get_date_max(),
    )
    # Waited five minutes: still healthy.
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=now - dt.timedelta(minutes=5))
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert 290 < response.json()["checks"]["task_backlog_seconds"] < 400
    # Waited twenty minutes: the workers are not keeping up.
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=now - dt.timedelta(minutes=20))
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert "task_backlog" in response.json()["checks"]
    # A task planned for later is not a backlog; one planned a minute ago waited a minute.
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=now + dt.timedelta(hours=1))
    assert Client().get("/health/ready").json()["checks"]["task_backlog_seconds"] == 0
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=now - dt.timedelta(minutes=1))
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert 50 < response.json()["checks"]["task_backlog_seconds"] < 200
    # A finished task is no backlog at all.
    DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.SUCCESSFUL)
    assert Client().get("/health/ready").json()["checks"]["task_backlog_seconds"] == 0


@pytest.mark.django_db
def test_database_outage_in_a_page_is_a_plain_503(personas, settings):
    """The session and user load fail first (in middleware), the view's queries next."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(personas.leader, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "服务暂时不可用" in html and "Traceback" not in html and "OperationalError" not in html


@pytest.mark.django_db
def test_database_outage_in_a_view_is_a_503_even_in_debug(personas, client_for, settings):
    settings.DEBUG = True
    client = client_for(personas.leader)
    # The connection drops while the view runs (session and user were loaded before).
    with mock.patch("fengqiao.web.views.access_for", side_effect=OperationalError("down")):
        response = client.get("/audit/")
    assert response.status_code == 503
    assert "服务暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_database_outage_outside_a_view_is_a_503_too(settings):
    """Raised in a middleware (before any view): handler500 turns it into the same page."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with mock.patch(
        "fengqiao.web.middleware.ChineseByDefaultMiddleware.__call__",
        side_effect=OperationalError("down"),
        autospec=True,
    ):
        response = client.get("/login/")
    assert response.status_code == 503
    assert "服务暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_a_500_without_traceback(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with mock.patch(
        "fengqiao.web.middleware.ChineseByDefaultMiddleware.__call__",
        side_effect=ValueError("bug"),
        autospec=True,
    ):
        response = client.get("/login/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错" in html and "Traceback" not in html
