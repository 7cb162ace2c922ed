"""Scale-out on PostgreSQL: two app servers (gunicorn) and two workers on one database with the
Redis cache, as the README's deployment runs them. Idempotency keys, rate limits and login
lock-outs hold across the servers, a server killed with SIGKILL under load loses nothing it
acknowledged, and a worker killed mid-task hands its task to the other through the lease."""

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis

from tests import scratch
from tests.case_factories import HUAYUAN_POINT
from tests.factories import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/3"

pytestmark = pytest.mark.skipif(
    not scratch.suite_is_postgres(), reason="scale-out runs on PostgreSQL only (DATABASE_URL)"
)

SETUP = """
from tests.factories import make_world, make_personas, make_user
from tests.case_factories import make_case_world
from tests.ops_tasks import slow_once
from fengqiao.api.tokens import issue_token
world = make_world(); cw = make_case_world(world)
make_user("lockme", "锁定"); make_user("bystander", "旁人")
print(slow_once.enqueue(%r, 120).id)
print(issue_token(cw.huayuan_clerk, actor=None).secret)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status == 200
    except OSError:
        return False


def post_case(base: str, secret: str, title: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/cases/",
        data=json.dumps(
            {
                "channel": "hotline_12345",
                "category": "construction_disturbance",
                "title": title,
                "description": f"{title}：工地夜间施工",
                "lon": HUAYUAN_POINT[0],
                "lat": HUAYUAN_POINT[1],
                "reporter_phone": "13904641234",
            }
        ).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


def track(opener, jar, base: str) -> int:
    opener.open(f"{base}/track/", timeout=30).read()  # the CSRF cookie
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = {"csrfmiddlewaretoken": token, "tracking_number": "230903-2026-999999", "phone_last4": "0000"}  # fmt: skip
    try:
        with opener.open(f"{base}/track/", urllib.parse.urlencode(form).encode(), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def login(opener, jar, base: str, username: str, password: str) -> int:
    opener.open(f"{base}/login/", timeout=30).read()  # the CSRF cookie
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    try:
        with opener.open(f"{base}/login/", urllib.parse.urlencode(form).encode(), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a successful login's 302 is the answer
        return None


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    client.flushdb()
    yield
    client.flushdb()


def test_two_servers_two_workers(tmp_path: Path, redis_db):
    """Every process starts at once (the task workers while the servers boot) and the checks run
    while the killed worker's lease runs out, so that the test stays short."""
    extra = {"REDIS_URL": REDIS_URL, "TASK_LEASE_SECONDS": "1", "PUBLIC_TRACK_RATE": "4/600"}
    procs = []
    marker = tmp_path / "marker.txt"
    with scratch.scratch_env(tmp_path, **extra) as env:
        task_id, secret = scratch.fq(env, "shell", "-c", SETUP % str(marker)).split()[-2:]
        bases = []
        workers = {}
        try:
            for n in range(2):
                port = free_port()
                command = [sys.executable, "-m", "gunicorn", "-w", "1", "--timeout", "120", "-b", f"127.0.0.1:{port}", "fengqiao.wsgi"]  # fmt: skip
                log = (tmp_path / f"web{n}.log").open("ab")
                procs.append(subprocess.Popen(command, env=env, cwd=scratch.ROOT, stdout=log, stderr=log))  # fmt: skip
                bases.append(f"http://127.0.0.1:{port}")
            for name in ("w1", "w2"):
                workers[name] = scratch.start(env, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", "--worker-id", name, log=tmp_path / f"{name}.log")  # fmt: skip
                procs.append(workers[name])

            # Two workers: the one that claimed the slow task is killed while it runs it.
            assert wait_for(lambda: marker.exists() and "start" in marker.read_text(), 120)
            query = (
                "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s"
            )
            ((status, ids),) = scratch.sql(env, query, (task_id,))
            assert status == "RUNNING"
            os.kill(workers[ids[-1]].pid, signal.SIGKILL)

            for base in bases:
                assert wait_for(lambda b=base: answers(f"{b}/health/live"), 120), "no server"
            a, b = bases

            # One Idempotency-Key, sent to both servers: one case, the same answer.
            first = post_case(a, secret, "扩展测试幂等", "scale-key-1")
            again = post_case(b, secret, "扩展测试幂等", "scale-key-1")
            assert first[0] == 201 and again[0] == 201 and again[1]["id"] == first[1]["id"]
            rows = scratch.sql(env, "SELECT count(*) FROM cases_case WHERE title = %s", ("扩展测试幂等",))  # fmt: skip
            assert rows == [(1,)]

            # The public tracking limit (4 per address) is counted across both servers.
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            statuses = [track(opener, jar, base) for base in (a, b, a, b, a, b)]
            assert 429 not in statuses[:4] and statuses[4:] == [429, 429]

            # Login lock-out (5 failures of one account) is counted across both servers: the
            # account is then locked on both, even with its password; another account is not.
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)  # fmt: skip
            failures = [login(opener, jar, base, "lockme", "wrong-password") for base in (a, b, a, b, a)]  # fmt: skip
            assert failures == [200, 200, 200, 200, 429]
            assert login(opener, jar, b, "lockme", PASSWORD) == 429
            assert login(opener, jar, a, "lockme", PASSWORD) == 429
            assert login(opener, jar, b, "bystander", PASSWORD) == 302

            # Server a killed with SIGKILL under load: every acknowledged case is stored.
            acknowledged: dict[int, str] = {}
            refused = 0

            def load() -> None:
                nonlocal refused
                for i in range(24):
                    title = f"负载事件{i}"
                    try:
                        status, body = post_case(a if i % 2 else b, secret, title, f"load-{i}")
                    except OSError:
                        refused += 1
                        continue
                    if status == 201:
                        acknowledged[body["id"]] = title

            loader = threading.Thread(target=load)
            loader.start()
            assert wait_for(lambda: len(acknowledged) >= 4)
            os.kill(procs[0].pid, signal.SIGKILL)
            loader.join(120)
            assert not loader.is_alive()
            assert refused > 0 and len(acknowledged) >= 4
            stored = dict(scratch.sql(env, "SELECT id, title FROM cases_case WHERE title LIKE %s", ("负载事件%",)))  # fmt: skip
            assert {k: stored.get(k) for k in acknowledged} == acknowledged

            # The killed worker's lease has run out meanwhile: the task goes back into the
            # queue and the other worker finishes it.
            assert "requeued" in scratch.fq(env, "recover_tasks")
            assert wait_for(lambda: scratch.sql(env, query, (task_id,))[0][0] == "SUCCESSFUL", 60)
            ((status, ids),) = scratch.sql(env, query, (task_id,))
            assert len(ids) == 2 and ids[0] != ids[1]
            assert marker.read_text().split() == ["start", "start", "done"]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(10)
