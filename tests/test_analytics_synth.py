"""`bench/synth.py` at a small size: the synthetic province loads on both databases, leaves the
demo-like world alone, refuses a second run without --reset, and its figures (read from the
counters) equal a full recount from the case tables."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench import synth
from bench.synth import SYNTH_PROVINCE_CODE, Options, synthetic_province
from fengqiao.accounts.access import Scope
from fengqiao.analytics import indicators
from fengqiao.analytics.facts import FACT_FIELDS, counter_deltas, refresh_case_facts
from fengqiao.analytics.indicators import INDICATORS, Filters, evaluate
from fengqiao.analytics.models import CaseFact
from fengqiao.analytics.periods import Period, month, year
from fengqiao.analytics.recount import recount
from fengqiao.cases.models import Case, FollowUpVisit, SupervisionCard
from fengqiao.territory.models import Grid, Region
from tests.test_analytics_facts import counter_tables


def _assert_equal(filters: Filters) -> None:
    codes = list(INDICATORS)
    got = evaluate(codes, filters, compare=False)
    want = recount(codes, filters)
    for code in codes:
        g, w = got[code].current, want[code]
        assert (g.value, g.numerator, g.denominator) == (w.value, w.numerator, w.denominator), (
            code,
            filters.period,
            filters.region,
        )


def test_synth_small_province_equals_recount(world, monkeypatch):
    demo_cases = Case.objects.count()
    indexes_before = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename IN ('cases_case', "
                "'analytics_casefact', 'analytics_rollup')"
            )
            indexes_before = cur.fetchone()[0]
    demo_grids = set(Grid.objects.values_list("id", flat=True))
    call_command(
        synth.Command(), cases=2000, grids=50, cities=2, seed=7, years=2, stdout=io.StringIO()
    )
    province = synthetic_province()
    assert province is not None
    assert Case.objects.filter(region_path__startswith=province.path).count() == 2000
    assert Case.objects.count() == demo_cases + 2000
    assert Grid.objects.filter(community__path__startswith=province.path).count() == 50
    assert demo_grids <= set(Grid.objects.values_list("id", flat=True))
    assert (
        Region.objects.filter(path__startswith=province.path, level=Region.Level.CITY).count() == 2
    )
    # Realistic mix: visits and cards exist, most old disputes are resolved.
    assert FollowUpVisit.objects.filter(case__region_path__startswith=province.path).exists()
    assert SupervisionCard.objects.filter(case__region_path__startswith=province.path).exists()

    # The rollups are the facts summed (facts.counter_deltas), and the facts (made by numpy)
    # are exactly what the per-case refresh writes (facts.case_facts): refreshing every
    # synthetic case changes no fact and no rollup row.
    rollups = counter_tables()
    assert rollups == counter_deltas([], CaseFact.objects.values_list(*FACT_FIELDS, "value"))
    columns = [f.attname for f in CaseFact._meta.concrete_fields if not f.primary_key]
    before = sorted(CaseFact.objects.values_list(*columns))
    synth_ids = Case.objects.filter(region_path__startswith=province.path).values_list(
        "id", flat=True
    )
    refresh_case_facts(list(synth_ids))
    assert sorted(CaseFact.objects.values_list(*columns)) == before
    assert counter_tables() == rollups
    scope = Scope(region_paths=(province.path,))
    city = Region.objects.filter(parent=province).order_by("code").first()
    district = Region.objects.filter(parent=city).order_by("code").first()
    street = Region.objects.filter(parent=district).order_by("code").first()
    this_year = date.today().year
    periods = [year(this_year - 1), month(date(this_year - 1, 6, 1)),
               Period("custom", date(this_year - 2, 3, 10), date(this_year, 12, 31))]  # fmt: skip
    used = set()
    for period in periods:
        for region in (None, city, district, street):
            f = Filters(scope, period, region=region)
            used.add(indicators.rollup_for(f, None))
            _assert_equal(f)
    assert len(used - {None}) >= 3
    old = Filters(scope, year(this_year - 1))
    rate = evaluate(["resolution_rate"], old, compare=False)["resolution_rate"].current
    assert rate.denominator > 300 and rate.value > 90

    # A second run is refused; --reset rebuilds the same data set (same seed, same figures).
    before = evaluate(["screened", "on_time_rate"], old, compare=False)
    with pytest.raises(CommandError):
        call_command(synth.Command(), cases=10, grids=5, cities=1, stdout=io.StringIO())
    # The rebuild takes the bulk path (PostgreSQL: indexes dropped during the load, rebuilt).
    monkeypatch.setattr(synth, "BIG_LOAD", 0)
    call_command(
        synth.Command(), cases=2000, grids=50, cities=2, seed=7, years=2, reset=True,
        stdout=io.StringIO(),
    )  # fmt: skip
    province = synthetic_province()
    assert Region.objects.filter(code=SYNTH_PROVINCE_CODE).count() == 1
    old = Filters(Scope(region_paths=(province.path,)), year(this_year - 1))
    after = evaluate(["screened", "on_time_rate"], old, compare=False)
    assert before["screened"].current == after["screened"].current
    assert Case.objects.count() == demo_cases + 2000
    assert not CaseFact.objects.exclude(case_id__in=Case.objects.values("id")).exists()
    assert not FollowUpVisit.objects.exclude(case_id__in=Case.objects.values("id")).exists()
    if connection.vendor == "postgresql":  # every index and unique constraint is back
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename IN ('cases_case', "
                "'analytics_casefact', 'analytics_rollup')"
            )
            assert cur.fetchone()[0] == indexes_before
    assert counter_tables() == counter_deltas(
        [], CaseFact.objects.values_list(*FACT_FIELDS, "value")
    )
    # The demo-like world's figures are untouched by the synthetic province.
    demo_scope = Scope(region_paths=(world.district.path,))
    _assert_equal(Filters(demo_scope, year(this_year - 1)))


def test_synth_refuses_bad_sizes_and_changes_nothing(db):
    for bad in ({"grids": 0}, {"cities": 0}, {"cities": 100}, {"years": 0}, {"cases": -1}):
        with pytest.raises(CommandError):
            call_command(synth.Command(), **{"cases": 10, **bad}, stdout=io.StringIO())
    assert synthetic_province() is None
    assert Options().cases == 10_000_000 and Options().grids == 100_000 and Options().cities == 13
