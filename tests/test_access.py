"""Nobody sees beyond their scope: the permission helper with every persona."""

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.territory.models import Grid


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_grid_worker_sees_only_own_grid(personas, world):
    access = access_for(personas.grid_worker)
    assert codes(access.grids(Perm.TERRITORY_VIEW)) == ["230903013001001"]
    assert codes(access.regions(Perm.TERRITORY_VIEW)) == [world.huayuan.code]
    assert not access.has_perm(Perm.TERRITORY_EDIT)


def test_station_clerk_sees_own_community_only(personas, world):
    access = access_for(personas.station_clerk)
    assert codes(access.grids(Perm.TERRITORY_VIEW)) == ["230903013002001", "230903013002002"]
    assert codes(access.regions(Perm.TERRITORY_VIEW)) == [world.songshan.code]
    units = access.units(Perm.ORG_VIEW)
    assert list(units) == [world.songshan_station]


def test_street_clerk_sees_street_subtree(personas, world):
    access = access_for(personas.street_clerk)
    assert len(codes(access.grids(Perm.TERRITORY_VIEW))) == 4
    assert all(c.startswith("230903013") for c in codes(access.grids(Perm.TERRITORY_VIEW)))
    assert world.hepan not in access.regions(Perm.TERRITORY_VIEW)


def test_leader_sees_whole_district(personas):
    access = access_for(personas.leader)
    assert access.grids(Perm.TERRITORY_VIEW).count() == Grid.objects.count()
    assert access.has_perm(Perm.STATS_VIEW)
    assert not access.has_perm(Perm.TERRITORY_EDIT)


def test_liaison_sees_unit_and_its_region(personas, world):
    access = access_for(personas.liaison)
    scope = access.scope(Perm.CASE_HANDLE)
    assert scope.unit_ids == {world.police_taoxi.pk}
    assert scope.region_paths == ()
    assert world.taoxi in access.regions(Perm.TERRITORY_VIEW)
    assert world.hepan not in access.regions(Perm.TERRITORY_VIEW)


def test_outsider_sees_nothing(personas):
    access = access_for(personas.outsider)
    assert access.grids(Perm.TERRITORY_VIEW).count() == 0
    assert access.regions(Perm.TERRITORY_VIEW).count() == 0
    assert access.units(Perm.ORG_VIEW).count() == 0
    assert access.scope(Perm.CASE_VIEW).empty


def test_inactive_user_sees_nothing(personas):
    personas.leader.is_active = False
    personas.leader.save()
    personas.leader.__dict__.pop("_fengqiao_access", None)
    assert access_for(personas.leader).grids(Perm.TERRITORY_VIEW).count() == 0


def test_region_path_moves_with_parent(world):
    world.huayuan.parent = world.taonan
    world.huayuan.save()
    world.huayuan.refresh_from_db()
    assert world.huayuan.path.startswith(world.taonan.path)


def test_get_returns_a_row_in_scope_else_the_callers_404(personas, world):
    """`access.get`: one row in scope; out of scope, absent and malformed pk all raise the
    caller's error alike (Http404 by default), and an object stands for its pk."""
    import pytest
    from django.http import Http404

    class Missing(Exception):
        pass

    grids = Grid.objects.all()
    mine = Grid.objects.get(code="230903013001001")
    other = Grid.objects.exclude(code__startswith="230903013001").first()
    access = access_for(personas.grid_worker)
    assert access.get(grids, mine.pk, Perm.TERRITORY_VIEW) == mine
    assert access.get(grids, str(mine.pk), Perm.TERRITORY_VIEW) == mine
    assert access.get(grids, mine, Perm.TERRITORY_VIEW) == mine
    for pk in (other.pk, 10**9, "abc", None, "1.5"):
        with pytest.raises(Missing):
            access.get(grids, pk, Perm.TERRITORY_VIEW, missing=Missing)
    with pytest.raises(Http404):
        access.get(grids, other.pk, Perm.TERRITORY_VIEW)
    with pytest.raises(Http404):  # no role grants the perm
        access.get(grids, mine.pk, Perm.TERRITORY_EDIT)
    with pytest.raises(Http404):
        access_for(personas.outsider).get(grids, mine.pk, Perm.TERRITORY_VIEW)


def test_select_for_update_reads_the_row_in_scope_again(personas, world, django_assert_num_queries):
    from django.db import transaction

    mine = Grid.objects.get(code="230903013001001")
    access = access_for(personas.grid_worker)
    access.scope(Perm.TERRITORY_VIEW)  # built outside the counted queries
    # The scoped check, then the locking read.
    with transaction.atomic(), django_assert_num_queries(2):
        locked = access.select_for_update(Grid.objects.all(), mine.pk, Perm.TERRITORY_VIEW)
    assert locked == mine
