"""A full recount of the measures straight from the case tables, without the facts.

Slow on purpose (it scans cases): used by tests and by `verify_facts` to prove the aggregates
equal a recount. It is a second, independent formulation of facts.MEASURES.
"""

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from fengqiao.analytics.indicators import INDICATORS, Filters, Value, compute, org_count
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    FollowUpVisit,
    Satisfaction,
    SupervisionCard,
    SupervisionLevel,
)
from fengqiao.cases.workflow import OPEN
from fengqiao.mediation import counting as mediation
from fengqiao.mediation.models import Mediation, MediationState

CONCLUDED = (CaseState.RESOLVED, CaseState.CLOSED)


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(filters.period.start, time.min))
    end = timezone.make_aware(datetime.combine(filters.period.end + timedelta(days=1), time.min))
    return start, end


def in_region(path: str) -> Q:
    """Cases inside the region at `path` as their places are NOW: the grid's community, else the
    case's own most precise region, by those regions' current paths. Not by the region path the
    case copied, so a copy left stale by a move (fengqiao.cases.relocate) shows up as a
    difference between the figures and this recount."""
    no_grid = Q(grid__isnull=True)
    return (
        Q(grid__isnull=False, grid__community__path__startswith=path)
        | (no_grid & Q(community__path__startswith=path))
        | (no_grid & Q(community__isnull=True, street__path__startswith=path))
        | (
            no_grid
            & Q(community__isnull=True, street__isnull=True, district__path__startswith=path)
        )
    )


def _cases(filters: Filters, kind: str) -> QuerySet:
    f = filters
    qs = Case.objects.filter(f.scope.q(path="region_path", grid="grid_id", unit="handling_unit_id"))
    if f.region is not None:
        qs = qs.filter(in_region(f.region.path))
    if f.grid is not None:
        qs = qs.filter(grid_id=f.grid.pk)
    if f.unit is not None:
        qs = qs.filter(handling_unit_id=f.unit.pk)
    if f.category is not None:
        qs = qs.filter(category__path__startswith=f.category.path)
    if f.channel is not None:
        qs = qs.filter(channel_id=f.channel.pk)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def _mediations(name: str, filters: Filters, kind: str) -> int:
    """Mediation measures straight from the mediations: placed by the committee (its region
    path; the committee as the unit; never in a grid), accepted in the period, not refused."""
    f = filters
    qs = Mediation.objects.filter(f.scope.q(path="committee__region__path", unit="committee_id"))
    if f.grid is not None:
        return 0
    if f.region is not None:
        qs = qs.filter(committee__region__path__startswith=f.region.path)
    if f.unit is not None:
        qs = qs.filter(committee_id=f.unit.pk)
    if f.category is not None:
        qs = qs.filter(case__category__path__startswith=f.category.path)
    if f.channel is not None:
        qs = qs.filter(case__channel_id=f.channel.pk)
    if kind:
        qs = qs.filter(case__kind=kind)
    start, end = _bounds(f)
    qs = qs.filter(accepted_at__gte=start, accepted_at__lt=end).exclude(
        state__in=[MediationState.REGISTERED, MediationState.REFUSED]
    )
    if name == mediation.SUCCESSFUL:
        qs = qs.filter(state=MediationState.AGREED)
    elif name == mediation.FAILED:
        qs = qs.filter(state=MediationState.FAILED)
    return qs.count()


def measure(name: str, filters: Filters, kind: str = "") -> int:
    if name in mediation.MEASURES:
        return _mediations(name, filters, kind)
    cases = _cases(filters, kind)
    start, end = _bounds(filters)

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    if name == "registered":
        return cases.filter(within("created_at"), merged_into__isnull=True).count()
    if name == "merged":
        return cases.filter(within("created_at"), merged_into__isnull=False).count()
    if name == "resolved":
        return (
            cases.filter(within("created_at"), merged_into__isnull=True, state__in=CONCLUDED)
            .exclude(outcome_success=False)
            .count()
        )
    if name == "accepted":
        return cases.filter(within("accepted_at")).count()
    if name == "open_overdue":
        return cases.filter(within("handle_due"), state__in=OPEN, is_overdue=True).count()
    if name in ("visit", "visit_satisfied"):
        visits = FollowUpVisit.objects.filter(within("visited_at"), case__in=cases)
        if name == "visit_satisfied":
            visits = visits.filter(
                satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY]
            )
        return visits.count()
    if name == "reopen":
        return CaseHistory.objects.filter(within("at"), action="reopen", case__in=cases).count()
    if name in ("card_yellow", "card_red"):
        level = SupervisionLevel.RED if name == "card_red" else SupervisionLevel.YELLOW
        return SupervisionCard.objects.filter(
            within("raised_at"), level=level, case__in=cases
        ).count()
    # Measures of concluded cases: finish = resolved_at, else closed_at.
    total = 0
    for c in cases.filter(state__in=CONCLUDED).only(
        "created_at", "resolved_at", "closed_at", "handle_due", "is_overdue", "outcome_success"
    ):
        finish = c.resolved_at or c.closed_at
        if finish is None or not (start <= finish < end):
            continue
        if name == "concluded":
            total += 1
        elif name == "handling_minutes":
            total += max(0, int((finish - c.created_at).total_seconds() // 60))
        elif name == "concluded_on_time":
            total += int(not c.is_overdue and (c.handle_due is None or finish <= c.handle_due))
        elif name == "with_outcome":
            total += int(c.outcome_success is not None)
        elif name == "success":
            total += int(c.outcome_success is True)
        else:
            raise KeyError(name)
    return total


def recount(codes: Sequence[str], filters: Filters) -> dict[str, Value]:
    """The indicators' current values, recounted from the case tables."""
    out = {}
    for code in codes:
        ind = INDICATORS[code]
        if ind.org:
            n = org_count(code, filters)
            out[code] = Value(n, n, None)
            continue
        num = sum(measure(m, filters, ind.kind) for m in ind.numerator)
        den = sum(measure(m, filters, ind.kind) for m in ind.denominator)
        out[code] = compute(ind, num, den if ind.denominator else None)
    return out
