"""Point → grid lookup, single and bulk, and the index following edits."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from fengqiao.territory import locate
from fengqiao.territory.models import Grid


def test_single_point(world):
    g = locate.locate(131.0025, 45.775)
    assert g.code == "230903013001001"
    assert locate.locate(131.0075, 45.775).code == "230903013001002"
    assert locate.locate(120.0, 30.0) is None


def test_bulk_matches_single(world):
    lons = np.array([131.0025, 131.0075, 131.015, 120.0])
    lats = np.array([45.775, 45.775, 45.785, 30.0])
    ids = locate.get_locator().locate_many(lons, lats)
    singles = [locate.get_locator().locate(x, y) for x, y in zip(lons, lats, strict=True)]
    assert [None if i == -1 else i for i in ids.tolist()] == singles
    assert ids[-1] == -1


def test_shared_edge_resolves_to_lowest_id(world):
    ids = locate.get_locator().locate_many([131.005], [45.775])
    assert ids[0] == min(
        Grid.objects.filter(code__in=["230903013001001", "230903013001002"]).values_list(
            "id", flat=True
        )
    )


def test_index_follows_edits(world, django_capture_on_commit_callbacks):
    assert locate.locate(131.05, 45.775) is None
    g = Grid(code="230903013001003", name="新网格", community=world.huayuan)
    g.set_boundary(box(131.04, 45.77, 131.06, 45.78))
    with django_capture_on_commit_callbacks(execute=True):
        g.save()
        locate.grids_changed()
    assert locate.locate(131.05, 45.775).code == "230903013001003"


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.floats(130.99, 131.03), st.floats(45.76, 45.80)), min_size=1, max_size=30)
)
def test_bulk_equals_single_everywhere(world, points):
    # The world is read-only here, so sharing it between examples is safe.
    locator = locate.get_locator()
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    bulk = locator.locate_many(lons, lats).tolist()
    for (x, y), got in zip(points, bulk, strict=True):
        single = locator.locate(x, y)
        assert (single if single is not None else -1) == got
