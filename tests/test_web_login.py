"""Logging in through the real form (axes sees every attempt), lock-out, and the audit trail page."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from tests.factories import PASSWORD


def login(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_with_the_right_password(personas, client):
    response = login(client, "leader", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_a_chinese_error(personas, client):
    response = login(client, "leader", "wrong")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert client.get("/").status_code == 302


def test_sixth_attempt_is_locked_out_even_with_the_right_password(personas, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert login(client, "leader", "wrong-password").status_code == 200
    # The fifth failure reaches the limit: from now on the account is locked for this address.
    assert login(client, "leader", "wrong-password").status_code == 429
    response = login(client, "leader", PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked.
    assert login(client, "admin_district", PASSWORD).status_code == 302


def make_entries(personas, world):
    unit = world.huayuan_station
    a = audit.record(personas.admin, AuditEntry.Action.UPDATE, unit, {"name": ["旧名", "新名"]})
    # Written as it was ten days ago (entries are append-only: the time is set before sealing).
    b = AuditEntry(
        actor=personas.leader,
        action=AuditEntry.Action.UPDATE,
        object_type="territory.region",
        object_id=str(world.huayuan.pk),
        object_repr=str(world.huayuan),
        changes={"name": ["甲", "乙"]},
        at=timezone.now() - dt.timedelta(days=10),
    )
    b.save()
    return a, b


def test_audit_trail_lists_and_filters(personas, world, client_for):
    a, b = make_entries(personas, world)
    client = client_for(personas.auditor)
    html = client.get("/audit/").content.decode()
    assert "旧名" in html and "新名" in html and "花园社区综治服务站" in html
    assert "单位" in html  # object type shown by its verbose name
    rows = client.get("/audit/?object_type=org.unit").context["rows"]
    assert [r["entry"] for r in rows] == [a]
    rows = client.get("/audit/?actor=领导").context["rows"]
    assert [r["entry"] for r in rows] == [b]
    today = timezone.localdate().isoformat()
    rows = client.get(f"/audit/?date_from={today}").context["rows"]
    assert [r["entry"] for r in rows] == [a]
    old = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    rows = client.get(f"/audit/?date_from={old}&date_to={old}").context["rows"]
    assert [r["entry"] for r in rows] == [b]


def test_audit_trail_bad_filter_names_the_field(personas, world, client_for):
    make_entries(personas, world)
    client = client_for(personas.auditor)
    response = client.get("/audit/?date_from=2026-13-45")
    assert response.status_code == 200
    assert "开始日期" in response.content.decode() and response.context["rows"] == []
    response = client.get("/audit/?date_from=2026-05-02&date_to=2026-05-01")
    assert "结束日期不能早于开始日期" in response.content.decode()
    response = client.get("/audit/?object_type=nonsense.model")
    assert response.status_code == 200 and response.context["rows"] == []


@pytest.mark.parametrize(
    "persona", ["grid_worker", "station_clerk", "leader", "outsider", "admin", "security"]
)
def test_audit_trail_is_refused_without_audit_view(personas, world, client_for, persona):
    make_entries(personas, world)
    response = client_for(getattr(personas, persona)).get("/audit/")
    assert response.status_code == 403
    assert "旧名" not in response.content.decode()
