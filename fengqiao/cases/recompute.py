"""Deadlines recomputed when a year's holiday notice arrives.

While a year's notice is not loaded its holidays are derived from the law and provisional
(fengqiao.workcalendar.statutory). Loading the notice (fengqiao.workcalendar.notices) queues
`recompute_deadlines_task` for that year: every case still running whose deadlines were counted
over that year gets them recomputed on the final calendar. Each case that changes is locked,
saved and given a "deadline_recomputed" history entry naming the old and new deadlines (no
version bump: no field a person edits changed, as with the deadline sweep); tasks that carried
the old handle deadline carry the new one. Idempotent: a second run finds nothing to change.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from fengqiao.cases import routing
from fengqiao.cases.models import OPEN_STATES, Case, CaseHistory, CaseState
from fengqiao.workcalendar.calendar import WorkCalendar

ACTION = "deadline_recomputed"
DUE_FIELDS = ("acknowledge_due", "handle_due", "verify_due")
# Resolved cases still run their verification deadline.
RUNNING_STATES = [*OPEN_STATES, CaseState.RESOLVED]
BATCH = 200


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def affected(year: int) -> QuerySet[Case]:
    """Running cases whose clock ran before the end of `year` and whose deadlines reach into it."""
    first = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    after = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min))
    reaches = Q(acknowledge_due__gte=first) | Q(handle_due__gte=first) | Q(verify_due__gte=first)
    return (
        Case.objects.filter(state__in=RUNNING_STATES, suspended_at__isnull=True)
        .filter(reaches)
        .filter(Q(clock_start__lt=after) | Q(clock_start__isnull=True, created_at__lt=after))
    )


def recompute_case(case: Case, cal: WorkCalendar, year: int) -> bool:
    """Recompute one locked case's deadlines; save and record them when they changed."""
    before = {name: getattr(case, name) for name in DUE_FIELDS}
    routing.compute_deadlines(case, cal)
    changes = {
        name: [_iso(before[name]), _iso(getattr(case, name))]
        for name in DUE_FIELDS
        if before[name] != getattr(case, name)
    }
    if not changes:
        return False
    old_handle = before["handle_due"]
    if "handle_due" in changes and old_handle is not None:
        case.tasks.filter(active=True, due=old_handle).update(due=case.handle_due)
    entry = CaseHistory.objects.create(
        case=case,
        actor=None,
        action=ACTION,
        from_state=case.state,
        to_state=case.state,
        data={"changes": changes, "year": year, "reason": "holiday_notice"},
    )
    case.current_history = entry
    case.save(update_fields=[*DUE_FIELDS, "current_history", "updated_at"])
    return True


def recompute_deadlines(year: int) -> int:
    """Recompute, in batches of locked cases, the deadlines counted over `year`; returns how
    many cases changed. Safe to run again or to resume after an interruption."""
    cal = WorkCalendar.load()
    changed = 0
    last = 0
    while True:
        ids = list(
            affected(year).filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return changed
        with transaction.atomic():
            for case in Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
                # The case may have moved on since it was picked: check again under the lock.
                if case.state in RUNNING_STATES and case.suspended_at is None:
                    changed += recompute_case(case, cal, year)
        last = ids[-1]


@task()
def recompute_deadlines_task(year: int) -> int:
    """Recompute the deadlines counted over `year` once its holiday notice is loaded."""
    return recompute_deadlines(year)
