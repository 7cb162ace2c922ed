"""The registry's figures in the monitoring room (registered by the web layer with
analytics.panels, which stands above this app): key persons by kind, visits overdue and the
visit completion rate, each a link to the key-person list behind it; scoped like that list."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.registry.models import KeyPerson


def figures(user: Any) -> dict[str, Any] | None:
    access = access_for(user)
    if not access.has_perm(Perm.REGISTRY_VIEW):
        return None
    qs = access.visible(KeyPerson.objects.filter(active=True), Perm.REGISTRY_VIEW)
    by_kind = list(
        qs.values("kind_id", "kind__name")
        .annotate(n=Count("id"))
        .order_by("kind__order", "kind_id")
    )
    total = sum(r["n"] for r in by_kind)
    overdue = qs.filter(next_visit_due__lt=timezone.localdate()).count()
    rate = None
    if total:
        rate = (Decimal(total - overdue) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return {"by_kind": by_kind, "total": total, "overdue": overdue, "rate": rate}


def panel(request: HttpRequest) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    f = figures(user)
    if f is None:
        return None
    base = reverse("registry:key_persons")
    rows = [
        {
            "text": _("Key persons: %(n)d") % {"n": f["total"]},
            "url": base,
            "tag": "",
        },
        {
            "text": _("Visits overdue: %(n)d") % {"n": f["overdue"]},
            "url": base + "?" + urlencode({"state": "overdue"}),
            "tag": _("overdue") if f["overdue"] else "",
        },
        {
            "text": _("Visit completion rate: %(rate)s")
            % {"rate": f"{f['rate']}%" if f["rate"] is not None else "—"},
            "url": base,
            "tag": "",
        },
    ]
    for r in f["by_kind"]:
        rows.append(
            {
                "text": f"{r['kind__name']}: {r['n']}",
                "url": base + "?" + urlencode({"kind": r["kind_id"]}),
                "tag": "",
            }
        )
    return {"title": _("Key persons and visits"), "empty": _("No key persons."), "rows": rows}
