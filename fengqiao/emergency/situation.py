"""The figures of an event, as the situation view (big screen) and the daily report show them:
structure, tasks (open ones overdue first), check-ins, the linked screening campaign's roll-up
(fengqiao.campaigns.screening.rollup, in the viewer's scope) and the incidents on the map."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm

from . import actions
from .models import BodyKind, CheckIn, Event, Task, TaskState


@dataclass
class Situation:
    event: Event
    at: Any
    bodies: dict[str, int]
    tasks_total: int
    tasks_done: int
    tasks_open: int
    tasks_overdue: int
    done_today: int
    checkins_today: int
    open_tasks: list[Task]
    checkins: list[CheckIn]
    rollup: dict[str, list[Any]] = field(default_factory=dict)
    campaign_total: Any = None
    incidents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def structure_text(self) -> str:
        b = self.bodies
        return f"{b.get(BodyKind.OFFICE, 0)}办{b.get(BodyKind.GROUP, 0)}组{b.get(BodyKind.TASK_FORCE, 0)}专班"


def build(actor: Any, event: Event) -> Situation:
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tasks = actions.visible(actor, Task.objects.filter(event=event))  # a grid worker: their grids'
    counts = dict(tasks.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    bodies = dict(event.bodies.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    overdue = actions.overdue(tasks, now)
    open_rows = sorted(
        actions.open_tasks(tasks).select_related("body", "grid"),
        key=lambda t: (not t.overdue, t.deadline, t.pk),
    )
    checkins = CheckIn.objects.filter(event=event)
    s = Situation(
        event=event,
        at=now,
        bodies=bodies,
        tasks_total=sum(counts.values()),
        tasks_done=counts.get(TaskState.DONE, 0),
        tasks_open=sum(n for k, n in counts.items() if k != TaskState.DONE),
        tasks_overdue=overdue.count(),
        done_today=tasks.filter(done_at__gte=day_start).count(),
        checkins_today=checkins.filter(at__gte=day_start).count(),
        open_tasks=open_rows[:100],
        checkins=list(checkins.select_related("user", "task")[:20]),
    )
    if event.campaign_id is not None:
        from fengqiao.campaigns.screening import rollup, visible_campaigns

        campaign = visible_campaigns(actor).filter(pk=event.campaign_id).first()
        if campaign is not None:
            s.rollup = rollup(actor, campaign)
            s.campaign_total = s.rollup["district"][0] if s.rollup["district"] else None
    s.incidents = incidents(actor, event)
    return s


def incidents(actor: Any, event: Event) -> list[dict[str, Any]]:
    """The event's cases the viewer may see, with their place for the map."""
    from fengqiao.cases.models import Case

    qs = access_for(actor).visible(
        Case.objects.filter(pk__in=event.cases.values("pk")), Perm.CASE_VIEW
    )
    return [
        {
            "id": c.pk,
            "number": c.tracking_number,
            "title": c.title,
            "state": str(c.get_state_display()),
            "lat": c.lat,
            "lng": c.lon,
        }
        for c in qs.order_by("-pk")[:200]
    ]


def hours_left(task: Task, now: Any = None) -> float:
    delta: timedelta = task.deadline - (now or timezone.now())
    return round(delta.total_seconds() / 3600, 1)
