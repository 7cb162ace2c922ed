"""Running campaigns' completion in the monitoring room (registered by the web layer with
analytics.panels): screened / to screen per campaign over the user's scope, each a link to
the campaign's roll-up (and to the households not screened yet)."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.campaigns import screening
from fengqiao.campaigns.models import CampaignState


def panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    running = list(
        screening.visible_campaigns(user)
        .filter(state=CampaignState.ACTIVE)
        .order_by("ends_on")[:10]
    )
    if not running:
        return None
    rows = []
    for c in running:
        grid = screening.rollup(user, c)["grid"]
        target = sum(r.target for r in grid)
        done = sum(r.screened for r in grid)
        waiting = sum(r.not_screened for r in grid)
        rate = f"{100.0 * done / target:.1f}%" if target else "—"
        rows.append(
            {
                "text": _("%(name)s: %(rate)s (%(done)d / %(target)d)")
                % {"name": c.name, "rate": rate, "done": done, "target": target},
                "url": reverse("campaigns:campaign", args=[c.pk]),
                "tag": _("unfinished") if target and done < target else "",
            }
        )
        if waiting:
            rows.append(
                {
                    "text": _("%(name)s: registry households not screened: %(n)d")
                    % {"name": c.name, "n": waiting},
                    "url": reverse("campaigns:not_screened", args=[c.pk]),
                    "tag": "",
                }
            )
    return {"title": _("Screening campaigns: completion"), "empty": "", "rows": rows}
