"""What a mediator looks at first (read only)."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fengqiao.cases.actions.base import now

from ..models import OPEN_STATES, Agreement, Mediator, PerformanceItem, Session
from .base import visible_mediations


def mediator_of(user: Any) -> QuerySet:
    return Mediator.objects.filter(user=user, active=True)


def workbench(user: Any) -> dict[str, Any]:
    """The mediator's disputes (the overdue ones apart), the next sessions, agreements awaiting
    signatures or performance, confirmations due."""
    mine = (
        visible_mediations(user)
        .filter(Q(mediators__user=user) | Q(lead_mediator__user=user))
        .distinct()
    )
    at = now()
    open_ = mine.filter(state__in=OPEN_STATES).select_related("case", "committee")
    sessions = (
        Session.objects.filter(mediation__in=mine, at__gte=at, minutes="")
        .select_related("mediation")
        .order_by("at")[:20]
    )
    awaiting_signatures = list(
        Agreement.objects.filter(
            mediation__in=mine, form=Agreement.Form.WRITTEN, effective_at__isnull=True
        ).select_related("mediation")
    )
    open_items = (
        PerformanceItem.objects.filter(agreement__mediation__in=mine, done_at__isnull=True)
        .select_related("agreement__mediation", "obligor")
        .order_by("due_date")
    )
    today = timezone.localdate()
    confirmations = [
        a
        for a in Agreement.objects.filter(
            mediation__in=mine, effective_at__isnull=False, confirmation__isnull=True
        ).select_related("mediation")
        if a.confirmation_due >= today
    ]
    confirmations.sort(key=lambda a: a.confirmation_due)
    open_list = list(open_.order_by("due", "id"))
    return {
        "open": open_list,
        "overdue": [m for m in open_list if m.due is not None and m.due < at],
        "sessions": list(sessions),
        "awaiting_signatures": awaiting_signatures,
        "open_items": list(open_items),
        "confirmations": confirmations,
    }
