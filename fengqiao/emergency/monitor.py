"""The monitoring room's emergency panel: active events, open and overdue emergency tasks,
drills this year; each figure opens the list behind it. Scoped like every other query."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import actions
from .models import Drill, Event, EventState, Task


def figures(user: Any) -> dict[str, int]:
    tasks = actions.visible(user, Task.objects.filter(event__state=EventState.ACTIVE))
    return {
        "active": actions.visible(user, Event.objects.filter(state=EventState.ACTIVE)).count(),
        "open": actions.open_tasks(tasks).count(),
        "overdue": actions.overdue(tasks).count(),
        "drills": actions.visible(
            user, Drill.objects.filter(held_on__year=timezone.localdate().year)
        ).count(),
    }


def panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if (
        not actions.visible(user, Event.objects.all()).exists()
        and not actions.visible(user, Drill.objects.all()).exists()
    ):
        return None  # nothing of emergency command in this user's view: no panel
    f = figures(user)
    year = timezone.localdate().year
    return {
        "title": _("Emergency command"),
        "empty": "",
        "rows": [
            {"text": _("Active events: %(n)s") % {"n": f["active"]},
             "url": reverse("emergency:index") + "?state=active", "tag": ""},
            {"text": _("Open emergency tasks: %(n)s") % {"n": f["open"]},
             "url": reverse("emergency:tasks"), "tag": ""},
            {"text": _("Overdue emergency tasks: %(n)s") % {"n": f["overdue"]},
             "url": reverse("emergency:tasks") + "?overdue=1",
             "tag": _("overdue") if f["overdue"] else ""},
            {"text": _("Drills this year: %(n)s") % {"n": f["drills"]},
             "url": reverse("emergency:drills") + f"?year={year}", "tag": ""},
        ],
    }  # fmt: skip
