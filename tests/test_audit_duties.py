"""Separation of duties (issue 13): administrator, security officer and auditor are distinct
roles, no account holds two; the auditor reads the audit trail and the read log (scoped, read
only); the nightly chain check alerts those roles on a break."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from fengqiao.accounts import actions
from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import Role
from fengqiao.cases.integrity import verify_chains_task
from fengqiao.core.masking import log_sensitive_read
from fengqiao.core.models import AuditEntry
from tests.case_factories import use_immediate_tasks
from tests.factories import assign, make_user


@pytest.mark.parametrize(
    ("held", "given"),
    [
        (Role.ADMIN, Role.SECURITY_OFFICER),
        (Role.ADMIN, Role.AUDITOR),
        (Role.SECURITY_OFFICER, Role.AUDITOR),
        (Role.AUDITOR, Role.ADMIN),
    ],
)
def test_no_account_holds_two_separated_roles(personas, world, held, given):
    user = make_user("someone", "某人")
    assign(user, held, region=world.district)
    with pytest.raises(ValidationError) as error:
        actions.assign_role(personas.security, user, given, region=world.district)
    assert "role" in error.value.message_dict
    assert not RoleAssignment.objects.filter(user=user, role=given).exists()


def test_assign_role_gives_other_roles_and_audits(personas, world):
    user = make_user("newcomer", "新人")
    a = actions.assign_role(personas.security, user, Role.ADMIN, region=world.taoxi)
    b = actions.assign_role(personas.security, user, Role.LEADER, region=world.taoxi)
    assert {a.role, b.role} == {Role.ADMIN, Role.LEADER}
    entry = AuditEntry.objects.get(object_type="accounts.roleassignment", object_id=str(a.pk))
    assert entry.actor == personas.security and entry.changes["role"] == [None, Role.ADMIN]
    # An ended separated role no longer counts.
    actions.end_role(personas.security, a)
    actions.assign_role(personas.security, user, Role.AUDITOR, region=world.taoxi)


@pytest.mark.parametrize("persona", ["admin", "auditor", "leader", "outsider"])
def test_only_the_security_officer_assigns_roles(personas, world, persona):
    user = make_user("newcomer", "新人")
    with pytest.raises(PermissionDenied):
        actions.assign_role(getattr(personas, persona), user, Role.LEADER, region=world.district)


def test_admin_inline_refuses_a_second_separated_role(personas, world, client_for):
    user = personas.admin
    existing = RoleAssignment.objects.get(user=user)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = {
        "username": user.username,
        "name": user.name,
        "phone": "",
        "email": "",
        "unit": "",
        "is_active": "on",
        "assignments-TOTAL_FORMS": "2",
        "assignments-INITIAL_FORMS": "1",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "assignments-0-id": existing.pk,
        "assignments-0-user": user.pk,
        "assignments-0-role": Role.ADMIN,
        "assignments-0-scope_type": ScopeType.REGION,
        "assignments-0-region": world.district.pk,
        "assignments-0-active": "on",
        "assignments-1-user": user.pk,
        "assignments-1-role": Role.AUDITOR,
        "assignments-1-scope_type": ScopeType.REGION,
        "assignments-1-region": world.district.pk,
        "assignments-1-active": "on",
    }
    response = client_for(personas.security).post(url, data)
    assert response.status_code == 200
    assert "职责分离" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=user, role=Role.AUDITOR).exists()


def test_auditor_reads_the_read_log_with_filters(personas, world, client_for):
    log_sensitive_read(personas.street_clerk, world.huayuan_station, "phone", "核实")
    log_sensitive_read(personas.leader, world.huayuan_station, "phone", "督办")
    client = client_for(personas.auditor)
    response = client.get("/audit/reads/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "敏感信息查看记录" in html and "中心丙" in html and "领导丁" in html
    rows = client.get("/audit/reads/?actor=领导").context["rows"]
    assert [r["entry"].actor for r in rows] == [personas.leader]
    assert client.get("/audit/reads/?date_from=bad").context["rows"] == []
    # Read only: the page's own form filters (GET); a POST changes nothing and is refused.
    assert '<form method="get" class="card filters" action="/audit/reads/">' in html
    assert client.post("/audit/reads/").status_code == 405


def test_auditor_sees_only_the_accounts_of_their_scope(personas, world, client_for):
    street_auditor = make_user("auditor_taonan", "桃南审计员")
    assign(street_auditor, Role.AUDITOR, region=world.taonan)
    log_sensitive_read(personas.street_clerk, world.huayuan_station, "phone", "核实")
    rows = client_for(street_auditor).get("/audit/reads/").context["rows"]
    assert rows == []  # 中心丙 works in 桃西街道
    rows = client_for(personas.auditor).get("/audit/reads/").context["rows"]
    assert len(rows) == 1


@pytest.mark.parametrize(
    "persona", ["grid_worker", "station_clerk", "leader", "admin", "security", "outsider"]
)
def test_read_log_is_refused_to_others(personas, world, client_for, persona):
    log_sensitive_read(personas.street_clerk, world.huayuan_station, "phone", "核实")
    response = client_for(getattr(personas, persona)).get("/audit/reads/")
    assert response.status_code == 403
    assert "核实" not in response.content.decode()


def test_auditor_nav_shows_the_logs_only(personas, client_for):
    html = client_for(personas.auditor).get("/").content.decode()
    assert 'href="/audit/"' in html and 'href="/audit/reads/"' in html
    assert 'href="/cases/"' not in html


def test_nightly_check_alerts_the_three_roles_on_a_break(
    personas, world, settings, django_capture_on_commit_callbacks
):
    use_immediate_tasks(settings)
    assert "fengqiao.cases.integrity.verify_chains_task" in settings.PERIODIC_TASKS
    for p in (personas.admin, personas.security, personas.auditor, personas.leader):
        p.email = f"{p.username}@example.org"
        p.save()
    assert verify_chains_task.call()["breaks"] == 0
    assert mail.outbox == []
    from fengqiao.core import audit

    entry = audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE core_auditentry SET object_repr = 'x' WHERE id = %s", [entry.pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
    with django_capture_on_commit_callbacks(execute=True):
        result = verify_chains_task.call()
    assert result["breaks"] == 1 and result["told"] == 3
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == [
        "admin_district@example.org",
        "auditor_district@example.org",
        "security_district@example.org",
    ]
    assert f"row {entry.pk}" in mail.outbox[0].body
