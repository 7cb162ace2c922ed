"""Mediation figures: accepted, successful, failed and the success rate with its formula and
rounding, overall and by dispute type, committee and lead mediator; every figure is scoped by
fengqiao.accounts.access.

What counts, on which day, the formula and the rounding are defined once, in
fengqiao.mediation.counting. The monitoring room (fengqiao.analytics indicators
mediation_accepted, mediation_successful, mediation_failed, mediation_success_rate) sums the same
definition from its aggregates, so both give the same figures for the same scope and period.

调解成功率 = 调解成功数 / 受理数, rounded half up to two decimals, and the formula is stated next
to the figure (STANDARDS.md: "3872 / 3940 = 98.27 %, which is 98.2 % only if truncated").
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm

from . import counting
from .counting import Rate, success_rate
from .models import Mediation, MediationState
from .workflow import readable_q

__all__ = ["Figures", "Rate", "Row", "mediation_figures", "success_rate"]


@dataclass
class Row:
    key: str
    label: str
    accepted: int = 0
    successful: int = 0
    failed: int = 0
    open: int = 0
    withdrawn: int = 0

    @property
    def rate(self) -> Rate:
        return success_rate(self.successful, self.accepted)

    def as_dict(self) -> dict[str, Any]:
        r = self.rate
        return {
            "key": self.key,
            "label": self.label,
            "accepted": self.accepted,
            "successful": self.successful,
            "failed": self.failed,
            "open": self.open,
            "withdrawn": self.withdrawn,
            "success_rate": None if r.value is None else str(r.value),
            "formula": r.text,
        }


@dataclass
class Figures:
    date_from: date
    date_to: date
    total: Row
    by_type: list[Row] = field(default_factory=list)
    by_committee: list[Row] = field(default_factory=list)
    by_mediator: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "total": self.total.as_dict(),
            "by_type": [r.as_dict() for r in self.by_type],
            "by_committee": [r.as_dict() for r in self.by_committee],
            "by_mediator": [r.as_dict() for r in self.by_mediator],
        }


def scoped_mediations(access: Access) -> QuerySet:
    """Mediations the actor handles (MEDIATION_HANDLE), supervises (MEDIATION_SUPERVISE, the
    judicial office) or counts (STATS_VIEW), by committee.
    The STATS_VIEW part selects what the monitoring room's scope selects (committee's region
    path or the committee as a unit: see counting)."""
    q = readable_q(access)
    if access.has_perm(Perm.STATS_VIEW):
        q |= access.scope(Perm.STATS_VIEW).q(path="committee__region__path", unit="committee_id")
    return Mediation.objects.filter(q)


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def accepted_in(actor: Any, date_from: date, date_to: date, committee_ids=None) -> QuerySet:
    """Mediations accepted (受理) in the period, inside the actor's scope (refused ones too:
    `counting.outcome` decides what counts)."""
    access = actor if isinstance(actor, Access) else access_for(actor)
    lo, hi = _bounds(date_from, date_to)
    qs = scoped_mediations(access).filter(accepted_at__gte=lo, accepted_at__lt=hi)
    if committee_ids:
        qs = qs.filter(committee_id__in=list(committee_ids))
    return qs


def _count(row: Row, outcome: str) -> None:
    row.accepted += 1
    if outcome == counting.SUCCESS:
        row.successful += 1
    elif outcome == counting.FAILURE:
        row.failed += 1
    elif outcome == counting.WITHDRAWN:
        row.withdrawn += 1
    else:
        row.open += 1


def mediation_figures(actor: Any, date_from: date, date_to: date, *, committee_ids=None) -> Figures:
    """Accepted / successful / failed / success rate in [date_from, date_to] (accepted date),
    overall and by dispute type, committee and lead mediator."""
    rows = (
        accepted_in(actor, date_from, date_to, committee_ids)
        .exclude(state__in=[MediationState.REGISTERED, MediationState.REFUSED])
        .values_list(
            "state",
            "accepted_at",
            "case__category__code",
            "case__category__name",
            "committee_id",
            "committee__name",
            "lead_mediator_id",
            "lead_mediator__user__name",
        )
    )
    total = Row("total", "合计")
    groups: dict[str, dict[Any, Row]] = defaultdict(dict)
    for state, accepted_at, cat_code, cat_name, cid, cname, mid, mname in rows:
        outcome = counting.outcome(state, accepted_at)
        if outcome is None:
            continue
        _count(total, outcome)
        for dim, key, label in (
            ("type", cat_code, cat_name),
            ("committee", cid, cname),
            ("mediator", mid, mname or "（未指定）"),
        ):
            row = groups[dim].setdefault(key, Row(str(key or ""), label or ""))
            _count(row, outcome)

    def ordered(dim: str) -> list[Row]:
        return sorted(groups[dim].values(), key=lambda r: (-r.accepted, r.label))

    return Figures(
        date_from,
        date_to,
        total,
        ordered("type"),
        ordered("committee"),
        ordered("mediator"),
    )
