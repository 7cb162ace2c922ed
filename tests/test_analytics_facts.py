"""The aggregates (CaseFact, and the Rollup sums the indicators read) equal a full recount from
the case tables, on random histories driven through the real case services, refreshed
incrementally from the case history: every rollup spec, the facts alone, the trend and the
breakdowns by place and by category."""

from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fengqiao.accounts.access import Scope, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators
from fengqiao.analytics.facts import (
    FACT_FIELDS,
    counter_deltas,
    rebuild_all_facts,
    rebuild_counters,
    refresh_from_history,
)
from fengqiao.analytics.indicators import INDICATORS, Filters, evaluate
from fengqiao.analytics.models import ROLLUP_KEY, ROLLUPS, CaseFact, Rollup
from fengqiao.analytics.periods import Period, month, year
from fengqiao.analytics.recount import recount
from fengqiao.cases import actions
from fengqiao.cases.errors import CaseError
from fengqiao.cases.models import Case, Category, Channel
from tests.case_factories import (
    HEPAN_POINT,
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    case_data,
    make_case_world,
)

START = timezone.make_aware(datetime(2025, 12, 20, 9, 0))
CATEGORIES = ["neighbourhood", "marriage_family", "construction_disturbance", "complaint"]
POINTS = [HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT]
CHANNELS = ["resident_report", "screening", "hotline_12345"]

OPS = st.one_of(
    st.tuples(
        st.just("intake"),
        st.sampled_from(CATEGORIES),
        st.sampled_from(POINTS),
        st.sampled_from(CHANNELS),
    ),
    st.tuples(st.just("step"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("step"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("wait"), st.integers(1, 25)),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("refresh")),
)


@pytest.fixture
def cw(world, settings):
    return make_case_world(world)


# What a random step may try from each state (the services still decide).
NEXT = {
    "registered": ["accept", "accept", "cancel", "merge", "yellow"],
    "accepted": ["start", "resolve_ok", "resolve_fail", "merge", "red"],
    "in_progress": ["resolve_ok", "resolve_ok", "resolve_fail", "yellow", "red"],
    "resolved": ["close", "visit_ok", "visit_bad", "reopen"],
    "closed": ["visit_ok", "visit_bad", "reopen"],
    "reopened": ["start", "resolve_ok", "merge"],
}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def apply(op: tuple, actor, clock: Clock) -> None:
    name = op[0]
    if name == "wait":
        clock.now += timedelta(days=op[1])
        return
    if name == "sweep":
        actions.sweep_deadlines(clock.now)
        return
    if name == "refresh":
        refresh_from_history()
        return
    if name == "intake":
        _n, category, point, channel = op
        kind = Category.objects.get(code=category).kind or "dispute"
        actions.intake(actor, case_data(point, category=category, kind=kind), channel)
        return
    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        return
    case = Case.objects.get(pk=ids[op[1] % len(ids)])
    choices = NEXT.get(case.state, ["yellow"])
    name = choices[op[2] % len(choices)]
    v = case.version
    try:
        with transaction.atomic():
            if name == "accept":
                actions.accept(actor, case, expected_version=v)
            elif name == "start":
                actions.start(actor, case, expected_version=v)
            elif name in ("resolve_ok", "resolve_fail"):
                actions.resolve(
                    actor,
                    case,
                    outcome="调解完毕",
                    success=name == "resolve_ok",
                    expected_version=v,
                )
            elif name == "close":
                actions.close(actor, case, expected_version=v)
            elif name == "reopen":
                actions.reopen(actor, case, reason="回访不满意", expected_version=v)
            elif name in ("visit_ok", "visit_bad"):
                actions.record_visit(
                    actor, case, method="phone",
                    satisfaction="satisfied" if name == "visit_ok" else "unsatisfied",
                    reopen_case=name == "visit_bad", expected_version=v,
                )  # fmt: skip
            elif name in ("yellow", "red"):
                actions.raise_supervision(
                    actor, case, level=name, reason="督办", expected_version=v
                )
            elif name == "cancel":
                actions.cancel(actor, case, reason="重复登记", expected_version=v)
            elif name == "merge":
                other = ids[(op[1] + 1) % len(ids)]
                actions.merge(actor, case, into=other, reason="重复件", expected_version=v)
    except CaseError:
        pass  # not allowed in this state: the random history simply goes on


def all_filters(actor, world) -> list[Filters]:
    scope = access_for(actor).scope(Perm.STATS_VIEW)
    periods: list[Period] = [month(date(2025, 12, 1)), month(date(2026, 1, 1)), year(2026)]
    periods.append(Period("custom", date(2025, 12, 15), date(2026, 1, 20)))
    periods.append(Period("custom", date(2025, 12, 1), date(2028, 12, 31)))
    out = [Filters(scope, p) for p in periods]
    span = periods[-1]
    neighbourhood = Category.objects.get(code="neighbourhood")
    # The top-level category above it (a subtree filter with several leaves).
    dispute_root = Category.objects.get(pk=int(neighbourhood.path.strip("/").split("/")[0]))
    screening = Channel.objects.get(code="screening")
    out += [
        Filters(scope, span, region=world.district),
        Filters(scope, span, region=world.city),
        Filters(scope, span, region=world.city, category=neighbourhood),
        Filters(scope, span, region=world.taoxi),
        Filters(scope, span, region=world.huayuan),
        Filters(scope, span, grid=world.grids["230903013001001"]),
        Filters(scope, span, category=neighbourhood),
        Filters(scope, span, channel=screening),
        Filters(scope, span, category=neighbourhood, channel=screening),
    ]
    # A province leader (rollups by city, with category or channel) and a city leader over a
    # custom period (the daily rollup).
    province = Scope(region_paths=(world.province.path,))
    out += [
        Filters(province, periods[0]),
        Filters(province, periods[0], category=dispute_root),
        Filters(province, periods[0], channel=screening),
        Filters(province, periods[0], region=world.district, channel=screening),
        Filters(province, periods[0], region=world.taoxi),
    ]
    city = Scope(region_paths=(world.city.path,))
    out += [Filters(city, periods[3]), Filters(city, periods[3], region=world.taoxi)]
    # A whole month as a custom period: its previous period (as many days before) is not whole
    # months, so one evaluate reads the monthly rollup for two periods and the daily for one.
    december = Period("custom", date(2025, 12, 1), date(2025, 12, 31))
    out += [Filters(city, december), Filters(city, december, region=world.city)]
    # A community clerk's scope: only 松山社区.
    station = access_for(world.songshan_clerk).scope(Perm.STATS_VIEW)
    out.append(Filters(station, span))
    return out


def counter_tables() -> dict:
    return {
        tuple(r[:-2]): [r[-2], r[-1]] for r in Rollup.objects.values_list(*ROLLUP_KEY, "n", "total")
    }


def assert_counters_sum_the_facts() -> None:
    """The rollups hold exactly the facts summed afresh (no zero rows left over)."""
    facts = CaseFact.objects.values_list(*FACT_FIELDS, "value")
    assert counter_tables() == counter_deltas([], facts)


def _same(got, want, *label) -> None:
    assert (got.value, got.numerator, got.denominator) == (
        want.value,
        want.numerator,
        want.denominator,
    ), label


def assert_equal_to_recount(filters_list: list[Filters]) -> set:
    """Figures, trend and breakdowns equal a recount; returns the rollup specs used."""
    codes = list(INDICATORS)
    used = set()
    for f in filters_list:
        used.add(indicators.rollup_for(f, None))
        assert_periods_equal_recount(codes, f)
        # The trend (grouped by month) reads the same sums; a month cut by the period counts
        # only its days inside the period.
        if len(f.period.months()) <= 2:
            used.add(indicators.rollup_for(f, "month"))
            for p, values in indicators.trend(codes, f):
                inside = Period("custom", max(p.start, f.period.start), min(p.end, f.period.end))
                expected = recount(codes, f.with_period(inside))
                for code, got in values.items():
                    _same(got, expected[code], "trend", code, p)
        if f.period.kind != "month":
            continue  # breakdowns: for one month (enough to cover every rollup)
        if f.grid is None and f.unit is None:
            region = f.region or world_region(f)
            if region is not None and region.level < 5:
                used.add(indicators.rollup_for(f.with_place(region=region), "area"))
                for child, values in indicators.breakdown_by_place(codes, f, region):
                    if not isinstance(child, type(region)):
                        continue
                    want = recount(codes, f.with_place(region=child))
                    for code, got in values.items():
                        _same(got, want[code], "place", code, child, f.period)
        if f.channel is None:
            used.add(indicators.rollup_for(f, "category_id"))
            for row in indicators.breakdown_by_category(codes, f):
                want = recount(codes, f.with_category(row.category))
                for code, got in row.values.items():
                    _same(got, want[code], "category", code, row.category, f.period)
    return used - {None}


def world_region(f: Filters):
    from fengqiao.territory.models import Region

    paths = f.scope.region_paths
    if len(paths) != 1:
        return None
    return Region.objects.filter(path=paths[0]).first()


def assert_periods_equal_recount(codes: list[str], f: Filters, *label) -> None:
    """evaluate with its comparisons (all periods in one query per aggregate) equals a recount
    of each period: the current one, the previous one and the same period a year before."""
    figures = evaluate(codes, f)
    for attr, period in (("current", f.period), ("previous", f.period.previous()),
                         ("last_year", f.period.last_year())):  # fmt: skip
        expected = recount(codes, f.with_period(period))
        for code in codes:
            if INDICATORS[code].org and attr != "current":
                continue  # organisation counts are a snapshot, not per period
            _same(getattr(figures[code], attr), expected[code], *label, attr, code, period,
                  f.region, f.grid, f.category, f.channel)  # fmt: skip


def assert_equal_to_recount_from_facts(filters_list: list[Filters]) -> None:
    codes = list(INDICATORS)
    for f in filters_list:
        assert_periods_equal_recount(codes, f, "facts")


@hsettings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=5, max_size=30))
def test_aggregates_equal_a_full_recount_on_random_histories(cw, world, personas, ops):
    world.songshan_clerk = personas.station_clerk
    actor = cw.district_clerk
    clock = Clock()
    with transaction.atomic():
        with mock.patch("django.utils.timezone.now", clock):
            for op in ops:
                apply(op, actor, clock)
            refresh_from_history()
        assert_counters_sum_the_facts()
        filters = all_filters(actor, world)
        used = assert_equal_to_recount(filters)
        assert used == set(ROLLUPS)  # every rollup answered some figure
        # The same figures from the facts alone (as for a grid, a unit or a street + category).
        with mock.patch.object(indicators, "rollup_for", lambda f, g: None):
            assert_equal_to_recount_from_facts(filters)
        # A full rebuild writes exactly the rows the incremental refresh kept, counters too.
        before = sorted(CaseFact.objects.values_list("case_id", "measure", "day", "value"))
        counters_before = counter_tables()
        rebuild_all_facts()
        after = sorted(CaseFact.objects.values_list("case_id", "measure", "day", "value"))
        assert before == after
        assert counter_tables() == counters_before
        rebuild_counters(world.city.path)  # a rebuild under a prefix leaves the same rows
        assert counter_tables() == counters_before
        transaction.set_rollback(True)


def test_refresh_is_incremental_and_idempotent(cw):
    actor = cw.district_clerk
    first = actions.intake(actor, case_data(), "screening").case
    assert refresh_from_history() == 1
    assert CaseFact.objects.filter(case=first, measure="registered").count() == 1
    assert refresh_from_history() == 1  # the grace window re-reads: harmless
    assert CaseFact.objects.filter(case=first, measure="registered").count() == 1
    actions.accept(actor, first, expected_version=first.version)
    refresh_from_history()
    assert CaseFact.objects.filter(case=first, measure="accepted").count() == 1
