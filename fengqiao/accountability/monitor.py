"""Overdue letter tasks, for the monitoring room's panel and the workbench: scoped like every
other query (workflow rules), past their deadline and not done."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for

from .models import LetterTask
from .workflow import VIEW


def overdue_tasks(user: Any, limit: int = 50) -> list[LetterTask]:
    from .actions import overdue

    qs = access_for(user).visible(LetterTask.objects.all(), VIEW)
    return list(
        overdue(qs).select_related("letter__member_unit__unit").order_by("deadline", "id")[:limit]
    )


def overdue_panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    tasks = overdue_tasks(user)
    if not tasks and not access_for(user).visible(LetterTask.objects.all(), VIEW).exists():
        return None  # nothing of the letters in this user's view: no panel
    return {
        "title": _("Responsibility letters: overdue tasks"),
        "empty": _("No overdue tasks."),
        "rows": [
            {
                "text": f"{t.letter.member_unit.unit.name} · {t.seq}. {t.title} · "
                f"{t.deadline:%Y-%m-%d}",
                "url": reverse("accountability:letter", args=[t.letter_id]),
                "tag": _("overdue"),
            }
            for t in tasks
        ],
    }
