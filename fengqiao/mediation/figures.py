"""Mediation figures: accepted, successful, failed and the success rate with its formula and
rounding, overall and by dispute type, committee and mediator. The monitoring room reuses
`mediation_figures`; every figure is scoped by fengqiao.accounts.access.

调解成功率 = 调解成功数 / 受理数, rounded half up to two decimals, and the formula is stated next
to the figure (STANDARDS.md: "3872 / 3940 = 98.27 %, which is 98.2 % only if truncated").
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm

from .models import Mediation, MediationState
from .services import committee_q


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    value: Decimal | None  # percent, two decimals; None when nothing was accepted
    text: str


def success_rate(successful: int, accepted: int) -> Rate:
    """The success rate with its formula and rounding spelled out."""
    if accepted == 0:
        return Rate(
            successful, 0, None, "调解成功率 = 调解成功数 / 受理数 = 0 / 0（无受理数，不计算）"
        )
    value = (Decimal(successful) * 100 / Decimal(accepted)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    text = (
        f"调解成功率 = 调解成功数 / 受理数 = {successful} / {accepted} = {value}%"
        "（四舍五入保留两位小数）"
    )
    return Rate(successful, accepted, value, text)


@dataclass
class Row:
    key: str
    label: str
    accepted: int = 0
    successful: int = 0
    failed: int = 0
    open: int = 0

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
    """Mediations the actor handles (MEDIATION_HANDLE) or counts (STATS_VIEW), by committee."""
    q = committee_q(access)
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
    """Mediations accepted (受理) in the period, inside the actor's scope."""
    access = actor if isinstance(actor, Access) else access_for(actor)
    lo, hi = _bounds(date_from, date_to)
    qs = scoped_mediations(access).filter(accepted_at__gte=lo, accepted_at__lt=hi)
    if committee_ids:
        qs = qs.filter(committee_id__in=list(committee_ids))
    return qs


def _count(row: Row, state: str) -> None:
    row.accepted += 1
    if state == MediationState.AGREED:
        row.successful += 1
    elif state == MediationState.FAILED:
        row.failed += 1
    elif state in (MediationState.ACCEPTED, MediationState.IN_SESSION):
        row.open += 1


def mediation_figures(actor: Any, date_from: date, date_to: date, *, committee_ids=None) -> Figures:
    """Accepted / successful / failed / success rate in [date_from, date_to] (accepted date),
    overall and by dispute type, committee and lead mediator."""
    rows = (
        accepted_in(actor, date_from, date_to, committee_ids)
        .filter(~Q(state=MediationState.REGISTERED))
        .values_list(
            "state",
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
    for state, cat_code, cat_name, cid, cname, mid, mname in rows:
        _count(total, state)
        for dim, key, label in (
            ("type", cat_code, cat_name),
            ("committee", cid, cname),
            ("mediator", mid, mname or "（未指定）"),
        ):
            row = groups[dim].setdefault(key, Row(str(key or ""), label or ""))
            _count(row, state)

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
