"""The mediation's one-month time limit runs as a case deadline (issue 4): overdue mark, yellow
then red card on the case into the supervisor's inbox, warning a working day before, idempotent,
ended mediations never flagged, working days per the statutory calendar."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext

from fengqiao.cases import actions as case_actions
from fengqiao.cases.models import Case, CaseHistory, InboxItem, SupervisionCard
from fengqiao.mediation import actions
from fengqiao.mediation.actions import intake
from fengqiao.mediation.models import Mediation, MediationEvent, MediationState
from fengqiao.mediation.tasks import sweep_time_limits_task
from fengqiao.workcalendar.calendar import add_working_days
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
ZERO = {"overdue": 0, "yellow": 0, "red": 0, "near": 0}


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def mw(world, personas, settings):
    use_immediate_tasks(settings)
    return make_mediation_world(world, personas.admin, personas.street_clerk)


def _far_case_deadline(m: Mediation) -> None:
    """Keep the case's own handle deadline out of the way: only the mediation's limit runs."""
    Case.objects.filter(pk=m.case_id).update(handle_due=m.due + timedelta(days=365))


def _state() -> tuple[int, ...]:
    """Everything a sweep may add, to check a second run adds nothing."""
    return (
        SupervisionCard.objects.count(),
        InboxItem.objects.count(),
        CaseHistory.objects.count(),
        MediationEvent.objects.count(),
    )


def test_past_the_time_limit_yellow_then_red_and_idempotent(world, mw, settings):
    settings.CASE_RED_CARD_AFTER_WORKING_DAYS = 2
    m = started(world, mw)
    _far_case_deadline(m)
    case = Case.objects.get(pk=m.case_id)
    versions = (case.version, Mediation.objects.get(pk=m.pk).version)
    supervisor = case.handling_unit.parent
    assert supervisor is not None

    assert actions.sweep_time_limits(m.due - timedelta(days=5)).as_dict() == ZERO
    assert not Mediation.objects.get(pk=m.pk).is_overdue

    after = m.due + timedelta(hours=1)
    assert actions.sweep_time_limits(after).as_dict() == {**ZERO, "overdue": 1, "yellow": 1}
    m.refresh_from_db()
    case.refresh_from_db()
    assert m.is_overdue and case.supervision_level == "yellow"
    # The case's own overdue mark means its handle deadline: untouched (on-time rate).
    assert not case.is_overdue
    # The clock ticking makes no open form stale.
    assert (case.version, m.version) == versions
    card = SupervisionCard.objects.get(case=case)
    assert card.level == "yellow" and card.to_unit == mw.committee and m.number in card.reason
    for unit in (supervisor, case.handling_unit, mw.committee):
        assert InboxItem.objects.filter(case=case, kind="supervision", unit=unit).exists()
    assert InboxItem.objects.filter(case=case, kind="overdue", unit=mw.committee).count() == 1
    entry = CaseHistory.objects.filter(case=case, action="deadline_sweep").get()
    assert entry.data["changes"] == ["mediation_overdue", "yellow"]
    assert entry.data["mediation"] == m.number
    assert MediationEvent.objects.filter(mediation=m, action="overdue").count() == 1
    # The supervisor reads it in the inbox.
    assert case_actions.inbox_for(mw.dispatcher).filter(kind="supervision", case=case).exists()

    before = _state()
    assert actions.sweep_time_limits(after).as_dict() == ZERO
    assert _state() == before

    # Red once still running the configured number of working days after the limit.
    red_at = add_working_days(m.due, 2) + timedelta(minutes=1)
    assert actions.sweep_time_limits(red_at - timedelta(hours=2)).as_dict() == ZERO
    assert actions.sweep_time_limits(red_at).as_dict() == {**ZERO, "red": 1}
    case.refresh_from_db()
    assert case.supervision_level == "red"
    assert list(SupervisionCard.objects.filter(case=case).values_list("level", flat=True)) == [
        "yellow",
        "red",
    ]
    assert SupervisionCard.objects.get(case=case, level="red").to_unit == mw.committee
    assert MediationEvent.objects.filter(mediation=m, action="supervision").count() == 1
    before = _state()
    for later in (red_at, red_at + timedelta(days=40)):
        assert actions.sweep_time_limits(later).as_dict() == ZERO
    assert _state() == before
    case.refresh_from_db()
    m.refresh_from_db()
    assert (case.version, m.version) == versions


def _withdrawn(world, mw):
    m = started(world, mw)
    return actions.withdraw(mw.lead, m, reason="申请人撤回")


def _refused(world, mw):
    from tests.mediation_factories import dispute_case

    case = dispute_case(world, mw)
    m = actions.start(
        mw.lead, case, committee=mw.committee, mode="application", application_text="请求调解"
    )
    m = actions.accept(mw.lead, m)
    actions.refuse(mw.lead, m, party=m.case.parties.order_by("id")[1], reason="不同意调解")
    return Mediation.objects.get(pk=m.pk)


def _failed(world, mw):
    m = started(world, mw)
    return actions.record_failure(mw.lead, m, reason="双方分歧过大")


def _agreed(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    actions.record_agreement(mw.lead, m, form="oral", agreed_items="当场赔礼道歉")
    return Mediation.objects.get(pk=m.pk)


@pytest.mark.parametrize(
    "end, state",
    [
        (_withdrawn, MediationState.WITHDRAWN),
        (_refused, MediationState.REFUSED),
        (_failed, MediationState.FAILED),
        (_agreed, MediationState.AGREED),
    ],
)
def test_an_ended_mediation_is_never_flagged(world, mw, end, state):
    m = end(world, mw)
    assert m.state == state and m.due is not None
    Case.objects.filter(pk=m.case_id).update(handle_due=None)  # only the mediation's limit
    before = _state()
    for at in (m.due - timedelta(hours=2), m.due + timedelta(hours=1), m.due + timedelta(days=90)):
        assert actions.sweep_time_limits(at).as_dict() == ZERO
    assert _state() == before
    assert not Mediation.objects.get(pk=m.pk).is_overdue
    assert not SupervisionCard.objects.filter(case_id=m.case_id).exists()


def test_ended_after_the_yellow_card_gets_no_red(world, mw):
    m = started(world, mw)
    _far_case_deadline(m)
    assert actions.sweep_time_limits(m.due + timedelta(hours=1)).yellow == 1
    actions.withdraw(mw.lead, m, reason="申请人撤回")
    assert actions.sweep_time_limits(m.due + timedelta(days=60)).as_dict() == ZERO
    assert Case.objects.get(pk=m.case_id).supervision_level == "yellow"
    assert Mediation.objects.get(pk=m.pk).is_overdue  # the mark stays: it was late


def test_near_warning_is_sent_once(world, mw):
    m = started(world, mw)
    _far_case_deadline(m)
    # More than one working day left: no warning yet.
    early = m.due - timedelta(days=10)
    assert actions.sweep_time_limits(early).near == 0
    assert actions.sweep_time_limits(m.due - timedelta(hours=3)).as_dict() == {**ZERO, "near": 1}
    near = InboxItem.objects.filter(case_id=m.case_id, kind="deadline_near")
    assert list(near.values_list("unit", flat=True)) == [mw.committee.pk]
    assert case_actions.inbox_for(mw.lead).filter(kind="deadline_near").count() == 1
    assert actions.sweep_time_limits(m.due - timedelta(hours=1)).near == 0
    assert actions.sweep_time_limits(m.due - timedelta(minutes=1)).near == 0
    assert near.count() == 1
    assert MediationEvent.objects.filter(mediation=m, action="deadline_near").count() == 1


def test_suspended_case_pauses_the_sweep(world, mw):
    m = started(world, mw)
    _far_case_deadline(m)
    case = Case.objects.get(pk=m.case_id)
    case_actions.suspend(
        mw.cw.huayuan_clerk, case, reason="等待鉴定结果", expected_version=case.version
    )
    assert actions.sweep_time_limits(m.due + timedelta(days=10)).as_dict() == ZERO
    assert actions.sweep_time_limits(m.due - timedelta(hours=1)).near == 0
    case.refresh_from_db()
    case_actions.resume(mw.cw.huayuan_clerk, case, expected_version=case.version)
    assert actions.sweep_time_limits(m.due + timedelta(days=10)).overdue == 1


def test_statutory_holidays_are_not_working_days(world, mw, settings, monkeypatch):
    """National Day 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked."""
    settings.CASE_RED_CARD_AFTER_WORKING_DAYS = 3
    case = started(world, mw).case
    m = Mediation.objects.get(case=case)
    # Accepted on Friday 26 September 2025: the 22nd working day is Monday 3 November.
    Mediation.objects.filter(pk=m.pk).update(state=MediationState.REGISTERED, due=None)
    monkeypatch.setattr(intake, "now", lambda: datetime(2025, 9, 26, 10, tzinfo=SH))
    m = actions.accept(mw.lead, m.pk)
    assert m.due.astimezone(SH).date().isoformat() == "2025-11-03"

    # A limit ending on Tuesday 30 September.
    due = datetime(2025, 9, 30, 23, 59, 59, tzinfo=SH)
    Mediation.objects.filter(pk=m.pk).update(due=due)
    Case.objects.filter(pk=case.pk).update(handle_due=None)
    # Warned on the 29th (one working day left), not on the 26th (two: the 28th, the 29th).
    assert actions.sweep_time_limits(datetime(2025, 9, 26, 16, tzinfo=SH)).near == 0
    assert actions.sweep_time_limits(datetime(2025, 9, 29, 16, tzinfo=SH)).near == 1
    assert actions.sweep_time_limits(datetime(2025, 10, 1, 9, tzinfo=SH)).yellow == 1
    # Three working days after 30 September: 9, 10 and 11 October (a make-up Saturday).
    assert actions.sweep_time_limits(datetime(2025, 10, 10, 18, tzinfo=SH)).red == 0
    assert actions.sweep_time_limits(datetime(2025, 10, 11, 23, 0, tzinfo=SH)).red == 0
    assert actions.sweep_time_limits(datetime(2025, 10, 12, 0, 30, tzinfo=SH)).red == 1


def test_near_warning_counts_working_days_across_a_holiday(world, mw):
    m = started(world, mw)
    # The limit ends on Thursday 9 October 2025, the first working day after National Day.
    due = datetime(2025, 10, 9, 23, 59, 59, tzinfo=SH)
    Mediation.objects.filter(pk=m.pk).update(due=due)
    Case.objects.filter(pk=m.case_id).update(handle_due=None)
    assert actions.sweep_time_limits(datetime(2025, 9, 29, 16, tzinfo=SH)).near == 0
    # Nine calendar days before, but one working day.
    assert actions.sweep_time_limits(datetime(2025, 9, 30, 16, tzinfo=SH)).near == 1


def test_no_double_count_with_the_case_sweep(world, mw):
    """Case deadline and mediation limit both missed: one yellow, one red card; the case's
    overdue mark comes from its own deadline only."""
    m = started(world, mw)
    Case.objects.filter(pk=m.case_id).update(handle_due=m.due - timedelta(hours=2))
    after = m.due + timedelta(hours=1)
    assert case_actions.sweep_deadlines(after).yellow == 1
    assert actions.sweep_time_limits(after).as_dict() == {**ZERO, "overdue": 1}
    assert SupervisionCard.objects.filter(case_id=m.case_id).count() == 1
    late = add_working_days(m.due, 3) + timedelta(hours=1)
    reds = case_actions.sweep_deadlines(late).red + actions.sweep_time_limits(late).red
    assert reds == 1
    levels = sorted(
        SupervisionCard.objects.filter(case_id=m.case_id).values_list("level", flat=True)
    )
    assert levels == ["red", "yellow"]

    # The other way round: the mediation's card first; the case, not late, stays not overdue
    # and its own sweep adds no second yellow card.
    m2 = started(world, mw)
    _far_case_deadline(m2)
    after2 = m2.due + timedelta(hours=1)
    assert actions.sweep_time_limits(after2).yellow == 1
    assert case_actions.sweep_deadlines(after2).as_dict() == ZERO
    assert not Case.objects.get(pk=m2.case_id).is_overdue
    assert SupervisionCard.objects.filter(case_id=m2.case_id).count() == 1


def test_the_periodic_task_runs_the_sweep(world, mw):
    assert "fengqiao.mediation.tasks.sweep_time_limits_task" in django_settings.PERIODIC_TASKS
    m = started(world, mw)
    Mediation.objects.filter(pk=m.pk).update(due=m.accepted_at - timedelta(days=1))
    Case.objects.filter(pk=m.case_id).update(handle_due=None)
    result = sweep_time_limits_task.enqueue()
    assert result.return_value == {**ZERO, "overdue": 1, "yellow": 1}
    assert Mediation.objects.get(pk=m.pk).is_overdue


def test_overdue_shows_on_the_workbench_and_the_mediation_page(world, mw, client_for):
    m = started(world, mw)
    c = client_for(mw.lead)
    overdue = gettext("overdue")  # the tag's text, as the page's catalogues give it
    assert overdue not in c.get("/mediation/").content.decode()
    Mediation.objects.filter(pk=m.pk).update(due=m.accepted_at - timedelta(days=1))
    Case.objects.filter(pk=m.case_id).update(handle_due=None)
    actions.sweep_time_limits()
    for url in ("/mediation/", f"/mediation/case/{m.case_id}/"):
        page = c.get(url)
        assert page.status_code == 200 and overdue in page.content.decode()


def test_a_loaded_holiday_notice_recounts_open_time_limits(
    world, mw, settings, django_capture_on_commit_callbacks
):
    """A limit counted over a provisional year is counted again once the notice arrives (an
    event records old and new); a limit the parties extended is their date and stays."""
    from fengqiao.mediation.actions.numbers import time_limit_days
    from fengqiao.mediation.recompute import recompute_time_limits
    from fengqiao.workcalendar.notices import queue_recompute

    use_immediate_tasks(settings)
    accepted = datetime(2026, 12, 28, 10, tzinfo=SH)
    wrong = datetime(2027, 1, 20, 23, 59, 59, tzinfo=SH)
    m = started(world, mw)
    extended = started(world, mw)
    Mediation.objects.filter(pk=m.pk).update(accepted_at=accepted, due=wrong)
    Mediation.objects.filter(pk=extended.pk).update(
        accepted_at=accepted, due=wrong, original_due=wrong - timedelta(days=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue_recompute(2027)
    m.refresh_from_db()
    expected = add_working_days(accepted, time_limit_days(m.committee))
    assert m.due == expected
    assert expected != wrong
    event = MediationEvent.objects.get(mediation=m, action="time_limit_recomputed")
    assert datetime.fromisoformat(event.data["from"]) == wrong
    assert datetime.fromisoformat(event.data["to"]) == expected
    assert event.data["year"] == 2027
    extended.refresh_from_db()
    assert extended.due == wrong
    assert not MediationEvent.objects.filter(mediation=extended, action="time_limit_recomputed")
    assert recompute_time_limits(2027) == 0
