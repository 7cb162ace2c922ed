"""Mediation time limits recomputed when a year's holiday notice arrives.

The one-month limit (`Mediation.due`) is counted in working days from acceptance, like a case's
deadlines (fengqiao.cases.recompute). Loading a year's notice queues
`recompute_time_limits_task`: every open mediation whose limit was counted over that year on
provisional holidays gets it counted again on the final calendar, with a
"time_limit_recomputed" event naming the old and new limit. A limit the parties extended
(`original_due` set) is a date they agreed on, not a count, and stays. Idempotent.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from fengqiao.mediation.actions.numbers import time_limit_days
from fengqiao.mediation.models import OPEN_STATES, Mediation, MediationEvent
from fengqiao.workcalendar.calendar import WorkCalendar

ACTION = "time_limit_recomputed"
BATCH = 200


def affected(year: int):
    """Open, unextended mediations accepted before the end of `year` whose limit reaches into it."""
    first = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    after = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min))
    return Mediation.objects.filter(
        Q(state__in=OPEN_STATES),
        accepted_at__lt=after,
        due__gte=first,
        original_due__isnull=True,
    )


def recompute_time_limits(year: int) -> int:
    """Recompute, in batches of locked mediations, the limits counted over `year`; returns how
    many changed. Safe to run again or to resume after an interruption."""
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
            locked = Mediation.objects.select_for_update().select_related("committee")
            for m in locked.filter(pk__in=ids).order_by("pk"):
                # It may have moved on since it was picked: check again under the lock.
                if m.state not in OPEN_STATES or m.original_due is not None:
                    continue
                if m.due is None or m.accepted_at is None:
                    continue
                due = cal.add_working_days(m.accepted_at, time_limit_days(m.committee))
                if due == m.due:
                    continue
                old = m.due
                m.due = due
                if m.is_overdue and due > timezone.now():
                    m.is_overdue = False
                m.save(update_fields=["due", "is_overdue"])
                # No version bump, as with the sweep: no field a person edits changed.
                MediationEvent.objects.create(
                    mediation=m,
                    action=ACTION,
                    from_state=m.state,
                    to_state=m.state,
                    data={"from": old.isoformat(), "to": due.isoformat(), "year": year},
                )
                changed += 1
        last = ids[-1]


@task()
def recompute_time_limits_task(year: int) -> int:
    """Recompute the mediation limits counted over `year` once its holiday notice is loaded."""
    return recompute_time_limits(year)
