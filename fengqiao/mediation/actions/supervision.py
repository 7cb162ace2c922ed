"""The judicial office (司法所) over the people's mediation committees of its street (人民调解法
art. 5): which committees it guides, their overdue disputes, and its reviews of hard cases.

The role `judicial_office` holds `mediation.supervise` over its street (a region assignment);
everything here is narrowed to that scope. It reads registers, dossiers and figures through the
same scoped queries as the mediators (`workflow.readable_q`), and may record a review or a piece
of guidance on a dispute (`record_review`), nothing else.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import now, require
from fengqiao.cases.errors import InvalidInput
from fengqiao.core import audit
from fengqiao.org.models import Unit, UnitKind

from ..models import OPEN_STATES, Mediation, SupervisionReview
from ..workflow import transition
from .base import begin


def _access(actor: Any) -> Access:
    return actor if isinstance(actor, Access) else access_for(actor)


def supervised_committees(actor: Any) -> QuerySet:
    """The active mediation committees inside the actor's supervision scope."""
    access = _access(actor)
    if not access.has_perm(Perm.MEDIATION_SUPERVISE):
        return Unit.objects.none()
    scope = access.scope(Perm.MEDIATION_SUPERVISE)
    return Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True).filter(
        scope.q(path="region__path", unit="id")
    )


def supervised_mediations(actor: Any) -> QuerySet:
    """The mediations of the committees the actor supervises (nothing without the role)."""
    return _access(actor).visible(Mediation.objects.all(), Perm.MEDIATION_SUPERVISE)


def overdue_q() -> Q:
    """Open and past the time limit (marked by the sweep, or due before now)."""
    return Q(state__in=OPEN_STATES) & (Q(is_overdue=True) | Q(due__lt=now()))


def overdue_mediations(actor: Any) -> QuerySet:
    return (
        supervised_mediations(actor)
        .filter(overdue_q())
        .select_related("case", "committee", "lead_mediator__user")
        .order_by("due", "id")
    )


@dataclass
class CommitteeLine:
    committee: Unit
    open: int
    overdue: int
    reviews: int


def committee_lines(actor: Any) -> list[CommitteeLine]:
    """Per supervised committee: open disputes, overdue ones, reviews recorded."""
    committees = list(supervised_committees(actor).select_related("region").order_by("name"))
    counts = {
        row["committee_id"]: row
        for row in supervised_mediations(actor)
        .values("committee_id")
        .annotate(
            open=Count("id", filter=Q(state__in=OPEN_STATES), distinct=True),
            overdue=Count("id", filter=overdue_q(), distinct=True),
            reviews=Count("reviews", distinct=True),
        )
    }
    return [
        CommitteeLine(
            c,
            counts.get(c.pk, {}).get("open", 0),
            counts.get(c.pk, {}).get("overdue", 0),
            counts.get(c.pk, {}).get("reviews", 0),
        )
        for c in committees
    ]


def recent_reviews(actor: Any, limit: int = 20) -> list[SupervisionReview]:
    return list(
        SupervisionReview.objects.filter(mediation__in=supervised_mediations(actor))
        .select_related("mediation", "by")
        .order_by("-at", "-id")[:limit]
    )


def record_review(
    actor: Any, mediation: Mediation | int, *, kind: str, note: str
) -> SupervisionReview:
    """The judicial office's review of a hard case, or guidance, on one dispute of its street."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "review")
        if kind not in SupervisionReview.Kind.values:
            raise InvalidInput("kind", "choice", _("Choose review or guidance."))
        require("note", note, _("Write the review or guidance."))
        r = SupervisionReview.objects.create(
            mediation=m, kind=kind, at=now(), by=actor, note=note.strip()
        )
        transition(m, "review", actor, note=note.strip()[:200], data={"review": r.pk, "kind": kind})
        audit.record(actor, "create", r, {"kind": [None, kind]})
    return r
