"""Moving a region or a grid to another parent: the cases under it, their facts and rollups get
the new places in the background (batched, idempotent, resumable), with a history entry, and the
monitoring room's figures equal a recount afterwards."""

from datetime import date, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from fengqiao.accounts.access import Scope
from fengqiao.analytics.facts import FACT_FIELDS, counter_deltas, refresh_from_history
from fengqiao.analytics.indicators import INDICATORS, Filters, evaluate
from fengqiao.analytics.models import ROLLUP_KEY, CaseFact, Rollup
from fengqiao.analytics.periods import Period
from fengqiao.analytics.recount import recount
from fengqiao.cases import relocate
from fengqiao.cases.actions import registration
from fengqiao.cases.models import Case, CaseHistory
from fengqiao.territory import services as territory
from tests.case_factories import (
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    make_case_world,
    report,
    use_immediate_tasks,
)

SPAN = Period("custom", date(2020, 1, 1), date(2030, 12, 31))


@pytest.fixture
def cw(world, settings, monkeypatch):
    use_immediate_tasks(settings)
    monkeypatch.setattr(
        registration, "now", lambda: timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    )
    return make_case_world(world)


def _cases(n_songshan: int = 3, n_huayuan: int = 1) -> tuple[list[Case], list[Case]]:
    songshan = [report(None, point=SONGSHAN_POINT).case for _ in range(n_songshan)]
    huayuan = [report(None, point=HUAYUAN_POINT).case for _ in range(n_huayuan)]
    refresh_from_history()
    return songshan, huayuan


def _figures_equal_recount(world) -> None:
    scope = Scope(region_paths=(world.city.path,))
    codes = list(INDICATORS)
    for region in (world.district, world.taoxi, world.taonan, world.songshan, world.huayuan):
        region.refresh_from_db()
        f = Filters(scope, SPAN, region=region)
        figures, want = evaluate(codes, f), recount(codes, f)
        for code in codes:
            got = figures[code].current
            assert (got.value, got.numerator) == (want[code].value, want[code].numerator), (
                region.name,
                code,
            )
    facts = CaseFact.objects.values_list(*FACT_FIELDS, "value")
    rollups = {
        tuple(r[:-2]): [r[-2], r[-1]] for r in Rollup.objects.values_list(*ROLLUP_KEY, "n", "total")
    }
    assert rollups == counter_deltas([], facts)


def _move_songshan_to_taonan(world, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        world.songshan.parent = world.taonan
        world.songshan.save()
    world.songshan.refresh_from_db()
    world.taonan.refresh_from_db()


def test_moving_a_region_rewrites_its_cases_facts_and_rollups(
    cw, world, django_capture_on_commit_callbacks
):
    songshan, huayuan = _cases()
    old_path = world.songshan.path
    _move_songshan_to_taonan(world, django_capture_on_commit_callbacks)
    assert world.songshan.path.startswith(world.taonan.path)

    for case in songshan:
        case.refresh_from_db()
        assert case.region_path == world.songshan.path
        assert (case.street_id, case.community_id) == (world.taonan.pk, world.songshan.pk)
        entry = CaseHistory.objects.get(case=case, action=relocate.ACTION)
        assert entry.data["region"] == world.songshan.pk
        assert entry.data["changes"]["region_path"] == [old_path, world.songshan.path]
        assert not entry.public
        assert set(CaseFact.objects.filter(case=case).values_list("region_path", flat=True)) == {
            world.songshan.path
        }
    # Lists and scopes by path find the cases under their new street.
    under_taonan = set(Case.objects.filter(region_path__startswith=world.taonan.path))
    assert set(songshan) <= under_taonan
    # Cases elsewhere are untouched, with no history entry.
    for case in huayuan:
        assert not CaseHistory.objects.filter(case=case, action=relocate.ACTION).exists()
    _figures_equal_recount(world)
    # Idempotent: a second run changes nothing and writes nothing.
    assert relocate.rewrite_places(region_id=world.songshan.pk) == 0
    assert CaseHistory.objects.filter(action=relocate.ACTION).count() == len(songshan)


def test_stale_paths_show_up_against_the_recount(cw, world, settings):
    """The recount places cases by their regions now, so a move left unrewritten (a dummy task
    backend that runs nothing) is caught: the figures of the new street disagree."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _cases()
    world.songshan.parent = world.taonan
    world.songshan.save()
    world.taonan.refresh_from_db()
    f = Filters(Scope(region_paths=(world.city.path,)), SPAN, region=world.taonan)
    got = evaluate(["screened"], f)["screened"].current
    assert got.value != recount(["screened"], f)["screened"].value


def test_an_interrupted_rewrite_resumes(cw, world, monkeypatch):
    songshan, _huayuan = _cases(n_songshan=3, n_huayuan=0)
    monkeypatch.setattr(relocate, "BATCH", 1)
    # The move alone: its task waits for a commit the test transaction never makes.
    with transaction.atomic():
        world.songshan.parent = world.taonan
        world.songshan.save()
    world.songshan.refresh_from_db()
    real = relocate.restamp
    calls = []

    def dies_on_the_second_batch(cases, reason):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(cases, reason)

    monkeypatch.setattr(relocate, "restamp", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        relocate.rewrite_places(region_id=world.songshan.pk)
    moved = Case.objects.filter(region_path=world.songshan.path).count()
    assert moved == 1  # the first batch committed, the second rolled back
    monkeypatch.setattr(relocate, "restamp", real)
    assert relocate.rewrite_places(region_id=world.songshan.pk) == 2
    assert Case.objects.filter(region_path=world.songshan.path).count() == len(songshan)
    assert CaseHistory.objects.filter(action=relocate.ACTION).count() == len(songshan)
    _figures_equal_recount(world)


def test_moving_a_grid_to_another_community_moves_its_cases(
    cw, world, django_capture_on_commit_callbacks
):
    songshan, huayuan = _cases(n_songshan=1, n_huayuan=2)
    grid = huayuan[0].grid
    others = [c for c in huayuan if c.grid_id != grid.pk]
    with django_capture_on_commit_callbacks(execute=True):
        territory.update_grid(None, grid, community=world.hepan, code=world.hepan.code + "009")
    moved = Case.objects.filter(grid=grid)
    assert moved.exists()
    for case in moved:
        assert case.community_id == world.hepan.pk
        assert case.street_id == world.taonan.pk
        assert case.region_path == world.hepan.path
        entry = CaseHistory.objects.get(case=case, action=relocate.ACTION)
        assert entry.data["grid"] == grid.pk
    for case in [*others, *songshan]:
        case.refresh_from_db()
        assert not CaseHistory.objects.filter(case=case, action=relocate.ACTION).exists()
    _figures_equal_recount(world)
