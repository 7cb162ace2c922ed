"""The indicator registry: every figure of the monitoring room is defined here, once.

An indicator names the measures it sums (see facts.MEASURES), its formula as shown beside the
figure, what counts, which day places a case in a period, and its rounding. Pages, the API,
the ledgers' headers and the reports all call `evaluate` / `breakdown` / `trend` below, so a
figure cannot differ between them.

Rounding (stated beside every figure), in Decimal arithmetic from the exact quotient:
- rates: numerator × 100 ÷ denominator as a percentage, by default 2 decimals, ROUND_HALF_UP
  (3872 / 3940 = 98.2741… → 98.27 %); no denominator → no rate ("—").
- average handling time: calendar days (minutes ÷ 1440), by default 1 decimal, ROUND_HALF_UP.
- counts: exact integers.
An administrator may state another precision and rounding per indicator (models.IndicatorDisplay:
decimals, half up or truncate) so that a figure is reproduced as the district published it:
truncated to one decimal, 3872 / 3940 shows 98.2 %.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import partial, reduce
from operator import or_
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models import Value as SQLValue
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from fengqiao.accounts.access import Scope
from fengqiao.analytics.models import (
    ROLLUPS,
    CaseFact,
    IndicatorDisplay,
    Rollup,
    RollupSpec,
    Rounding,
    cut_path,
    path_depth,
)
from fengqiao.analytics.periods import Period
from fengqiao.cases import reference
from fengqiao.cases.models import CaseKind, Category, Channel
from fengqiao.core import refdata
from fengqiao.core.inputs import is_ascii_digits
from fengqiao.mediation import counting as mediation
from fengqiao.org.models import Unit
from fengqiao.territory.models import Grid, Region

PERCENT = "percent"
DAYS = "days"
COUNT = "count"

# The default precision of each style; an IndicatorDisplay row overrides it per indicator.
DEFAULT_DECIMALS = {PERCENT: 2, DAYS: 1, COUNT: 0}
ROUNDING_MODES = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.TRUNCATE: ROUND_DOWN}
UNIT_TEXT = {PERCENT: _("percentage"), DAYS: _("calendar days")}
ROUNDING_TEXT = {
    Rounding.HALF_UP: _("%(unit)s with %(n)d decimals, rounded half up (ROUND_HALF_UP)"),
    Rounding.TRUNCATE: _("%(unit)s truncated to %(n)d decimals (ROUND_DOWN)"),
}


@dataclass(frozen=True)
class Precision:
    decimals: int
    rounding: str  # a Rounding value

    def apply(self, exact: Decimal) -> Decimal:
        """`exact` to `decimals` places by the rounding (Decimal arithmetic, no float)."""
        return exact.quantize(
            Decimal(1).scaleb(-self.decimals), rounding=ROUNDING_MODES[self.rounding]
        )


def _load_precisions() -> dict[str, Precision]:
    return {
        row.indicator: Precision(row.decimals, row.rounding)
        for row in IndicatorDisplay.objects.all()
    }


def precision_of(code: str, style: str) -> Precision:
    """The precision an indicator is shown with: its administrator's row, else the style's."""
    found = refdata.get("analytics.indicator_display", _load_precisions).get(code)
    return found or Precision(DEFAULT_DECIMALS.get(style, 0), Rounding.HALF_UP)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    formula: Promise
    counts: Promise
    period_field: Promise
    style: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    kind: str = ""  # the case kind the indicator is about ("" = every kind)
    org: bool = False  # a count of organisation data (a snapshot, not per period)

    @property
    def precision(self) -> Precision:
        return precision_of(self.code, self.style)

    @property
    def rounding(self) -> str:
        """The rounding as stated beside the figure (follows the administrator's setting)."""
        if self.style == COUNT:
            return str(_("exact count"))
        p = self.precision
        return str(ROUNDING_TEXT[p.rounding]) % {"unit": UNIT_TEXT[self.style], "n": p.decimals}

    @property
    def drill_measures(self) -> dict[str, tuple[str, ...]]:
        parts = {"numerator": self.numerator}
        if self.denominator:
            parts["denominator"] = self.denominator
        return parts if not self.org else {}


def _i(code, name, formula, counts, period_field, style, num=(), den=(), kind="", org=False):
    return Indicator(code, name, formula, counts, period_field, style, num, den, kind, org)


REGISTERED_DAY = _("the day the case was registered")
CONCLUDED_DAY = _("the day the case was resolved (closed, if never resolved)")

INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in [
        _i("screened", _("disputes screened"), _("disputes registered in the period"),
           _("every case of kind dispute, from every channel (screening, reports, hotlines …), "
             "except repeat reports merged into another case"),
           REGISTERED_DAY, COUNT, ("registered",), kind=CaseKind.DISPUTE),
        _i("resolved", _("disputes resolved"),
           _("disputes registered in the period that are now resolved or closed"),
           _("screened disputes in state resolved or closed whose outcome is not recorded as "
             "unsuccessful"),
           REGISTERED_DAY, COUNT, ("resolved",), kind=CaseKind.DISPUTE),
        _i("resolution_rate", _("dispute resolution rate"),
           _("disputes resolved ÷ disputes screened × 100%"),
           _("the disputes registered in the period: how many of them are resolved"),
           REGISTERED_DAY, PERCENT, ("resolved",), ("registered",), kind=CaseKind.DISPUTE),
        _i("dispute_success_rate", _("dispute handling success rate"),
           _("disputes concluded successfully ÷ disputes concluded with a recorded result × 100%"),
           _("disputes resolved or closed in the period whose result (success or failure) is "
             "recorded, from every channel"),
           CONCLUDED_DAY, PERCENT, ("success",), ("with_outcome",), kind=CaseKind.DISPUTE),
        # People's mediation: the definition of fengqiao.mediation.counting (the one the
        # mediation figures use), placed by the committee.
        _i("mediation_success_rate", mediation.RATE_NAME, mediation.RATE_FORMULA,
           mediation.COUNTS, mediation.PERIOD_DAY, PERCENT, (mediation.SUCCESSFUL,),
           (mediation.ACCEPTED,)),
        _i("mediation_accepted", _("mediations accepted"), _("mediations accepted in the period"),
           mediation.COUNTS, mediation.PERIOD_DAY, COUNT, (mediation.ACCEPTED,)),
        _i("mediation_successful", _("mediations successful"),
           _("mediations accepted in the period whose agreement is in effect"),
           mediation.COUNTS, mediation.PERIOD_DAY, COUNT, (mediation.SUCCESSFUL,)),
        _i("mediation_failed", _("mediations failed"),
           _("mediations accepted in the period that failed"),
           mediation.COUNTS, mediation.PERIOD_DAY, COUNT, (mediation.FAILED,)),
        _i("registered", _("cases registered"), _("cases registered in the period"),
           _("every case of every kind except repeat reports merged into another case"),
           REGISTERED_DAY, COUNT, ("registered",)),
        _i("accepted", _("cases accepted"), _("cases accepted in the period"),
           _("cases whose acceptance falls in the period"),
           _("the day the case was accepted"), COUNT, ("accepted",)),
        _i("concluded", _("cases concluded"), _("cases resolved or closed in the period"),
           _("cases now in state resolved or closed"), CONCLUDED_DAY, COUNT, ("concluded",)),
        _i("on_time_rate", _("on-time rate"),
           _("concluded on time ÷ (concluded + still open and overdue) × 100%"),
           _("on time: never marked overdue and finished by the handle deadline; open overdue "
             "cases count against the rate in the period their deadline fell in"),
           _("conclusion day; for open overdue cases the deadline day"), PERCENT,
           ("concluded_on_time",), ("concluded", "open_overdue")),
        _i("open_overdue", _("open overdue cases"),
           _("cases still open whose handle deadline passed in the period"),
           _("open cases marked overdue by the deadline sweep"),
           _("the day of the handle deadline"), COUNT, ("open_overdue",)),
        _i("avg_handling_days", _("average handling time"),
           _("total time from registration to conclusion ÷ cases concluded (calendar days)"),
           _("cases resolved or closed in the period"), CONCLUDED_DAY, DAYS,
           ("handling_minutes",), ("concluded",)),
        _i("satisfaction_rate", _("satisfaction rate"),
           _("visits rated satisfied or basically satisfied ÷ all visits × 100%"),
           _("every follow-up visit (phone, in person) and every online rating by the reporter"),
           _("the day of the visit"), PERCENT, ("visit_satisfied",), ("visit",)),
        _i("reopen_rate", _("reopen rate"),
           _("reopenings ÷ cases concluded × 100%"),
           _("every reopening of a resolved or closed case (unsatisfied reporter, review)"),
           _("the day of the reopening; concluded: the conclusion day"), PERCENT,
           ("reopen",), ("concluded",)),
        _i("repeat_reports", _("repeat reports"), _("reports merged into another case"),
           _("cases merged into another case as repeat reports"),
           REGISTERED_DAY, COUNT, ("merged",)),
        _i("yellow_cards", _("yellow cards"), _("yellow supervision cards raised in the period"),
           _("every yellow card, by the deadline sweep or by hand"),
           _("the day the card was raised"), COUNT, ("card_yellow",)),
        _i("red_cards", _("red cards"), _("red supervision cards raised in the period"),
           _("every red card, by the deadline sweep or by hand"),
           _("the day the card was raised"), COUNT, ("card_red",)),
        _i("grids", pgettext_lazy("count", "grids"), _("active grids"), _("active grids in the area"),
           _("now (not per period)"), COUNT, org=True),
        _i("grid_workers", pgettext_lazy("count", "grid workers"), _("active grid workers"),
           _("active grid workers serving at least one grid in the area"),
           _("now (not per period)"), COUNT, org=True),
        _i("stations", pgettext_lazy("count", "service stations"), _("active service stations"),
           _("active community / village governance service stations in the area"),
           _("now (not per period)"), COUNT, org=True),
        _i("mediators", pgettext_lazy("count", "mediators"), _("active mediators"),
           _("people holding an active mediator role in the area"),
           _("now (not per period)"), COUNT, org=True),
    ]
}  # fmt: skip

# The figures on a dashboard, in order.
DASHBOARD = (
    "screened",
    "resolved",
    "resolution_rate",
    "dispute_success_rate",
    "mediation_success_rate",
    "mediation_accepted",
    "mediation_successful",
    "mediation_failed",
    "accepted",
    "on_time_rate",
    "open_overdue",
    "avg_handling_days",
    "satisfaction_rate",
    "reopen_rate",
    "repeat_reports",
    "yellow_cards",
    "red_cards",
    "grids",
    "grid_workers",
    "stations",
    "mediators",
)


@dataclass(frozen=True)
class Filters:
    """What to count: always inside `scope` (the user's STATS_VIEW scope), then narrowed."""

    scope: Scope
    period: Period
    region: Region | None = None
    grid: Grid | None = None
    unit: Unit | None = None
    category: Category | None = None
    channel: Channel | None = None

    def with_period(self, period: Period) -> "Filters":
        return Filters(
            self.scope, period, self.region, self.grid, self.unit, self.category, self.channel
        )

    def with_place(self, *, region: Region | None = None, grid: Grid | None = None) -> "Filters":
        return Filters(
            self.scope,
            self.period,
            region if region is not None else self.region,
            grid if grid is not None else self.grid,
            self.unit,
            self.category,
            self.channel,
        )

    def with_category(self, category: Category) -> "Filters":
        return Filters(
            self.scope, self.period, self.region, self.grid, self.unit, category, self.channel
        )


@dataclass
class Value:
    value: Decimal | int | None
    numerator: int | None = None
    denominator: int | None = None

    def display(self, style: str) -> str:
        if self.value is None:
            return "—"
        if style == PERCENT:
            return f"{self.value}%"
        if style == DAYS:
            return pgettext("duration", "%(value)s days") % {"value": self.value}
        return str(self.value)


@dataclass
class Figure:
    indicator: Indicator
    current: Value
    previous: Value | None = None
    last_year: Value | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return self.current.display(self.indicator.style)

    def change(self, other: Value | None) -> Decimal | int | None:
        if other is None or other.value is None or self.current.value is None:
            return None
        return self.current.value - other.value


def compute(ind: Indicator, num: int, den: int | None) -> Value:
    """The value of an indicator from its summed numerator and denominator (rounding here)."""
    if ind.style == COUNT:
        return Value(num, num, None)
    if not den:
        return Value(None, num, den or 0)
    if ind.style == PERCENT:
        exact = Decimal(num) * 100 / Decimal(den)
    else:
        exact = Decimal(num) / Decimal(den) / 1440
    return Value(ind.precision.apply(exact), num, den)


# -- queries over the facts ----------------------------------------------------------------


def _scope_q(f: Filters, **names: str) -> Q:
    """The statistics scope as a condition, or none when the scope holds the whole region asked
    for (the region's own path test then says it all): the same path test twice made
    PostgreSQL expect far fewer rows than there are and, at 10 M cases, scan the rollups."""
    if f.region is not None and f.scope.covers_path(f.region.path):
        return Q()
    return f.scope.q(**names)


def facts(
    filters: Filters, measures: Iterable[str], kind: str | Iterable[str] = "", *, dated: bool = True
) -> QuerySet:
    """The fact rows behind `measures` for `filters` (scope first, then the narrowing);
    `dated=False` leaves the period out (the caller restricts the days)."""
    f = filters
    qs = CaseFact.objects.filter(measure__in=sorted(set(measures)))
    if dated:
        qs = qs.filter(day__gte=f.period.start, day__lte=f.period.end)
    qs = qs.filter(_scope_q(f, path="region_path", grid="grid_id", unit="handling_unit_id"))
    if f.region is not None:
        qs = qs.filter(region_path__startswith=f.region.path)
    if f.grid is not None:
        qs = qs.filter(grid_id=f.grid.pk)
    if f.unit is not None:
        qs = qs.filter(handling_unit_id=f.unit.pk)
    if f.category is not None:
        qs = qs.filter(category_path__startswith=f.category.path)
    if f.channel is not None:
        qs = qs.filter(channel_id=f.channel.pk)
    if isinstance(kind, str):
        if kind:
            qs = qs.filter(kind=kind)
    else:
        qs = qs.filter(kind__in=sorted(kind))
    return qs


def _by_kind(indicators: Sequence[Indicator]) -> dict[str, list[Indicator]]:
    groups: dict[str, list[Indicator]] = defaultdict(list)
    for ind in indicators:
        if not ind.org:
            groups[ind.kind].append(ind)
    return groups


def _measures(inds: Iterable[Indicator]) -> set[str]:
    return {m for i in inds for m in (*i.numerator, *i.denominator)}


def _whole_months(period: Period) -> bool:
    return period.start.day == 1 and (period.end + timedelta(days=1)).day == 1


def _places_depth(filters: Filters) -> int | None:
    """How deep the place restrictions (scope and region filter) go, as region path depth; None
    when a grid, a unit or a scope of grids or units is named (no rollup has them)."""
    f = filters
    if f.grid or f.unit or f.scope.grid_ids or f.scope.unit_ids or not f.scope.region_paths:
        return None
    paths = [*f.scope.region_paths, *([f.region.path] if f.region is not None else [])]
    return max(path_depth(p) for p in paths)


def rollup_for(filters: Filters, group: str | None) -> RollupSpec | None:
    """The rollup that answers these filters exactly (the shallowest deep enough), or None.

    group: None, "month", "category_id" or "area" (the children of the deepest restriction,
    one level down). A path prefix naming at most `depth` regions selects the same facts
    through their cut paths (models.cut_path), so the rollup's sums equal the facts' sums.
    """
    f = filters
    depth = _places_depth(f)
    if depth is None or (f.category is not None and f.channel is not None):
        return None
    dim = "category" if f.category is not None else "channel" if f.channel is not None else ""
    if group == "category_id":
        if f.channel is not None:
            return None
        dim = "category"
    elif group == "area":
        if f.region is None:
            return None
        depth = max(depth, path_depth(f.region.path) + 1)
    elif group not in (None, "month"):
        return None
    grain = "m" if _whole_months(f.period) else "d"
    fits = [s for s in ROLLUPS if s.grain == grain and s.dim == dim and s.depth >= depth]
    return min(fits, key=lambda s: s.depth) if fits else None


def _rollup_rows(
    filters: Filters,
    spec: RollupSpec,
    measures: Iterable[str],
    kind: str | Iterable[str],
    *,
    dated: bool = True,
):
    """The rollup rows of `spec` behind `measures` for `filters`; `kind`: one kind ("" = every
    kind) or a collection of kinds; `dated=False` leaves the period out."""
    f = filters
    qs = Rollup.objects.filter(
        grain=spec.grain, depth=spec.depth, dim=spec.dim, measure__in=sorted(set(measures))
    )
    if dated:
        qs = qs.filter(start__gte=f.period.start, start__lte=f.period.end)
    qs = qs.filter(_scope_q(f, path="area_path"))
    if isinstance(kind, str):
        if kind:
            qs = qs.filter(kind=kind)
    else:
        qs = qs.filter(kind__in=sorted(kind))
    if f.region is not None and path_depth(f.region.path) == spec.depth:
        # Every fact under the region is cut to the region's own path at this depth, so the
        # prefix is an equality; the index (… measure, area_path, start) then bounds the
        # start range too, instead of reading every month or day of the region's places.
        qs = qs.filter(area_path=f.region.path)
    elif f.region is not None:
        qs = qs.filter(area_path__startswith=f.region.path)
    if spec.dim == "category" and f.category is not None:
        qs = qs.filter(
            dim_id__in=Category.objects.filter(path__startswith=f.category.path).values("id")
        )
    if spec.dim == "channel":
        qs = qs.filter(dim_id=f.channel.pk)
    return qs


def _area_id(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if is_ascii_digits(last) else None


def _sums(filters: Filters, inds: Sequence[Indicator], group: str | None) -> dict:
    """{(group value, kind, measure): total} for the indicators' measures, from a rollup when
    one answers exactly (rollup_for), else from the facts. `group`: None, a dimension of the
    facts ("grid_id", "category_id" …), "month", or "area" (rollups only: the id of the
    child region, one level below the restrictions)."""
    return _period_sums(filters, inds, group, [filters.period])[0]


def _period_sums(
    filters: Filters, inds: Sequence[Indicator], group: str | None, periods: Sequence[Period]
) -> list[dict]:
    """`_sums` for each of `periods` (in place of the filter's period), in one query per
    aggregate: every kind at once (grouped by kind; kind "" adds up all kinds) and every period
    as a filtered SUM over the union of their days. Each period still reads the aggregate
    rollup_for chooses for it, so the sums are the ones a query per period and kind gives;
    fewer round trips is what a dashboard of 17 figures × 3 periods needs."""
    outs: dict[Period, dict] = {p: defaultdict(int) for p in periods}
    wanted = {kind: _measures(members) for kind, members in _by_kind(inds).items()}
    if not wanted:
        return [outs[p] for p in periods]
    measures = set().union(*wanted.values())
    kinds = "" if "" in wanted else set(wanted)
    by_spec: dict[RollupSpec | None, list[Period]] = defaultdict(list)
    for p in outs:
        by_spec[rollup_for(filters.with_period(p), group)].append(p)
    for spec, spec_periods in by_spec.items():
        if spec is not None:
            qs = _rollup_rows(filters, spec, measures, kinds, dated=False)
            day, total = "start", "total"
            field_name = {"month": "start", "category_id": "dim_id", "area": "area_path"}.get(
                group or "", group
            )
        else:
            if group == "area":
                raise ValueError("grouping by area needs a rollup")
            qs = facts(filters, measures, kinds, dated=False)
            day, total, field_name = "day", "value", group
            if group == "month":
                field_name = "m"
                qs = qs.annotate(m=TruncMonth("day"))
        ranges = [Q(**{f"{day}__gte": p.start, f"{day}__lte": p.end}) for p in spec_periods]
        sums = {f"s{j}": Sum(total, filter=r) for j, r in enumerate(ranges)}
        if len(ranges) == 1:
            sums = {"s0": Sum(total)}
        if spec is not None and spec.grain == "m":
            # Month rows are few per place and month: one range from the first period's start
            # to the last one's end reads the months between them for less than one index
            # range per period (each range walks every measure's rows of the region: at
            # province level, every city's months). The FILTERs above still sum each period.
            first, last = min(p.start for p in spec_periods), max(p.end for p in spec_periods)
            where = Q(**{f"{day}__gte": first, f"{day}__lte": last})
        else:
            where = reduce(or_, ranges)
        fields = ([field_name] if field_name else []) + ["kind", "measure"]
        rows = qs.filter(where).values(*fields).annotate(**sums).order_by()
        for row in rows:
            key = row[field_name] if field_name else None
            if group == "month":
                key = date(key.year, key.month, 1)
            elif group == "area":  # the child of the region the row's place lies in
                key = _area_id(cut_path(key, path_depth(filters.region.path) + 1))
            measure = row["measure"]
            for kind, kind_measures in wanted.items():
                if measure not in kind_measures or kind not in ("", row["kind"]):
                    continue
                for j, p in enumerate(spec_periods):
                    outs[p][(key, kind, measure)] += row[f"s{j}"] or 0
    return [outs[p] for p in periods]


def _value(ind: Indicator, sums: dict, key: Any) -> Value:
    num = sum(sums.get((key, ind.kind, m), 0) for m in ind.numerator)
    den = sum(sums.get((key, ind.kind, m), 0) for m in ind.denominator)
    return compute(ind, num, den if ind.denominator else None)


# Counts of reference data only (grids, units and the regions they hang on, all watched by
# core.refdata): kept in the process's reference-data snapshot, which every save or delete of
# such a row (and every bulk load) drops. A province's grids are 100,000 rows to count per page.
SNAPSHOT_ORG_CODES = ("grids", "stations")


def _org_values(inds: Sequence[Indicator], filters: Filters) -> dict[str, Value]:
    """The organisation counts among `inds`: reference data from the snapshot, the people
    (grid workers, mediators: not reference data) counted in one statement."""
    orgs = [i for i in inds if i.org]
    people = people_counts([i.code for i in orgs if i.code not in SNAPSHOT_ORG_CODES], filters)
    out = {}
    for ind in orgs:
        if ind.code in SNAPSHOT_ORG_CODES:
            f = filters
            key = (
                f"analytics.org_count:{ind.code}:{f.scope!r}:"
                f"{f.region.pk if f.region else ''}:{f.grid.pk if f.grid else ''}"
            )
            n = refdata.get(key, partial(org_count, ind.code, filters))
        else:
            n = people[ind.code]
        out[ind.code] = Value(n, n, None)
    return out


def org_count(code: str, filters: Filters) -> int:
    """Counts of organisation data inside the scope and the chosen place."""
    rows, counted = _org_rows(code, filters)
    if counted is None:
        return rows.count()
    return int(rows.aggregate(n=Count(counted, distinct=True))["n"])


def people_counts(codes: Sequence[str], filters: Filters) -> dict[str, int]:
    """The counts of `codes` (grid workers, mediators: each person once) in one statement,
    one row per count (UNION ALL)."""
    parts = []
    for code in codes:
        rows, counted = _org_rows(code, filters)
        parts.append(
            rows.annotate(indicator_code=SQLValue(code, output_field=CharField()))
            .values("indicator_code")
            .annotate(n=Count(counted or "pk", distinct=True))
            .values_list("indicator_code", "n")
        )
    if not parts:
        return {}
    found = dict(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    # A part that can match nothing (an empty scope) is left out of the statement: it counts 0.
    return {code: int(found.get(code) or 0) for code in codes}


def _org_rows(code: str, filters: Filters) -> tuple[QuerySet, str | None]:
    """The rows an organisation count counts, and the column that names one person (None:
    each row once)."""
    from fengqiao.accounts.models import RoleAssignment, ScopeType
    from fengqiao.accounts.roles import Role
    from fengqiao.org.models import GridWorker, UnitKind

    scope, region, grid = filters.scope, filters.region, filters.grid
    # As in _scope_q: when the scope holds the whole region, the region's path test says it
    # all; the same prefix tested twice made PostgreSQL expect one row where a province has
    # 100,000 grids and walk them in a nested loop (0.8 s for the grid workers).
    grids = Grid.objects.filter(active=True)
    if region is None or not scope.covers_path(region.path, unit_regions=True):
        grids = grids.filter(scope.q(path="community__path", grid="id", unit_regions=True))
    if region is not None:
        grids = grids.filter(community__path__startswith=region.path)
    if grid is not None:
        grids = grids.filter(pk=grid.pk)
    if code == "grids":
        return grids, None
    if code == "grid_workers":
        return GridWorker.objects.filter(active=True, grids__in=grids.values("id")), "id"
    units = Unit.objects.filter(active=True)
    if region is None or not scope.covers_path(region.path):
        units = units.filter(scope.q(path="region__path", unit="id"))
    if region is not None:
        units = units.filter(region__path__startswith=region.path)
    if grid is not None:
        units = units.filter(region_id=grid.community_id)
    if code == "stations":
        return units.filter(kind=UnitKind.SERVICE_STATION), None
    if code == "mediators":
        q_region = scope.q(path="region__path")
        q_unit = scope.q(path="unit__region__path", unit="unit_id")
        rows = RoleAssignment.objects.filter(role=Role.MEDIATOR, active=True).filter(
            Q(scope_type=ScopeType.REGION) & q_region | Q(scope_type=ScopeType.UNIT) & q_unit
        )
        if region is not None:
            rows = rows.filter(
                Q(region__path__startswith=region.path)
                | Q(unit__region__path__startswith=region.path)
            )
        if grid is not None:
            rows = rows.filter(
                Q(region_id=grid.community_id) | Q(unit__region_id=grid.community_id)
            )
        return rows, "user_id"
    raise KeyError(code)


def evaluate(codes: Sequence[str], filters: Filters, *, compare: bool = True) -> dict[str, Figure]:
    """The figures of `codes` for `filters`, with the previous period and a year before."""
    inds = [INDICATORS[c] for c in codes]
    periods = {"current": filters.period}
    if compare:
        periods["previous"] = filters.period.previous()
        periods["last_year"] = filters.period.last_year()
    values: dict[str, dict[str, Value]] = {}
    all_sums = _period_sums(filters, inds, None, list(periods.values()))
    for label, sums in zip(periods, all_sums, strict=True):
        values[label] = {i.code: _value(i, sums, None) for i in inds if not i.org}
    figures = {}
    org_values = _org_values(inds, filters)
    for ind in inds:
        if ind.org:
            figures[ind.code] = Figure(ind, org_values[ind.code])
        else:
            figures[ind.code] = Figure(
                ind,
                values["current"][ind.code],
                values.get("previous", {}).get(ind.code),
                values.get("last_year", {}).get(ind.code),
            )
    return figures


# Territory breakdown: what the children of a region are, by its level.
CHILD_FIELD = {
    Region.Level.PROVINCE: "region_path",  # handled through the path (city level)
    Region.Level.CITY: "district_id",
    Region.Level.DISTRICT: "street_id",
    Region.Level.STREET: "community_id",
    Region.Level.COMMUNITY: "grid_id",
}


def breakdown_by_place(
    codes: Sequence[str], filters: Filters, region: Region
) -> list[tuple[Any, dict[str, Value]]]:
    """Figures for each child of `region` (streets of a district, grids of a community …)."""
    inds = [INDICATORS[c] for c in codes if not INDICATORS[c].org]
    f = filters.with_place(region=region)
    if region.level >= Region.Level.COMMUNITY:
        children: list = list(Grid.objects.filter(community=region).order_by("code"))
        group = "grid_id"
    else:
        children = child_regions(region)
        group = CHILD_FIELD.get(region.level, "street_id")
        if rollup_for(f, "area") is not None:
            group = "area"
    if group == "region_path":
        # Cities under a province: no city column on the facts, one query per city.
        return [(c, evaluate_plain(inds, f.with_place(region=c))) for c in children]
    sums = _sums(f, inds, group)
    return [(c, {i.code: _value(i, sums, c.pk) for i in inds}) for c in children]


def child_regions(region: Region) -> list[Region]:
    """The regions right below `region`, by code, from the reference-data snapshot (regions are
    watched by core.refdata), without their outlines. Shared by the process: read-only."""

    def load() -> list[Region]:
        return list(Region.objects.filter(parent_id=region.pk).defer("outline").order_by("code"))

    return reference.lazy("analytics.child_regions", region.pk, load)


def evaluate_plain(inds: Sequence[Indicator], filters: Filters) -> dict[str, Value]:
    sums = _sums(filters, inds, None)
    return {i.code: _value(i, sums, None) for i in inds}


class CategoryRow(NamedTuple):
    """One row of breakdown_by_category: the category (drill with filters.with_category), the
    name to show, and its figures."""

    category: Category
    label: str
    values: dict[str, Value]


def breakdown_by_category(
    codes: Sequence[str], filters: Filters, *, nodes: Sequence[Category] | None = None
) -> list[CategoryRow]:
    """Figures per category, only the categories with figures; each row counts its category's
    whole subtree, so it drills to exactly its own cases (filters.with_category(row.category)).

    Which categories: the children of the chosen category (filters.category); with none chosen,
    the roots of the district's own classification (settings.CATEGORY_FAMILY) first, then the
    other family's roots. Then, within each family (the chosen category's children: one group),
    a level whose figures all sit in one category with children says nothing (100 % of it): its
    children take its place, repeatedly, so the rows are the first level where the figures
    split (the two dispute roots give way to 邻里, 劳动争议 … and 施工扰民, 劳资 …). A category
    that holds cases itself (filed on the category, not on a child) is not descended from: a
    row per child would lose those cases, so the rows still add up to the total. (The chosen
    category's own cases are in none of its children's rows, as before.)

    Labels: where two rows carry the same name ("其他" is in both families), the rows outside
    the district's family get the name of their family after it ("其他（司法行政分类）"); the
    other names stay short, for the pie on the big screen.

    `nodes`: the rows to count instead (no choosing, no descent): the categories of another
    breakdown, to compare one period's rows with another's.
    """
    inds = [INDICATORS[c] for c in codes if not INDICATORS[c].org]
    sums = _sums(filters, inds, "category_id")
    # The classification from the reference-data snapshot (categories are watched by
    # core.refdata): three queries fewer per dashboard. Read-only objects.
    everything = refdata.get("analytics.categories", lambda: list(Category.objects.all()))
    paths = {c.pk: c.path for c in everything}
    if nodes is None:
        nodes = _category_rows(filters.category, everything, sums)
    rolled: dict = defaultdict(int)
    for (category_id, kind, measure), total in sums.items():
        path = paths.get(category_id, "")
        for node in nodes:
            if path.startswith(node.path):
                rolled[(node.pk, kind, measure)] += total
                break
    every = [(n, _values(inds, rolled, n.pk)) for n in nodes]
    shown = [(n, vs) for n, vs in every if any(v.numerator or v.denominator for v in vs.values())]
    names = Counter(n.name for n, _v in shown)
    family = settings.CATEGORY_FAMILY
    return [
        CategoryRow(
            n,
            _("%(name)s (%(family)s)") % {"name": n.name, "family": n.get_family_display()}
            if names[n.name] > 1 and n.family != family
            else n.name,
            values,
        )
        for n, values in shown
    ]


def _values(inds: Sequence[Indicator], sums: dict, key: Any) -> dict[str, Value]:
    return {i.code: _value(i, sums, key) for i in inds}


def _category_rows(
    parent: Category | None, everything: Sequence[Category], sums: dict
) -> list[Category]:
    """The categories breakdown_by_category shows (see there), with or without figures."""
    by_parent: dict[int | None, list[Category]] = defaultdict(list)
    for c in sorted(everything, key=lambda c: (c.sort, c.code)):
        by_parent[c.parent_id].append(c)
    paths = {c.pk: c.path for c in everything}
    filed = {paths.get(category_id, "") for (category_id, _k, _m), n in sums.items() if n}
    own = {category_id for (category_id, _k, _m), n in sums.items() if n}

    def descend(level: list[Category]) -> list[Category]:
        while True:
            holding = [c for c in level if any(p.startswith(c.path) for p in filed)]
            if len(holding) != 1 or holding[0].pk in own or not by_parent[holding[0].pk]:
                return level
            level = by_parent[holding[0].pk]

    if parent is not None:
        return descend(by_parent[parent.pk])
    family = settings.CATEGORY_FAMILY
    families = sorted({c.family for c in by_parent[None]}, key=lambda f: (f != family, f))
    return [
        node for f in families for node in descend([c for c in by_parent[None] if c.family == f])
    ]


def trend(codes: Sequence[str], filters: Filters) -> list[tuple[Period, dict[str, Value]]]:
    """Month by month across the filter's period (one grouped query per kind)."""
    inds = [INDICATORS[c] for c in codes if not INDICATORS[c].org]
    sums = _sums(filters, inds, "month")
    return [(p, {i.code: _value(i, sums, p.start) for i in inds}) for p in filters.period.months()]


def drill_case_ids(ind: Indicator, filters: Filters, part: str = "numerator") -> QuerySet:
    """The ids of the cases behind a figure (its numerator or denominator)."""
    measures = ind.drill_measures.get(part, ())
    return (
        facts(filters, measures, ind.kind).values_list("case_id", flat=True).distinct().order_by()
    )
