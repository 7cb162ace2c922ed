"""The sections of the phone app's 今日 page, built from a small list of providers.

A provider takes the request and the user's access and returns a `Section` (or None when it has
nothing for this user). The tasks section is built in; other apps add theirs at merge time with
`register(provider)` (e.g. key-person visits due, from fengqiao.registry), in the order shown.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access
from fengqiao.cases.models import Task
from fengqiao.web.workbench import OPEN_TASK_STATES, due_state


@dataclass
class Section:
    key: str
    title: Any
    template: str  # renders `section.items`
    items: list[Any] = field(default_factory=list)
    empty: Any = ""


Provider = Callable[[HttpRequest, Access], Section | None]


def my_tasks(user: Any) -> list[Task]:
    """The current tasks a station assigned to the user, overdue first, then by due time."""
    tasks = list(
        Task.objects.filter(assignee_id=user.pk, active=True, state__in=OPEN_TASK_STATES)
        .select_related("case", "case__category", "unit")
        .order_by("due", "id")[:200]
    )
    now = timezone.now()
    states = {t.pk: due_state(t.due, now) for t in tasks}
    for t in tasks:
        setattr(t, "due_state", states[t.pk])  # noqa: B010 (shown by the template)
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    tasks.sort(key=lambda t: (states[t.pk] != "overdue", t.due or far, t.pk))
    return tasks


def tasks_section(request: HttpRequest, access: Access) -> Section | None:
    tasks = my_tasks(request.user)
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


PROVIDERS: list[Provider] = [tasks_section, visits_section]


def register(provider: Provider) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def today_sections(request: HttpRequest, access: Access) -> list[Section]:
    return [s for s in (p(request, access) for p in PROVIDERS) if s is not None]
