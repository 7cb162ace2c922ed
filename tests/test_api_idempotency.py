"""Idempotency-Key: a retried write returns the first answer and creates nothing new."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.accounts.roles import Role
from fengqiao.api import views
from fengqiao.api.idempotency import purge_expired, request_hash
from fengqiao.api.models import ApiToken, IdempotencyRecord
from fengqiao.api.tasks import purge_idempotency_records
from fengqiao.api.tokens import issue_token
from tests.factories import assign, make_user

TOKENS = "/api/v1/tokens/"


@pytest.fixture
def admin_token(personas):
    return issue_token(personas.security, actor=None)


@pytest.fixture
def client(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token.secret}")


def post(client, data, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(TOKENS, data, content_type="application/json", **extra)


def new_tokens(personas) -> int:
    return ApiToken.objects.filter(user=personas.security).count() - 1  # less the client's own


def test_retry_returns_the_first_answer_and_creates_nothing(client, personas):
    first = post(client, {"name": "field app"}, key="3f2c9a1e-retry-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert first.json()["secret"].startswith("fq_")
    again = post(client, {"name": "field app"}, key="3f2c9a1e-retry-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    # The same answer — but the secret is shown only once.
    assert again.json() == {**first.json(), "secret": None}
    assert new_tokens(personas) == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == "done" and record.status_code == 201
    assert first.json()["secret"].encode() not in bytes(record.body)


def test_without_a_key_each_post_creates(client, personas):
    post(client, {"name": "a"})
    post(client, {"name": "a"})
    assert new_tokens(personas) == 2
    assert not IdempotencyRecord.objects.exists()


def test_same_key_other_body_is_422(client, personas):
    post(client, {"name": "a"}, key="k-1")
    resp = post(client, {"name": "b"}, key="k-1")
    assert resp.status_code == 422
    (err,) = resp.json()["errors"]
    assert err["code"] == "idempotency_key_reused" and err["field"] == "Idempotency-Key"
    # Another path with the same key is another request, too.
    resp = client.delete(f"{TOKENS}1/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert resp.status_code == 422
    assert new_tokens(personas) == 1


def test_duplicate_while_the_first_runs_is_409(client, personas, monkeypatch):
    seen = {}
    real_issue = views.issue_token

    def issue_and_meanwhile_retry(*args, **kwargs):
        # The field app gives up waiting and sends the same request again.
        seen["retry"] = post(client, {"name": "slow"}, key="slow-1")
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(views, "issue_token", issue_and_meanwhile_retry)
    first = post(client, {"name": "slow"}, key="slow-1")
    assert first.status_code == 201
    retry = seen["retry"]
    assert retry.status_code == 409
    assert retry["Retry-After"] == "1"
    assert retry.json()["errors"][0]["code"] == "idempotency_key_in_use"
    assert new_tokens(personas) == 1
    monkeypatch.setattr(views, "issue_token", real_issue)
    assert post(client, {"name": "slow"}, key="slow-1")["Idempotent-Replayed"] == "true"


def test_server_errors_are_not_stored(admin_token, personas, monkeypatch):
    client = Client(HTTP_AUTHORIZATION=f"Token {admin_token.secret}", raise_request_exception=False)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    real_issue = views.issue_token
    monkeypatch.setattr(views, "issue_token", broken)
    assert post(client, {"name": "x"}, key="k-500").status_code == 500
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.setattr(views, "issue_token", real_issue)
    resp = post(client, {"name": "x"}, key="k-500")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp
    assert new_tokens(personas) == 1


def test_client_errors_are_stored_but_not_credential_errors(client, client_for, personas):
    bad = post(client, {"name": "x" * 101}, key="k-400")
    assert bad.status_code == 400
    again = post(client, {"name": "x" * 101}, key="k-400")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert again.json() == bad.json()
    # A refusal depends on who asks, not on the request: not stored, a retry runs again.
    clerk = client_for(personas.station_clerk)
    resp = post(clerk, {"name": "x"}, key="k-403")
    assert resp.status_code == 403
    assert not IdempotencyRecord.objects.filter(key="k-403").exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "caf\u00e9"])
def test_invalid_keys_are_400(client, personas, key):
    resp = post(client, {"name": "x"}, key=key)
    assert resp.status_code == 400
    (err,) = resp.json()["errors"]
    assert err["code"] == "invalid_idempotency_key" and err["field"] == "Idempotency-Key"
    assert new_tokens(personas) == 0


def test_longest_key_is_accepted(client, personas):
    assert post(client, {"name": "x"}, key="k" * 255).status_code == 201


def test_keys_belong_to_their_caller(world, client, personas):
    other_admin = make_user("security_two")
    assign(other_admin, Role.SECURITY_OFFICER, region=world.district)
    other = Client(HTTP_AUTHORIZATION=f"Token {issue_token(other_admin, actor=None).secret}")
    assert post(client, {"name": "x"}, key="shared").status_code == 201
    resp = post(other, {"name": "x"}, key="shared")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp
    assert ApiToken.objects.filter(user=other_admin, name="x").count() == 1


def test_session_callers_get_idempotency_too(client_for, personas):
    c = client_for(personas.security)
    first = post(c, {"name": "web"}, key="web-1")
    again = post(c, {"name": "web"}, key="web-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=personas.security, name="web").count() == 1


def test_records_expire_after_a_day(client, personas):
    post(client, {"name": "x"}, key="old")
    record = IdempotencyRecord.objects.get()
    assert timedelta(hours=23) < record.expires_at - record.created_at <= timedelta(hours=24)
    assert purge_expired() == 0
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # An expired key is free again, even before the purge ran.
    resp = post(client, {"name": "x"}, key="old")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp
    assert new_tokens(personas) == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_idempotency_records.call() == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_request_that_died_running_frees_its_key(client, personas, admin_token):
    IdempotencyRecord.objects.create(
        owner=f"token:{admin_token.token.pk}",
        user=personas.security,
        key="orphan",
        method="POST",
        path=TOKENS,
        body_hash="0" * 64,
        state=IdempotencyRecord.State.RUNNING,
        created_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() + timedelta(hours=23),
    )
    assert post(client, {"name": "x"}, key="orphan").status_code == 201
    assert new_tokens(personas) == 1


def test_unauthenticated_writes_with_a_key_are_refused_and_not_recorded(db):
    resp = Client().post(
        TOKENS, {"name": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="anon"
    )
    assert resp.status_code == 401
    assert not IdempotencyRecord.objects.exists()


class FakeRequest:
    def __init__(self, content_type):
        self.META = {"CONTENT_TYPE": content_type}


def test_multipart_bodies_hash_the_same_whatever_the_boundary():
    def body(boundary, value):
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n{value}\r\n'
            f"--{boundary}--\r\n"
        ).encode()

    a = request_hash(FakeRequest("multipart/form-data; boundary=aaa111"), body("aaa111", "hi"))
    b = request_hash(FakeRequest('multipart/form-data; boundary="bbb222"'), body("bbb222", "hi"))
    c = request_hash(FakeRequest("multipart/form-data; boundary=ccc333"), body("ccc333", "ho"))
    assert a == b != c
    assert request_hash(FakeRequest("application/json"), b"{}") != request_hash(
        FakeRequest("text/plain"), b"{}"
    )


def test_retried_locate_gets_the_first_answer(personas):
    client = Client(HTTP_AUTHORIZATION=f"Token {issue_token(personas.leader, actor=None).secret}")
    body = {"points": [[131.0025, 45.775], [120.0, 30.0]]}

    def locate():
        return client.post(
            "/api/v1/territory/locate/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="locate-1",
        )

    first, again = locate(), locate()
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"grids": ["230903013001001", None]}
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert IdempotencyRecord.objects.get().path == "/api/v1/territory/locate/"


def test_the_purge_is_scheduled(settings):
    from django.utils.module_loading import import_string

    path = "fengqiao.api.tasks.purge_idempotency_records"
    assert settings.PERIODIC_TASKS[path] <= 24 * 3600
    assert import_string(path) is purge_idempotency_records
