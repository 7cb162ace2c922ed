"""The admin site: only administrators get in, they see and edit only their scope, and every
change is written to the audit trail (old → new)."""

import pytest
from django.urls import reverse

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Role
from fengqiao.core.models import AuditEntry
from fengqiao.org.models import Unit, UnitKind
from tests.factories import assign, make_user

NON_ADMINS = ["grid_worker", "station_clerk", "street_clerk", "leader", "liaison", "outsider"]


def unit_form(unit: Unit, **changes) -> dict:
    data = {
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "sector": unit.sector_id or "",
        "region": unit.region_id,
        "parent": unit.parent_id or "",
        "address": unit.address,
        "phone": unit.phone,
        "active": "on" if unit.active else "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_admin_site_refuses_non_admins(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    response = client.get(reverse("admin:org_unit_changelist"), follow=True)
    assert response.status_code == 403
    assert "花园社区综治服务站" not in response.content.decode()


def test_admin_site_sends_anonymous_users_to_the_platform_login(db, client):
    response = client.get("/admin/org/unit/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert response.status_code == 200


def test_is_staff_alone_does_not_open_the_admin(personas, client_for):
    personas.leader.is_staff = True
    personas.leader.is_superuser = True
    personas.leader.save()
    response = client_for(personas.leader).get("/admin/", follow=True)
    assert response.status_code == 403


def test_inactive_admin_assignment_closes_the_admin(personas, client_for):
    RoleAssignment.objects.filter(user=personas.admin).update(active=False)
    response = client_for(personas.admin).get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_persona_gets_in_and_sees_chinese_admin(personas, client_for):
    response = client_for(personas.admin).get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "枫桥 平安建设综治平台 管理" in html
    for name in ["单位", "网格员", "行业领域", "组织机构"]:
        assert name in html, name
    # Separation of duties: accounts are the security officer's, the logs the auditor's.
    assert "工作人员账号" not in html and "审计记录" not in html
    html = client_for(personas.security).get("/admin/").content.decode()
    assert "工作人员账号" in html and "人员与角色" in html and "审计记录" not in html
    html = client_for(personas.auditor).get("/admin/").content.decode()
    assert "审计记录" in html and "工作人员账号" not in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:org_unit_changelist",
        "admin:org_unit_add",
        "admin:org_sector_changelist",
        "admin:org_gridworker_changelist",
        "admin:org_gridworker_add",
    ],
)
def test_admin_pages_open_for_the_admin(personas, client_for, url_name):
    assert client_for(personas.admin).get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize(
    ("persona", "url_name", "status"),
    [
        ("security", "admin:accounts_user_changelist", 200),
        ("security", "admin:accounts_user_add", 200),
        ("security", "admin:core_auditentry_changelist", 403),
        ("security", "admin:org_unit_changelist", 403),
        ("auditor", "admin:core_auditentry_changelist", 200),
        ("auditor", "admin:core_sensitiveaccess_changelist", 200),
        ("auditor", "admin:accounts_user_changelist", 403),
        ("auditor", "admin:core_auditentry_add", 403),
        ("admin", "admin:accounts_user_changelist", 403),
        ("admin", "admin:core_auditentry_changelist", 403),
        ("admin", "admin:core_sensitiveaccess_changelist", 403),
    ],
)
def test_admin_site_follows_separation_of_duties(personas, client_for, persona, url_name, status):
    response = client_for(getattr(personas, persona)).get(reverse(url_name))
    assert response.status_code == status


def test_logs_are_read_only_in_the_admin_for_everyone(personas, world, client_for):
    from fengqiao.core import audit

    entry = audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
    for persona in ("admin", "security", "auditor"):
        client = client_for(getattr(personas, persona))
        change = reverse("admin:core_auditentry_change", args=[entry.pk])
        delete = reverse("admin:core_auditentry_delete", args=[entry.pk])
        assert client.post(change, {"object_repr": "x"}).status_code in (302, 403)
        assert client.post(delete, {"post": "yes"}).status_code in (302, 403)
    entry.refresh_from_db()
    assert entry.object_repr != "x"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_edit_of_a_unit_writes_an_audit_entry(personas, world, client_for):
    unit = world.huayuan_station
    url = reverse("admin:org_unit_change", args=[unit.pk])
    response = client_for(personas.admin).post(
        url, unit_form(unit, name="花园社区综治服务站（新）", phone="0464-8291234")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.name == "花园社区综治服务站（新）"
    entry = AuditEntry.objects.get(object_type="org.unit", object_id=str(unit.pk))
    assert entry.actor == personas.admin
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.changes == {
        "name": ["花园社区综治服务站", "花园社区综治服务站（新）"],
        "phone": ["", "0464-8291234"],
    }


def test_admin_add_of_a_unit_is_audited(personas, world, client_for):
    form = {
        "name": "花园社区人民调解委员会",
        "short_name": "",
        "kind": UnitKind.MEDIATION_COMMITTEE,
        "sector": "",
        "region": world.huayuan.pk,
        "parent": "",
        "address": "",
        "phone": "",
        "active": "on",
    }
    response = client_for(personas.admin).post(reverse("admin:org_unit_add"), form)
    assert response.status_code == 302
    unit = Unit.objects.get(name="花园社区人民调解委员会")
    entry = AuditEntry.objects.get(object_type="org.unit", object_id=str(unit.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.changes["name"] == [None, "花园社区人民调解委员会"]


def test_bad_unit_edit_names_the_field_and_changes_nothing(personas, world, client_for):
    unit = world.huayuan_station
    # A service station must serve a community: a street is refused with a message on `region`.
    response = client_for(personas.admin).post(
        reverse("admin:org_unit_change", args=[unit.pk]), unit_form(unit, region=world.taoxi.pk)
    )
    assert response.status_code == 200
    assert "综治服务站服务于一个社区或村" in response.content.decode()
    unit.refresh_from_db()
    assert unit.region == world.huayuan
    assert not AuditEntry.objects.filter(object_type="org.unit").exists()


@pytest.fixture
def street_admin(world):
    user = make_user("admin_taonan", "管理员辛")
    assign(user, Role.ADMIN, region=world.taonan)
    officer = make_user("security_taonan", "桃南安全员")
    assign(officer, Role.SECURITY_OFFICER, region=world.taonan)
    user.officer = officer
    return user


def test_admin_querysets_are_scoped(street_admin, personas, world, client_for):
    client = client_for(street_admin)
    html = client.get(reverse("admin:org_unit_changelist")).content.decode()
    # 桃南街道's admin sees no unit of 桃西街道 or of the district.
    for name in ["花园社区综治服务站", "桃西派出所", "桃山区综治中心"]:
        assert name not in html
    change = client.get(reverse("admin:org_unit_change", args=[world.huayuan_station.pk]))
    assert change.status_code == 302  # "does not exist" redirect back to the admin index
    html = client_for(street_admin.officer).get(reverse("admin:accounts_user_changelist"))
    html = html.content.decode()
    assert "clerk_taoxi" not in html and "admin_district" not in html
    assert "outsider" in html  # no unit, no role: any administrator can onboard them
    html = client.get(reverse("admin:org_unit_add")).content.decode()
    assert "花园社区" not in html and "河畔社区" in html


def test_scoped_admin_cannot_place_a_unit_outside_scope(street_admin, world, client_for):
    form = {
        "name": "越权单位",
        "kind": UnitKind.MEMBER_UNIT,
        "region": world.taoxi.pk,
        "active": "on",
    }
    response = client_for(street_admin).post(reverse("admin:org_unit_add"), form)
    assert response.status_code == 200
    assert not Unit.objects.filter(name="越权单位").exists()


def test_admin_creates_an_account_with_a_role_and_every_row_is_audited(personas, world, client_for):
    client = client_for(personas.security)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "gw_new",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
            "name": "新网格员",
            "phone": "13912341234",
            "unit": world.huayuan_station.pk,
            "assignments-TOTAL_FORMS": "1",
            "assignments-INITIAL_FORMS": "0",
            "assignments-MIN_NUM_FORMS": "0",
            "assignments-MAX_NUM_FORMS": "1000",
            "assignments-0-role": Role.GRID_WORKER,
            "assignments-0-scope_type": ScopeType.GRIDS,
            "assignments-0-grids": [world.grids["230903013001002"].pk],
            "assignments-0-active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="gw_new")
    assignment = RoleAssignment.objects.get(user=user)
    assert list(assignment.grids.values_list("code", flat=True)) == ["230903013001002"]
    created = AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert created.changes["name"] == [None, "新网格员"]
    # The password hash never reaches the audit trail.
    assert created.changes["password"] == [None, "***"]
    assert user.password not in str(created.changes)
    row = AuditEntry.objects.get(
        object_type="accounts.roleassignment", object_id=str(assignment.pk)
    )
    assert row.action == AuditEntry.Action.CREATE
    assert row.changes["role"] == [None, Role.GRID_WORKER]
    assert row.changes["grids"] == [None, [world.grids["230903013001002"].pk]]


def test_admin_role_change_in_inline_records_old_and_new(personas, world, client_for):
    user = personas.station_clerk
    assignment = RoleAssignment.objects.get(user=user)
    client = client_for(personas.security)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        "username": user.username,
        "name": user.name,
        "phone": "",
        "email": "",
        "unit": world.songshan_station.pk,
        "is_active": "on",
        "assignments-TOTAL_FORMS": "1",
        "assignments-INITIAL_FORMS": "1",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "assignments-0-id": assignment.pk,
        "assignments-0-user": user.pk,
        "assignments-0-role": Role.STATION_STAFF,
        "assignments-0-scope_type": ScopeType.REGION,
        "assignments-0-region": world.huayuan.pk,
        "assignments-0-active": "on",
    }
    assert "password" in form.fields
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assignment.refresh_from_db()
    assert assignment.region == world.huayuan
    entry = AuditEntry.objects.get(
        object_type="accounts.roleassignment", object_id=str(assignment.pk)
    )
    assert entry.changes == {"region": [world.songshan.pk, world.huayuan.pk]}
    assert entry.actor == personas.security


def test_admin_login_never_redirects_off_site(personas, client_for):
    response = client_for(personas.admin).get("/admin/login/?next=https://evil.example.org/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client_for(personas.admin).get("/admin/login/?next=/admin/org/unit/")
    assert response["Location"] == "/admin/org/unit/"
