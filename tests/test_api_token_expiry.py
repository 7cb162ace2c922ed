"""API tokens expire (API_TOKEN_EXPIRY_DAYS), record their last use (time and address), and
administrators list and revoke the tokens of the accounts they administer."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import issue_token

pytestmark = pytest.mark.django_db


def api(secret: str, **extra) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", **extra)


def test_a_token_expires_after_the_configured_days(personas, settings):
    settings.API_TOKEN_EXPIRY_DAYS = 90
    issued = issue_token(personas.leader, actor=None)
    assert issued.token.expires_at is not None
    days = (issued.token.expires_at - issued.token.created_at).days
    assert days in (89, 90)
    settings.API_TOKEN_EXPIRY_DAYS = 0
    assert issue_token(personas.leader, actor=None).token.expires_at is None


def test_an_expired_token_gets_a_clear_401_in_the_callers_language(personas):
    issued = issue_token(personas.leader, actor=None)
    assert api(issued.secret).get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    english = api(issued.secret, HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me/")
    assert english.status_code == 401
    error = english.json()["errors"][0]
    assert error["code"] == "token_expired"
    assert "expired" in error["message"]
    chinese = api(issued.secret, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/me/")
    assert chinese.status_code == 401
    assert "过期" in chinese.json()["errors"][0]["message"]


def test_last_use_records_time_and_address(personas):
    issued = issue_token(personas.leader, actor=None)
    api(issued.secret, REMOTE_ADDR="203.0.113.7").get("/api/v1/me/")
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.last_used_at is not None
    assert token.last_used_ip == "203.0.113.7"
    api(issued.secret, REMOTE_ADDR="203.0.113.8").get("/api/v1/me/")
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_ip == "203.0.113.8"


def test_administrators_list_and_revoke_tokens_of_their_accounts(personas, client_for):
    leader_token = issue_token(personas.leader, actor=None)
    admin = client_for(personas.security)
    listed = admin.get("/api/v1/admin/tokens/")
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()["results"]}
    assert leader_token.token.pk in rows
    assert rows[leader_token.token.pk]["user"]["username"] == personas.leader.username
    assert "expires_at" in rows[leader_token.token.pk]
    revoked = admin.delete(f"/api/v1/admin/tokens/{leader_token.token.pk}/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api(leader_token.secret).get("/api/v1/me/").status_code == 401


def test_outsiders_and_staff_neither_see_nor_revoke_tokens(personas, client_for):
    leader_token = issue_token(personas.leader, actor=None)
    for persona in (personas.outsider, personas.grid_worker, personas.leader):
        client = client_for(persona)
        assert client.get("/api/v1/admin/tokens/").status_code == 403
        assert client.delete(f"/api/v1/admin/tokens/{leader_token.token.pk}/").status_code == 403
    assert ApiToken.objects.get(pk=leader_token.token.pk).revoked_at is None


def test_an_administrator_outside_the_scope_gets_404(personas, client_for, world):
    from fengqiao.accounts.roles import Role
    from tests.factories import assign, make_user

    small_admin = make_user("admin_songshan", "社区管理员")
    assign(small_admin, Role.SECURITY_OFFICER, region=world.songshan)
    leader_token = issue_token(personas.leader, actor=None)
    client = client_for(small_admin)
    assert leader_token.token.pk not in {
        row["id"] for row in client.get("/api/v1/admin/tokens/").json()["results"]
    }
    assert client.delete(f"/api/v1/admin/tokens/{leader_token.token.pk}/").status_code == 404
