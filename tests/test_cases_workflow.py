"""The transition table, permissions, scope, stale edits, and the special transitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.cases import actions
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    Diversion,
    Extension,
    FollowUpVisit,
    HandlingLevel,
    InboxItem,
    Satisfaction,
    SupervisionCard,
)
from fengqiao.cases.workflow import TRANSITIONS, check_state, check_transition
from fengqiao.workcalendar.calendar import deadline
from tests.case_factories import make_case_world, report


@pytest.fixture
def cw(world):
    return make_case_world(world)


@pytest.fixture
def case(cw):
    return report(None).case


def fresh(case):
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_every_transition_refused_outside_its_source_states(name):
    for state in CaseState.values:
        c = Case(state=state)
        if state in TRANSITIONS[name].sources:
            assert check_state(c, name) is TRANSITIONS[name]
        else:
            with pytest.raises(actions.TransitionNotAllowed) as err:
                check_state(c, name)
            assert err.value.field == "state" and err.value.status == 409


def test_services_refuse_transitions_not_in_the_table(cw, case):
    clerk = cw.huayuan_clerk
    for call in [
        lambda: actions.resolve(clerk, case, outcome="x", expected_version=case.version),
        lambda: actions.close(clerk, case, outcome="x", expected_version=case.version),
        lambda: actions.resume(clerk, case, expected_version=case.version),
        lambda: actions.reopen(clerk, case, reason="x", expected_version=case.version),
    ]:
        with pytest.raises(actions.TransitionNotAllowed):
            call()
    assert fresh(case).version == case.version and fresh(case).state == CaseState.REGISTERED


def test_wrong_personas_refused(personas, cw, case):
    # Outsider and a clerk of another community cannot even see it.
    for persona in (personas.outsider, personas.station_clerk):
        with pytest.raises(actions.CaseNotFound) as err:
            actions.accept(persona, case, expected_version=case.version)
        assert err.value.status == 404
    # The grid worker sees the case (own grid) but cannot accept or dispatch.
    with pytest.raises(actions.NotPermitted):
        actions.accept(personas.grid_worker, case, expected_version=case.version)
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    with pytest.raises(actions.NotPermitted):  # a station cannot dispatch to units
        actions.dispatch(
            cw.huayuan_clerk, case, lead_unit=cw.civil_affairs, expected_version=fresh(case).version
        )
    # A liaison sees nothing until its unit has a task.
    with pytest.raises(actions.CaseNotFound):
        check_transition(fresh(case), "add_progress", access_for(personas.liaison))
    assert fresh(case).state == CaseState.ACCEPTED


def test_stale_version_conflicts_and_changes_nothing(cw, case):
    v = case.version
    actions.accept(cw.huayuan_clerk, case, expected_version=v)
    before = fresh(case)
    with pytest.raises(actions.ConflictError) as err:
        actions.cancel(cw.district_clerk, case, reason="重复", expected_version=v)
    assert err.value.status == 409 and err.value.field == "version"
    # The message is in the user's language (Chinese by default): who changed it, and that the
    # input was kept.
    at = timezone.localtime(fresh(case).current_history.at).strftime("%H:%M")
    assert err.value.message == f"该事件已被站员甲于{at}修改；请刷新查看变化，您填写的内容已保留。"
    after = fresh(case)
    assert (after.state, after.version) == (before.state, before.version)
    assert CaseHistory.objects.filter(case=case).count() == 2


def test_conflict_message_names_who_and_when(cw, case, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
        with pytest.raises(actions.ConflictError) as err:
            actions.start(cw.huayuan_clerk, case, expected_version=case.version)
    at = timezone.localtime(fresh(case).current_history.at).strftime("%H:%M")
    assert err.value.message == (
        f"This case was changed by 站员甲 at {at}; reload to see the change; your input was kept."
    )


def test_required_fields(cw, case):
    with pytest.raises(actions.InvalidInput) as err:
        actions.cancel(cw.huayuan_clerk, case, reason=" ", expected_version=case.version)
    assert err.value.field == "reason"
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    with pytest.raises(actions.InvalidInput) as err:
        actions.resolve(cw.huayuan_clerk, case, outcome="", expected_version=fresh(case).version)
    assert err.value.field == "outcome"
    with pytest.raises(actions.InvalidInput) as err:
        actions.divert(cw.huayuan_clerk, case, target="moon", expected_version=fresh(case).version)
    assert err.value.field == "target"
    assert fresh(case).state == CaseState.ACCEPTED


def test_suspension_pauses_the_clock(cw, case):
    clerk = cw.huayuan_clerk
    actions.accept(clerk, case, expected_version=case.version)
    c = actions.suspend(clerk, case, reason="等待当事人返回", expected_version=fresh(case).version)
    assert c.state == CaseState.SUSPENDED and c.suspended_at
    # Reported 15 days ago, suspended for the last 10 of them.
    opened = c.suspended_at - timedelta(days=15)
    start = c.suspended_at - timedelta(days=10)
    Case.objects.filter(pk=c.pk).update(created_at=opened, clock_start=opened, suspended_at=start)
    without_pause = deadline(opened, 22, "days")
    c = actions.resume(clerk, case, expected_version=fresh(case).version)
    assert c.state == CaseState.ACCEPTED and c.suspended_at is None and len(c.pauses) == 1
    end = timezone.datetime.fromisoformat(c.pauses[0][1])
    assert c.handle_due == deadline(opened, 22, "days", [(start, end)])
    assert c.handle_due > without_pause


def test_extension_requested_before_expiry_and_approved(world, personas, cw, case):
    clerk = cw.huayuan_clerk
    actions.accept(clerk, case, expected_version=case.version)
    ext = actions.request_extension(
        clerk, case, days=5, reason="需等待鉴定", expected_version=fresh(case).version
    )
    assert InboxItem.objects.filter(case=case, kind="extension", unit=world.taoxi_center).exists()
    with pytest.raises(actions.TransitionNotAllowed):
        actions.request_extension(
            clerk, case, days=2, reason="again", expected_version=fresh(case).version
        )
    with pytest.raises(actions.NotPermitted):  # a station cannot approve its own request
        actions.approve_extension(clerk, ext, expected_version=fresh(case).version)
    before = fresh(case).handle_due
    actions.approve_extension(personas.street_clerk, ext, expected_version=fresh(case).version)
    c = fresh(case)
    assert Extension.objects.get().status == "approved" and c.extension_days == 5
    assert c.handle_due > before
    # Too late: after the deadline no request is accepted.
    Case.objects.filter(pk=c.pk).update(handle_due=timezone.now() - timedelta(hours=1))
    with pytest.raises(actions.TransitionNotAllowed) as err:
        actions.request_extension(
            clerk, case, days=2, reason="late", expected_version=fresh(case).version
        )
    assert err.value.code == "expired"


def test_return_escalate_divert(world, personas, cw, case):
    clerk = cw.huayuan_clerk
    c = actions.return_case(clerk, case, reason="不属于本社区", expected_version=case.version)
    assert (
        c.state == CaseState.RETURNED
        and c.handling_unit == world.district_center
        and c.needs_triage
    )
    center = cw.district_clerk
    c = actions.accept(center, case, expected_version=c.version)
    with pytest.raises(actions.TransitionNotAllowed):  # already at district level
        actions.escalate(center, case, reason="x", expected_version=c.version)
    # Escalation from the community goes to the street center.
    other = report(None).case
    other = actions.escalate(clerk, other, reason="涉及多个社区", expected_version=other.version)
    assert other.state == CaseState.ESCALATED and other.handling_level == HandlingLevel.STREET
    assert other.handling_unit == world.taoxi_center
    other = actions.accept(personas.street_clerk, other, expected_version=other.version)
    d = actions.divert(personas.street_clerk, other, target="court", reference="(2026)黑0903民初1号",
                        expected_version=other.version)  # fmt: skip
    assert fresh(other).state == CaseState.DIVERTED and d.status == Diversion.Status.SENT
    actions.update_diversion(personas.street_clerk, d, status="concluded", result="法院调解结案",
                              expected_version=fresh(other).version)  # fmt: skip
    c = actions.close(
        personas.street_clerk, other, outcome="法院调解结案", expected_version=fresh(other).version
    )
    assert c.state == CaseState.CLOSED


def test_dispatched_case_returned_by_the_lead_goes_back_to_the_dispatcher(world, personas, cw):
    cw.noise_rule.delete()
    case = report(None).case
    center = cw.district_clerk
    case = actions.accept(center, case, expected_version=case.version)
    case = actions.dispatch(
        center, case, lead_unit=world.police_taoxi, expected_version=case.version
    )
    c = actions.return_case(personas.liaison, case, reason="非警情", expected_version=case.version)
    assert c.state == CaseState.RETURNED and c.handling_unit == world.district_center
    assert not c.tasks.filter(active=True).exists()
    c = actions.dispatch(center, case, lead_unit=world.huayuan_station, expected_version=c.version)
    assert c.tasks.filter(active=True).count() == 1


def test_merge_keeps_every_reporter_informed(cw, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.case_factories import use_immediate_tasks

    use_immediate_tasks(settings)
    a = report(None, reporter_email="a@example.org").case
    b = report(None, reporter_email="b@example.org", reporter_phone="13904640000",
               parties=[{"name": "施工方", "party_type": "organisation"}]).case  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        merged = actions.merge(
            cw.huayuan_clerk, b, into=a, reason="重复反映", expected_version=b.version
        )
    assert merged.state == CaseState.CANCELLED and merged.merged_into == a
    assert {m.to[0] for m in mail.outbox} == {"a@example.org", "b@example.org"}
    assert a.parties.filter(name="施工方").exists()
    # Later news on the surviving case reaches both reporters too.
    mail.outbox.clear()
    a = fresh(a)
    with django_capture_on_commit_callbacks(execute=True):
        actions.accept(cw.huayuan_clerk, a, expected_version=a.version)
    assert {m.to[0] for m in mail.outbox} == {"a@example.org", "b@example.org"}
    # The merged report's reporter follows the surviving case on the tracking page.
    assert actions.public_status(b.tracking_number, "0000")["tracking_number"] == a.tracking_number
    with pytest.raises(actions.InvalidInput):
        actions.merge(cw.huayuan_clerk, a, into=a, expected_version=fresh(a).version)


def test_split_into_child_cases(world, cw, case):
    children = actions.split(
        cw.huayuan_clerk, case,
        children=[{"title": "夜间施工噪音"}, {"title": "道路损坏", "kind": "hazard", "category": "safety_hazard"}],
        expected_version=case.version,
    )  # fmt: skip
    assert [c.parent for c in children] == [case, case]
    assert children[1].kind == "hazard" and children[1].grid == case.grid
    assert len({c.tracking_number for c in children} | {case.tracking_number}) == 3
    assert fresh(case).history.last().data["children"] == [c.pk for c in children]
    with pytest.raises(actions.InvalidInput) as err:
        actions.split(cw.huayuan_clerk, case, children=[{"title": "x", "lon": 999, "lat": 1}],
                       expected_version=fresh(case).version)  # fmt: skip
    assert err.value.field == "children[0].lon"


def test_unsatisfied_visit_reopens(cw, case):
    clerk = cw.huayuan_clerk
    for step in (actions.accept, actions.start):
        step(clerk, case, expected_version=fresh(case).version)
    actions.resolve(clerk, case, outcome="已协调", expected_version=fresh(case).version)
    actions.close(clerk, case, expected_version=fresh(case).version)
    visit = actions.record_visit(
        clerk, case, method="phone", satisfaction=Satisfaction.UNSATISFIED, note="夜间仍在施工",
        reopen_case=True, expected_version=fresh(case).version,
    )  # fmt: skip
    c = fresh(case)
    assert visit.reopened and c.state == CaseState.REOPENED and c.closed_at is None
    assert c.inbox_items.filter(kind="reopened").exists()
    # Reopened behaves like accepted.
    assert actions.start(clerk, case, expected_version=c.version).state == CaseState.IN_PROGRESS


def test_reporter_rates_online_once(cw, case):
    clerk = cw.huayuan_clerk
    with pytest.raises(actions.CaseNotFound):
        actions.rate_by_reporter(case.tracking_number, "0000", satisfaction="satisfied")
    with pytest.raises(actions.TransitionNotAllowed):
        actions.rate_by_reporter(case.tracking_number, "1234", satisfaction="satisfied")
    actions.accept(clerk, case, expected_version=fresh(case).version)
    actions.resolve(clerk, case, outcome="已协调", expected_version=fresh(case).version)
    actions.rate_by_reporter(
        case.tracking_number, "1234", satisfaction="unsatisfied", note="没解决"
    )
    assert FollowUpVisit.objects.get().method == "online"
    assert InboxItem.objects.filter(kind="unsatisfied", unit=case.handling_unit).exists()
    with pytest.raises(actions.TransitionNotAllowed):
        actions.rate_by_reporter(case.tracking_number, "1234", satisfaction="satisfied")


def test_manual_supervision_card(personas, cw, case):
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    with pytest.raises(actions.NotPermitted):
        actions.raise_supervision(
            cw.huayuan_clerk, case, level="yellow", reason="x", expected_version=fresh(case).version
        )
    actions.raise_supervision(
        personas.leader,
        case,
        level="yellow",
        reason="群众反映强烈",
        expected_version=fresh(case).version,
    )
    assert (
        SupervisionCard.objects.get().level == "yellow"
        and fresh(case).supervision_level == "yellow"
    )
