"""Stories S1 and S2 of SCENARIOS.md, end to end through the case actions."""

import re

import pytest
from django.core import mail

from fengqiao.accounts.access import access_for
from fengqiao.cases import actions
from fengqiao.cases.masking import party_view, reporter_view
from fengqiao.cases.models import (
    Case,
    CaseState,
    FollowUpVisit,
    InboxItem,
    RiskLevel,
    Satisfaction,
    Task,
)
from fengqiao.cases.workflow import allowed_actions
from fengqiao.core.models import SensitiveAccess
from fengqiao.search.index import matching_ids
from tests.case_factories import (
    HUAYUAN_POINT,
    VALID_ID,
    make_case_world,
    report,
    use_immediate_tasks,
)


@pytest.fixture
def cw(world):
    return make_case_world(world)


def test_s1_construction_noise_from_resident_report_to_satisfied_visit(
    world, personas, cw, settings, django_capture_on_commit_callbacks
):
    use_immediate_tasks(settings)
    # A resident reports from the public page (no login), with a map point in 花园社区.
    with django_capture_on_commit_callbacks(execute=True):
        result = report(None, reporter_email="wang@example.org")
    case = result.case
    assert re.fullmatch(r"230903-\d{4}-\d{6}", case.tracking_number)
    assert case.grid == world.grids["230903013001001"]
    assert (case.community, case.street, case.district) == (
        world.huayuan,
        world.taoxi,
        world.district,
    )
    assert case.region_path == world.huayuan.path
    # Routed by the 施工扰民 rule to the community level: the 花园社区 station.
    assert case.routing_rule == cw.noise_rule
    assert case.handling_unit == world.huayuan_station and not case.needs_triage
    assert case.state == CaseState.REGISTERED and case.handle_due is not None
    assert InboxItem.objects.filter(case=case, unit=world.huayuan_station).exists()
    # Indexed for search (segmented: 噪音 finds 施工噪音扰民) and the reporter told the number.
    assert list(Case.objects.filter(pk__in=matching_ids("case", "噪音"))) == [case]
    assert case.tracking_number in mail.outbox[-1].subject
    assert mail.outbox[-1].to == ["wang@example.org"]

    clerk = cw.huayuan_clerk
    names = {t.name for t in allowed_actions(case, access_for(clerk))}
    assert "accept" in names and "resolve" not in names
    case = actions.accept(clerk, case, expected_version=case.version)
    assert case.state == CaseState.ACCEPTED and case.accepted_at
    case = actions.start(clerk, case, expected_version=case.version)
    actions.add_progress(
        clerk, case, text="现场调查：工地夜间施工属实，道路破损约50米。", public=True,
        expected_version=case.version,
    )  # fmt: skip
    case.refresh_from_db()
    case = actions.resolve(
        clerk, case, outcome="施工方调整作业时间为7:00-20:00，并于两周内修复道路。",
        expected_version=case.version,
    )  # fmt: skip
    assert case.state == CaseState.RESOLVED and case.outcome_success is True
    case = actions.close(clerk, case, expected_version=case.version)
    assert case.state == CaseState.CLOSED and case.closed_at
    visit = actions.record_visit(
        clerk, case, method=FollowUpVisit.Method.PHONE, satisfaction=Satisfaction.SATISFIED,
        expected_version=case.version,
    )  # fmt: skip
    assert not visit.reopened
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    timeline = list(case.history.values_list("action", flat=True))
    assert timeline == ["intake", "accept", "start", "note", "resolve", "close", "visit"]
    assert case.current_history == case.history.order_by("-at", "-id").first()
    assert case.version == 7  # intake + six changes
    # The public tracking page shows the public steps and no personal data.
    status = actions.public_status(case.tracking_number, "1234")
    assert status["state"] == CaseState.CLOSED
    assert "13904641234" not in str(status) and "王" not in str(status)
    assert "现场调查" in str(status)


def test_s2_police_handover_with_co_handling_units_and_a_vulnerable_party(world, personas, cw):
    liaison = personas.liaison  # 桃西派出所
    result = actions.intake(
        liaison,
        {
            "kind": "incident",
            "category": "public_security_incident",
            "title": "邻居夜间喊叫扰民",
            "description": "经查系其子久病，家庭困难无力就医。",
            "lon": HUAYUAN_POINT[0],
            "lat": HUAYUAN_POINT[1],
            "reporter_name": "李先生",
            "reporter_phone": "13804645678",
            "risk_level": RiskLevel.HIGH,
            "parties": [
                {
                    "name": "赵某",
                    "role": "other",
                    "id_type": "citizen_id",
                    "id_number": VALID_ID,
                    "phone": "13704641111",
                    "is_vulnerable": True,
                    "notes": "长期患病，需住院治疗",
                }
            ],
        },
        "police_110",
    )
    case = result.case
    assert case.channel.code == "police_110" and case.risk_level == RiskLevel.HIGH
    # No rule for this category: the district center's triage queue takes it.
    assert case.needs_triage and case.handling_unit == world.district_center
    center = cw.district_clerk
    case = actions.accept(center, case, expected_version=case.version)
    case = actions.dispatch(
        center,
        case,
        lead_unit=world.police_taoxi,
        co_units=[world.huayuan_station, cw.civil_affairs, cw.charity],
        instructions="联合帮扶，筹措医疗费用，送医治疗。",
        co_due={cw.charity.pk: case.handle_due - (case.handle_due - case.created_at) / 2},
        expected_version=case.version,
    )
    tasks = {t.unit_id: t for t in case.tasks.all()}
    assert len(tasks) == 4 and tasks[world.police_taoxi.pk].role == Task.Role.LEAD
    assert tasks[cw.charity.pk].due < tasks[cw.civil_affairs.pk].due == case.handle_due
    for unit in tasks:
        assert InboxItem.objects.filter(case=case, unit_id=unit, kind="dispatched").exists()

    # The vulnerable party: masked for the grid worker, shown and logged for the center clerk.
    party = case.parties.get()
    seen = party_view(party, access_for(personas.grid_worker))
    assert seen["masked"] and seen["id_number"] == "360***********0071"
    assert "患病" not in seen["notes"] and seen["name"] == "赵*"
    assert reporter_view(case, access_for(personas.grid_worker))["reporter_phone"] == "138****5678"
    assert not SensitiveAccess.objects.exists()
    full = party_view(party, access_for(center), purpose="S2")
    assert full["notes"] == "长期患病，需住院治疗" and full["id_number"] == VALID_ID
    assert set(SensitiveAccess.objects.values_list("field", flat=True)) == {
        "id_number",
        "phone",
        "notes",
    }
    assert SensitiveAccess.objects.filter(actor=center, object_id=str(party.pk)).count() == 3

    def version():
        return Case.objects.get(pk=case.pk).version

    lead = tasks[world.police_taoxi.pk]
    actions.acknowledge_task(liaison, lead, expected_version=version())
    assert Case.objects.get(pk=case.pk).state == CaseState.ACKNOWLEDGED
    actions.start_task(liaison, lead, expected_version=version())
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    # Each co-handling unit acts on its own task only.
    civil_task = tasks[cw.civil_affairs.pk]
    try:
        actions.complete_task(
            cw.charity_liaison, civil_task, result="x", expected_version=version()
        )
        raise AssertionError("a charity liaison completed civil affairs' task")
    except actions.NotPermitted as e:
        assert e.field == "task"
    actions.complete_task(
        cw.civil_liaison, civil_task, result="纳入临时救助", expected_version=version()
    )
    actions.complete_task(
        cw.charity_liaison,
        tasks[cw.charity.pk],
        result="募集医疗费2万元",
        expected_version=version(),
    )
    actions.complete_task(
        liaison, lead, result="已送医住院治疗，风险消除。", expected_version=version()
    )
    # The community station's task is still open: the case cannot be resolved yet.
    try:
        actions.resolve(liaison, case, expected_version=version())
        raise AssertionError("resolved with an open co-handling task")
    except actions.TransitionNotAllowed as e:
        assert e.code == "co_open" and "花园社区综治服务站" in e.message
    actions.complete_task(
        cw.huayuan_clerk,
        tasks[world.huayuan_station.pk],
        result="入户走访",
        expected_version=version(),
    )
    resolved = actions.resolve(liaison, case, expected_version=version())
    assert resolved.outcome == "已送医住院治疗，风险消除。"
    closed = actions.close(center, case, expected_version=version())
    assert closed.state == CaseState.CLOSED
    assert Task.objects.filter(case=case, state=Task.State.DONE).count() == 4
