"""Two real connections: a duplicate sent while the first request runs gets 409 (the lock row is
committed before the view runs), and the retry after it gets the first answer."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from fengqiao.api import views
from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import issue_token
from tests.factories import make_personas, make_world

# serialized_rollback like the other concurrency tests: its flush then leaves the tables empty for
# them (a plain transactional flush re-creates content types their set-up would clash with).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def send(url: str, secret: str, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"name": "field app"}).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_duplicate_over_a_second_connection_is_409(live_server, monkeypatch):
    personas = make_personas(make_world())
    secret = issue_token(personas.security, actor=None).secret
    url = f"{live_server.url}/api/v1/tokens/"
    running, finish = threading.Event(), threading.Event()
    real_issue = views.issue_token

    def held_issue(*args, **kwargs):
        running.set()
        assert finish.wait(30)
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(views, "issue_token", held_issue)
    results = {}
    first = threading.Thread(target=lambda: results.update(first=send(url, secret, "live-1")))
    first.start()
    try:
        assert running.wait(30)
        status, headers, body = send(url, secret, "live-1")
        assert status == 409
        assert body["errors"][0]["code"] == "idempotency_key_in_use"
    finally:
        finish.set()
        first.join(30)
    status, headers, body = results["first"]
    assert status == 201 and body["secret"]
    status, headers, replay = send(url, secret, "live-1")
    assert status == 201 and headers["Idempotent-Replayed"] == "true"
    assert replay == {**body, "secret": None}
    assert ApiToken.objects.filter(user=personas.security, name="field app").count() == 1
