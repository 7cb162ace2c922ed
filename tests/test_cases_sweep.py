"""The deadline sweep: overdue flag, yellow then red card, inbox to the supervisor, idempotent."""

from datetime import timedelta

import pytest

from fengqiao.cases import actions
from fengqiao.cases.models import Case, CaseState, InboxItem, SupervisionCard
from fengqiao.cases.tasks import sweep_deadlines_task
from fengqiao.workcalendar.calendar import add_working_days
from tests.case_factories import make_case_world, report, use_immediate_tasks


@pytest.fixture
def cw(world):
    return make_case_world(world)


def test_sweep_raises_yellow_then_red_and_is_idempotent(world, cw, settings):
    settings.CASE_RED_CARD_AFTER_WORKING_DAYS = 3
    case = report(None).case
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    due = Case.objects.get(pk=case.pk).handle_due
    version = Case.objects.get(pk=case.pk).version

    assert actions.sweep_deadlines(due - timedelta(hours=1)).overdue == 0
    assert InboxItem.objects.filter(case=case, kind="deadline_near").count() == 1
    actions.sweep_deadlines(due - timedelta(minutes=30))  # warned once only
    assert InboxItem.objects.filter(case=case, kind="deadline_near").count() == 1

    after_due = due + timedelta(hours=1)
    report1 = actions.sweep_deadlines(after_due)
    c = Case.objects.get(pk=case.pk)
    assert (report1.overdue, report1.yellow, report1.red) == (1, 1, 0)
    assert c.is_overdue and c.supervision_level == "yellow" and c.version == version
    assert SupervisionCard.objects.get(case=case).level == "yellow"
    # The supervisor (the station's parent: the street center) hears of it.
    assert InboxItem.objects.filter(case=case, kind="supervision", unit=world.taoxi_center).exists()
    assert InboxItem.objects.filter(case=case, kind="overdue", unit=world.huayuan_station).exists()

    assert actions.sweep_deadlines(after_due).as_dict() == {
        "overdue": 0,
        "yellow": 0,
        "red": 0,
        "near": 0,
    }
    # Still open N working days after the deadline: red.
    late = add_working_days(due, 3) + timedelta(hours=1)
    assert actions.sweep_deadlines(late - timedelta(days=1)).red == 0
    assert actions.sweep_deadlines(late).red == 1
    assert Case.objects.get(pk=case.pk).supervision_level == "red"
    assert SupervisionCard.objects.filter(case=case).count() == 2
    items = InboxItem.objects.count()
    assert actions.sweep_deadlines(late + timedelta(days=30)).as_dict() == {
        "overdue": 0,
        "yellow": 0,
        "red": 0,
        "near": 0,
    }
    assert InboxItem.objects.count() == items and SupervisionCard.objects.count() == 2

    # Resolving closes the open cards; the overdue mark stays for the on-time rate.
    actions.start(cw.huayuan_clerk, case, expected_version=Case.objects.get(pk=case.pk).version)
    actions.resolve(
        cw.huayuan_clerk,
        case,
        outcome="已处理",
        expected_version=Case.objects.get(pk=case.pk).version,
    )
    assert not SupervisionCard.objects.filter(resolved_at__isnull=True).exists()
    assert Case.objects.get(pk=case.pk).is_overdue


def test_suspended_cases_are_not_swept(cw):
    case = report(None).case
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    c = actions.suspend(
        cw.huayuan_clerk, case, reason="等待法院", expected_version=case.version + 1
    )
    assert actions.sweep_deadlines(c.handle_due + timedelta(days=60)).overdue == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED


def test_sweep_task_runs_the_sweep(cw, settings):
    use_immediate_tasks(settings)
    case = report(None).case
    Case.objects.filter(pk=case.pk).update(handle_due=case.created_at - timedelta(days=1))
    result = sweep_deadlines_task.enqueue()
    assert result.return_value["overdue"] == 1
    assert Case.objects.get(pk=case.pk).is_overdue
