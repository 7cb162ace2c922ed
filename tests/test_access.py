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
