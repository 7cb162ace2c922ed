"""The cell raster in front of the STRtree gives exactly the STRtree's answers, and the locate API."""

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from fengqiao.territory.locate import AMBIGUOUS, GridLocator


def tiling(n: int = 12, seed: int = 7) -> list[tuple[int, dict]]:
    """n×n jittered quadrilaterals sharing corners, ids shuffled, plus one with a hole and an island."""
    rng = np.random.default_rng(seed)
    cx = np.arange(n + 1)[:, None] + rng.uniform(-0.3, 0.3, (n + 1, n + 1))
    cy = np.arange(n + 1)[None, :] + rng.uniform(-0.3, 0.3, (n + 1, n + 1))
    ids = rng.permutation(n * n) + 100
    rows = []
    for i in range(n):
        for j in range(n):
            ring = [
                (cx[a, b], cy[a, b]) for a, b in [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
            ]
            rows.append((int(ids[i * n + j]), mapping(shapely.Polygon(ring))))
    ring_with_hole = shapely.Polygon(
        [(n + 2, 0), (n + 6, 0), (n + 6, 4), (n + 2, 4)],
        [[(n + 3, 1), (n + 5, 1), (n + 5, 3), (n + 3, 3)]],
    )
    island = box(n + 3.5, 1.5, n + 4.5, 2.5)
    rows.append((1, mapping(ring_with_hole)))
    rows.append((2, mapping(island)))
    return rows


def reference(rows, lons, lats) -> np.ndarray:
    """The plain answer: every polygon tested, lowest id among those the point intersects."""
    geoms = [shapely.geometry.shape(r[1]) for r in rows]
    out = np.full(len(lons), -1, dtype=np.int64)
    for k, (x, y) in enumerate(zip(lons, lats, strict=True)):
        hits = [
            rid
            for (rid, _), g in zip(rows, geoms, strict=True)
            if g.intersects(shapely.Point(x, y))
        ]
        out[k] = min(hits) if hits else -1
    return out


@pytest.fixture(scope="module")
def rows():
    return tiling()


@pytest.fixture(scope="module")
def locator(rows):
    return GridLocator.build(1, rows)


def test_raster_is_built_and_mostly_decisive(locator):
    assert locator.cells is not None
    labels = locator.cells.labels
    assert (labels >= 0).mean() > 0.5
    assert (labels == AMBIGUOUS).any() and (labels == -1).any()


def test_random_points_and_vertices_match_reference(rows, locator):
    rng = np.random.default_rng(1)
    lons = list(rng.uniform(-1, 19, 400))
    lats = list(rng.uniform(-1, 13, 400))
    # Every vertex, every edge midpoint: the hardest places.
    for _id, geom in rows[:60] + rows[-2:]:
        coords = shapely.get_coordinates(shapely.geometry.shape(geom))
        for (x1, y1), (x2, y2) in itertools.pairwise(coords):
            lons += [x1, (x1 + x2) / 2]
            lats += [y1, (y1 + y2) / 2]
    expected = reference(rows, lons, lats)
    assert locator.locate_many(lons, lats).tolist() == expected.tolist()
    singles = [locator.locate(x, y) for x, y in zip(lons, lats, strict=True)]
    assert [-1 if s is None else s for s in singles] == expected.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 20), st.floats(-2, 14)), min_size=1, max_size=20))
def test_any_points_match_reference(rows, locator, points):
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    assert locator.locate_many(lons, lats).tolist() == reference(rows, lons, lats).tolist()


def test_hole_island_and_odd_input(locator):
    n = 12
    assert locator.locate(n + 2.5, 0.5) == 1  # in the ring
    assert locator.locate(n + 3.2, 2.0) is None  # in the hole
    assert locator.locate(n + 4.0, 2.0) == 2  # on the island inside the hole
    got = locator.locate_many([float("nan"), float("inf"), 1e9], [1.0, 1.0, 1.0])
    assert got.tolist() == [-1, -1, -1]
    assert locator.locate(float("nan"), 1.0) is None


def test_allowed_limits_and_prefers_allowed_on_shared_edges():
    rows = [(5, mapping(box(0, 0, 1, 1))), (9, mapping(box(1, 0, 2, 1)))]
    loc = GridLocator.build(1, rows)
    assert loc.locate_many([1.0, 0.5, 1.5], [0.5, 0.5, 0.5]).tolist() == [5, 5, 9]
    assert loc.locate_many([1.0, 0.5, 1.5], [0.5, 0.5, 0.5], allowed=[9]).tolist() == [9, -1, 9]
    assert loc.locate_many([1.0], [0.5], allowed=[]).tolist() == [-1]


def test_empty_locator():
    loc = GridLocator.build(0, [])
    assert loc.locate(1, 1) is None
    assert loc.locate_many([1], [1]).tolist() == [-1]
