"""Per-user API tokens: issuing, authenticating, read-only scoping, revoking."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from fengqiao.accounts.roles import Role
from fengqiao.api.authentication import TokenScopePermission
from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import hash_secret, issue_token, may_manage_tokens, revoke_token
from fengqiao.core.models import AuditEntry
from tests.factories import assign, make_user

GRIDS = "/api/v1/territory/grids/"


def token_client(secret: str, scheme: str = "Token") -> Client:
    return Client(HTTP_AUTHORIZATION=f"{scheme} {secret}")


def issue(user, actor=None, **kw) -> str:
    return issue_token(user, actor=actor, **kw).secret


def test_issue_stores_only_the_hash_and_audits(personas):
    issued = issue_token(personas.station_clerk, actor=personas.security, name="mobile app")
    token = issued.token
    assert issued.secret.startswith("fq_") and len(issued.secret) > 40
    assert token.prefix == issued.secret[:8]
    assert token.key_hash == hash_secret(issued.secret)
    assert issued.secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.created_by == personas.security
    entry = AuditEntry.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert entry.action == AuditEntry.Action.CREATE and entry.actor == personas.security
    assert "key_hash" not in entry.changes and issued.secret not in str(entry.changes)
    assert entry.changes["name"] == [None, "mobile app"]


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_station_clerk_token_sees_only_their_community(personas, scheme):
    resp = token_client(issue(personas.station_clerk), scheme).get(GRIDS)
    assert resp.status_code == 200
    codes = [g["code"] for g in resp.json()["results"]]
    assert codes == ["230903013002001", "230903013002002"]  # 松山社区 only


def test_outsider_token_sees_nothing(personas):
    resp = token_client(issue(personas.outsider)).get(GRIDS)
    assert resp.status_code == 200
    assert resp.json()["count"] == 0


def test_token_use_is_recorded(personas):
    issued = issue_token(personas.leader, actor=None)
    assert issued.token.last_used_at is None
    assert token_client(issued.secret).get(GRIDS).status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Token fq_not-a-real-token-at-all",
        "Bearer ",
        "Token two parts",
    ],
)
def test_unknown_or_malformed_token_is_401(personas, header):
    resp = Client(HTTP_AUTHORIZATION=header).get(GRIDS)
    assert resp.status_code == 401
    (err,) = resp.json()["errors"]
    assert err["field"] is None and err["code"] == "authentication_failed"
    assert err["message"]


def test_revoked_token_is_401(personas):
    issued = issue_token(personas.station_clerk, actor=personas.security)
    client = token_client(issued.secret)
    assert client.get(GRIDS).status_code == 200
    revoke_token(issued.token, actor=personas.security)
    resp = client.get(GRIDS)
    assert resp.status_code == 401
    assert resp.json()["errors"][0]["code"] == "authentication_failed"
    # Revoking twice changes nothing more.
    revoke_token(issued.token, actor=personas.security)
    entries = AuditEntry.objects.filter(object_type="api.apitoken", object_id=str(issued.token.pk))
    assert [e.action for e in entries.order_by("id")] == ["create", "update"]


def test_token_of_inactive_account_is_401(personas):
    secret = issue(personas.station_clerk)
    personas.station_clerk.is_active = False
    personas.station_clerk.save()
    assert token_client(secret).get(GRIDS).status_code == 401


def test_read_only_token_reads_but_cannot_write(personas):
    secret = issue(personas.security, read_only=True)
    client = token_client(secret)
    assert client.get(GRIDS).status_code == 200
    resp = client.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert resp.status_code == 403
    (err,) = resp.json()["errors"]
    assert err["code"] == "read_only_token" and err["field"] is None
    assert ApiToken.objects.filter(user=personas.security).count() == 1
    # A full token of the same account may write.
    resp = token_client(issue(personas.security)).post(
        "/api/v1/tokens/", {"name": "x"}, content_type="application/json"
    )
    assert resp.status_code == 201


def test_admin_issues_own_token_through_the_api(personas):
    client = token_client(issue(personas.security))
    resp = client.post(
        "/api/v1/tokens/", {"name": "sync job", "read_only": True}, content_type="application/json"
    )
    assert resp.status_code == 201
    body = resp.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.read_only and token.name == "sync job" and token.user == personas.security
    assert token.key_hash == hash_secret(body["secret"])
    listed = client.get("/api/v1/tokens/").json()
    assert {t["id"] for t in listed["results"]} == set(
        ApiToken.objects.filter(user=personas.security).values_list("id", flat=True)
    )
    assert all("secret" not in t for t in listed["results"])
    # The new token works, read-only.
    assert token_client(body["secret"]).get("/api/v1/me/").json()["token"]["read_only"] is True


@pytest.mark.parametrize("persona", ["station_clerk", "leader", "outsider", "admin", "auditor"])
def test_non_admins_cannot_issue_tokens(personas, client_for, persona):
    user = getattr(personas, persona)
    resp = client_for(user).post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["errors"][0]["code"] == "permission_denied"
    assert not ApiToken.objects.exists()


def test_who_may_manage_tokens(world, personas):
    assert may_manage_tokens(personas.security, personas.station_clerk)
    assert may_manage_tokens(personas.security, personas.grid_worker)
    assert may_manage_tokens(None, personas.station_clerk)  # the command line
    assert not may_manage_tokens(personas.station_clerk, personas.station_clerk)
    assert not may_manage_tokens(personas.leader, personas.grid_worker)
    # An administrator of 桃南街道 does not manage a clerk of 松山社区 (桃西街道).
    taonan_admin = make_user("admin_taonan")
    assign(taonan_admin, Role.SECURITY_OFFICER, region=world.taonan)
    assert not may_manage_tokens(taonan_admin, personas.station_clerk)
    with pytest.raises(PermissionDenied):
        issue_token(personas.station_clerk, actor=taonan_admin)
    assert not may_manage_tokens(taonan_admin, personas.grid_worker)  # a 花园社区 grid
    hepan_worker = make_user("gw_hepan")
    assign(hepan_worker, Role.GRID_WORKER, grids=[world.grids["230903012001001"]])
    assert may_manage_tokens(taonan_admin, hepan_worker)
    assign(hepan_worker, Role.GRID_WORKER, grids=[world.grids["230903013001002"]])
    assert not may_manage_tokens(taonan_admin, hepan_worker)  # now also works in 桃西
    assert may_manage_tokens(personas.security, personas.liaison)  # unit-scoped, in the district
    # No superuser bypass: a superuser without the administrator role manages nothing, and
    # superuser accounts get tokens from the command line only.
    root = make_user("root", is_superuser=True, is_staff=True)
    assert not may_manage_tokens(root, personas.station_clerk)
    assert not may_manage_tokens(personas.security, root)
    assert may_manage_tokens(None, root)
    assert not ApiToken.objects.exists()


def test_revoke_own_token_through_the_api(personas):
    mine = issue_token(personas.station_clerk, actor=personas.security)
    theirs = issue_token(personas.leader, actor=personas.security)
    client = token_client(mine.secret)
    assert client.delete(f"/api/v1/tokens/{theirs.token.pk}/").status_code == 404
    resp = client.delete(f"/api/v1/tokens/{mine.token.pk}/")
    assert resp.status_code == 200 and resp.json()["revoked_at"]
    assert client.get(GRIDS).status_code == 401
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_others_cannot_revoke(personas):
    issued = issue_token(personas.station_clerk, actor=personas.security)
    with pytest.raises(PermissionDenied):
        revoke_token(issued.token, actor=personas.leader)
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_issue_token_command(personas, capsys):
    call_command("issue_token", "clerk_songshan", "--read-only", "--name", "tablet")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(key_hash=hash_secret(secret))
    assert token.read_only and token.name == "tablet" and token.created_by is None
    assert token_client(secret).get(GRIDS).json()["count"] == 2
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody")


def test_admin_add_form_shows_secret_once_and_revokes(world, personas, client_for):
    client = client_for(personas.security)
    form = client.get("/admin/api/apitoken/add/").content.decode()
    assert f'value="{personas.station_clerk.pk}"' in form
    elsewhere = make_user("admin_elsewhere")
    assign(elsewhere, Role.SECURITY_OFFICER, region=world.taonan)
    assert f'value="{elsewhere.pk}"' not in form
    resp = client.post(
        "/admin/api/apitoken/add/",
        {"user": personas.station_clerk.pk, "name": "from admin", "read_only": "on"},
        follow=True,
    )
    assert resp.status_code == 200
    shown = " ".join(str(m) for m in resp.context["messages"])
    secret = re.search(r"fq_[A-Za-z0-9_-]{40,}", shown).group(0)
    token = ApiToken.objects.get(key_hash=hash_secret(secret))
    assert (
        token.user == personas.station_clerk
        and token.read_only
        and token.created_by == personas.security
    )
    assert AuditEntry.objects.filter(object_type="api.apitoken", action="create").count() == 1
    # The change page never shows the secret again.
    page = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page and token.prefix in page
    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_client(secret).get(GRIDS).status_code == 401


def _api_views(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _api_views(p, route)
        elif isinstance(p, URLPattern):
            yield route, p.callback


def test_every_api_view_keeps_read_only_tokens_reading():
    """A view that overrides permission_classes must keep TokenScopePermission."""
    views = [(r, cb) for r, cb in _api_views(get_resolver()) if r.startswith("api/v1/")]
    assert len(views) >= 4
    for route, callback in views:
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        classes = getattr(cls, "permission_classes", None)
        assert classes is not None, f"{route} is not a DRF view"
        assert TokenScopePermission in classes, f"{route} lets read-only tokens write"


def test_token_admin_is_scoped(world, personas, client_for):
    issued = issue_token(personas.station_clerk, actor=personas.security)
    taonan_admin = make_user("admin_taonan")
    assign(taonan_admin, Role.SECURITY_OFFICER, region=world.taonan)
    listing = client_for(taonan_admin).get("/admin/api/apitoken/")
    assert listing.status_code == 200
    assert issued.token.prefix not in listing.content.decode()
    assert (
        issued.token.prefix
        in client_for(personas.security).get("/admin/api/apitoken/").content.decode()
    )
    assert client_for(personas.station_clerk).get("/admin/api/apitoken/").status_code in (302, 403)
