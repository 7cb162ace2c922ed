"""Open warnings by level in the monitoring room (registered by the web layer with
analytics.panels): each figure a link to the warning list of that level, scoped like it."""

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.risk import actions
from fengqiao.risk.models import OPEN_WARNING_STATES, Level


def open_by_level(user: Any) -> dict[str, int]:
    qs = actions.visible_warnings(user).filter(state__in=OPEN_WARNING_STATES)
    found = dict(qs.order_by().values_list("level").annotate(n=Count("id")))
    return {value: found.get(value, 0) for value in Level.values}


def panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not access_for(user).has_perm(Perm.RISK_VIEW):
        return None
    base = reverse("risk:home")
    counts = open_by_level(user)
    rows = [
        {
            "text": f"{label}: {counts[value]}",
            "url": base + "?" + urlencode({"state": "open", "level": value}),
            "tag": _("open") if counts[value] else "",
        }
        for value, label in reversed(Level.choices)
    ]
    return {"title": _("Open warnings by level"), "empty": "", "rows": rows}
