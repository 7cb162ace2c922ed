"""An Idempotency-Key whose request died is taken over at once by the retry when its process is
known to be dead, instead of answering 409 for ten minutes (fengqiao.api.runners)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from fengqiao.api import runners
from fengqiao.api.idempotency import request_hash
from fengqiao.api.models import ApiToken, IdempotencyRecord
from fengqiao.api.tokens import issue_token

pytestmark = pytest.mark.django_db
TOKENS = "/api/v1/tokens/"
BODY_HASH = request_hash(
    RequestFactory().post(TOKENS, {"name": "x"}, content_type="application/json"),
    b'{"name": "x"}',
)

needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")


@pytest.fixture
def issued(personas):
    return issue_token(personas.security, actor=None)


def orphan(issued, runner: str, key: str = "orphan") -> IdempotencyRecord:
    # A record a request left "running" a moment ago (well inside the ten-minute timeout).
    return IdempotencyRecord.objects.create(
        owner=f"token:{issued.token.pk}",
        user=issued.token.user,
        key=key,
        method="POST",
        path=TOKENS,
        body_hash=BODY_HASH,
        state=IdempotencyRecord.State.RUNNING,
        created_at=timezone.now() - timedelta(seconds=5),
        expires_at=timezone.now() + timedelta(hours=23),
        runner=runner,
    )


def retry(issued, key: str = "orphan"):
    client = Client(HTTP_AUTHORIZATION=f"Token {issued.secret}")
    return client.post(
        TOKENS, {"name": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def runner_of(process: subprocess.Popen) -> str:
    host, boot = runners.current().split()[:2]
    return f"{host} {boot} {process.pid} {runners._start_time(process.pid)}"


def new_tokens(issued) -> int:
    return ApiToken.objects.filter(user=issued.token.user).exclude(pk=issued.token.pk).count()


@needs_proc
def test_a_dead_owner_is_taken_over_at_once(issued):
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    runner = runner_of(process)
    process.wait()  # the process that ran the first request is gone (as after kill -9)
    orphan(issued, runner)
    response = retry(issued)
    assert response.status_code == 201
    assert new_tokens(issued) == 1


@needs_proc
def test_a_live_owner_keeps_the_key(issued):
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        orphan(issued, runner_of(process))
        response = retry(issued)
        assert response.status_code == 409
        assert response["Retry-After"] == "1"
        assert new_tokens(issued) == 0
    finally:
        process.kill()
        process.wait()
    assert retry(issued).status_code == 201


@needs_proc
def test_a_reused_pid_is_not_mistaken_for_the_owner(issued):
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        host, boot, pid, _started = runner_of(process).split()
        orphan(issued, f"{host} {boot} {pid} 1")  # same pid, another start time
        assert retry(issued).status_code == 201
    finally:
        process.kill()
        process.wait()


@needs_proc
def test_this_process_without_the_request_in_flight_is_dead(issued):
    orphan(issued, runners.current())
    assert retry(issued).status_code == 201


@needs_proc
def test_a_host_restarted_since_is_dead(issued):
    host, _boot, pid, started = runners.current().split()
    orphan(issued, f"{host} 00000000-0000-0000-0000-000000000000 {pid} {started}")
    assert retry(issued).status_code == 201


def test_an_owner_on_another_host_without_heartbeat_waits_for_the_timeout(issued, settings):
    settings.IDEMPOTENCY_HEARTBEAT_SECONDS = 0
    record = orphan(issued, "other-host 1234 99 100")
    assert retry(issued).status_code == 409
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert retry(issued).status_code == 201


def test_the_claiming_request_records_its_process(issued, monkeypatch):
    from fengqiao.api import views

    seen = {}
    real = views.issue_token

    def look(*args, **kwargs):
        seen["runner"] = IdempotencyRecord.objects.get(key="mine").runner
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "issue_token", look)
    assert retry(issued, key="mine").status_code == 201
    assert seen["runner"] == runners.current()


@pytest.fixture
def heartbeat(monkeypatch):
    """A heartbeat every 5 s (SQLite has none: one host), without starting the thread."""
    monkeypatch.setattr(runners, "heartbeat_interval", lambda: 5.0)
    monkeypatch.setattr(runners, "_ensure_heartbeat", lambda: None)


def test_an_owner_on_another_host_is_dead_once_its_heartbeat_stops(issued, heartbeat):
    record = orphan(issued, "other-host 1234 99 100")
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(minutes=2), heartbeat_at=timezone.now()
    )
    assert retry(issued).status_code == 409  # it still beats, though it started long ago
    # Three beats missed (15 s), far less than the ten-minute timeout: taken over.
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=16)
    )
    assert retry(issued).status_code == 201
    assert new_tokens(issued) == 1


def test_the_heartbeat_renews_the_records_in_flight_here(issued, heartbeat):
    mine = orphan(issued, runners.current(), key="mine")
    other = orphan(issued, "other-host 1234 99 100", key="other")
    IdempotencyRecord.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=1))
    runners.begin(mine.pk)
    try:
        assert runners.beat() == 1
    finally:
        runners.end(mine.pk)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert timezone.now() - mine.heartbeat_at < timedelta(seconds=5)
    assert timezone.now() - other.heartbeat_at > timedelta(seconds=50)
    assert runners.beat() == 0  # nothing in flight: no query, no connection


def test_a_request_whose_key_was_taken_over_commits_nothing(issued, monkeypatch):
    """The first request was thought dead (its heartbeat late) and a retry took its key: when
    it finishes after all, its changes roll back and it answers 409, so the work is done once."""
    from fengqiao.api import views

    real = views.issue_token

    def taken_over(*args, **kwargs):
        issued_now = real(*args, **kwargs)
        IdempotencyRecord.objects.filter(key="late").delete()  # the retry's takeover
        return issued_now

    monkeypatch.setattr(views, "issue_token", taken_over)
    response = retry(issued, key="late")
    assert response.status_code == 409 and response["Retry-After"] == "1"
    assert new_tokens(issued) == 0
