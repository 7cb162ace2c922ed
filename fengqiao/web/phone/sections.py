"""The sections of the phone app's 今日 page, built from a small list of providers.

A provider takes the request and the user's access and returns a `Section` (or None when it has
nothing for this user). The tasks section is built in; other apps add theirs at merge time with
`register(provider)` (e.g. key-person visits due, from fengqiao.registry), in the order shown.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access
from fengqiao.web.workbench import assigned_tasks, grid_emergency_tasks


@dataclass
class Section:
    key: str
    title: Any
    template: str  # renders `section.items`
    items: list[Any] = field(default_factory=list)
    empty: Any = ""


Provider = Callable[[HttpRequest, Access], Section | None]


def tasks_section(request: HttpRequest, access: Access) -> Section | None:
    tasks = assigned_tasks(request.user)
    today = timezone.localdate()
    due = [t for t in tasks if t.due is None or timezone.localdate(t.due) <= today]
    later = [t for t in tasks if t not in due]
    return Section(
        "tasks",
        _("Tasks due today"),
        "phone/_tasks.html",
        due + later,
        _("No task from your station."),
    )


def visits_section(request: HttpRequest, access: Access) -> Section | None:
    """Key-person visits due today or overdue (fengqiao.registry), overdue first; those due
    in the next days show on the registry's own due list."""
    from fengqiao.registry.visits import visits_due_for

    rows = [
        r
        for r in visits_due_for(request.user, timezone.localdate())
        if r.state in ("overdue", "due")
    ]
    rows.sort(key=lambda r: (r.state != "overdue", r.due_on or timezone.localdate()))
    return Section(
        "visits", _("Visits due today"), "phone/_visits.html", rows, _("No visit due today.")
    )


def emergency_events(user: Any) -> list[Any]:
    """Active emergency events that gave a task to one of the worker's grids (the worker checks in there)."""
    from fengqiao.emergency import actions
    from fengqiao.emergency.models import Event
    from fengqiao.emergency.models import Task as EmergencyTask
    from fengqiao.emergency.workflow import grid_ids

    mine = grid_ids(user)
    if not mine:
        return []
    given = EmergencyTask.objects.filter(grid_id__in=sorted(mine)).values("event_id")
    qs = actions.visible(user, Event.objects.filter(state="active", pk__in=given))
    return list(qs.order_by("-activated_at", "-id")[:10])


def emergency_section(request: HttpRequest, access: Access) -> Section | None:
    """应急任务: shown while an emergency event has tasks for the worker's grids."""
    tasks = grid_emergency_tasks(request.user)
    if not tasks:
        return None
    return Section(
        "emergency", _("Emergency tasks"), "phone/_emergency.html", tasks, _("No emergency task.")
    )


def checkin_section(request: HttpRequest, access: Access) -> Section | None:
    """报到: one small form per active event of the worker's grids."""
    events = emergency_events(request.user)
    if not events:
        return None
    return Section("checkin", _("Emergency check-in"), "phone/_checkin.html", events)


PROVIDERS: list[Provider] = [emergency_section, checkin_section, tasks_section, visits_section]


def register(provider: Provider) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def today_sections(request: HttpRequest, access: Access) -> list[Section]:
    return [s for s in (p(request, access) for p in PROVIDERS) if s is not None]
