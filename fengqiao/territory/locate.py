"""Point → grid lookup through an in-memory STRtree, kept in step with grid edits.

Each process holds one `GridLocator`. A grid change bumps `GridIndexState.version` in the same
transaction; a process compares versions at most every GRID_INDEX_CHECK_SECONDS and rebuilds
when they differ (and at once, on commit, in the process that made the change).
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import F

from fengqiao.territory.models import Grid, GridIndexState


@dataclass(frozen=True)
class GridLocator:
    """An immutable index: grid ids and their prepared polygons in one STRtree."""

    version: int
    grid_ids: np.ndarray
    tree: shapely.STRtree | None

    @classmethod
    def build(cls, version: int, rows: Sequence[tuple[int, dict]]) -> "GridLocator":
        if not rows:
            return cls(version, np.empty(0, dtype=np.int64), None)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = np.array([shapely.geometry.shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(geoms)
        return cls(version, ids, shapely.STRtree(geoms))

    def locate(self, lon: float, lat: float) -> int | None:
        """The id of the grid containing the point, or None. On a shared edge the lowest id wins."""
        if self.tree is None:
            return None
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        if len(hits) == 1:
            return int(self.grid_ids[hits[0]])
        return int(self.grid_ids[hits].min())

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> np.ndarray:
        """Grid ids for many points at once; -1 where a point is outside every grid."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(lons.shape[0], -1, dtype=np.int64)
        if self.tree is None or lons.shape[0] == 0:
            return result
        points = shapely.points(lons, lats)
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        if point_idx.size == 0:
            return result
        ids = self.grid_ids[geom_idx]
        # Points on a shared edge match two grids: keep the lowest id, as locate() does.
        order = np.lexsort((ids, point_idx))
        point_idx, ids = point_idx[order], ids[order]
        first = np.ones(point_idx.shape[0], dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = ids[first]
        return result


_lock = threading.Lock()
_current: GridLocator | None = None
_checked_at = 0.0


def current_version() -> int:
    state = GridIndexState.objects.filter(pk=1).values_list("version", flat=True).first()
    return state or 0


def _load(version: int) -> GridLocator:
    rows = list(Grid.objects.filter(active=True).values_list("id", "boundary"))
    return GridLocator.build(version, rows)


def get_locator() -> GridLocator:
    """The process's index, rebuilt when another process changed the grids."""
    global _current, _checked_at
    now = time.monotonic()
    locator = _current
    if locator is not None and now - _checked_at < settings.GRID_INDEX_CHECK_SECONDS:
        return locator
    version = current_version()
    if locator is None or locator.version != version:
        with _lock:
            if _current is None or _current.version != version:
                _current = _load(version)
            locator = _current
    _checked_at = now
    return locator


def invalidate() -> None:
    global _current, _checked_at
    with _lock:
        _current = None
        _checked_at = 0.0


def grids_changed() -> None:
    """Call inside the transaction that changed grids: bump the version, rebuild on commit."""
    updated = GridIndexState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        GridIndexState.objects.get_or_create(pk=1, defaults={"version": 1})
    transaction.on_commit(invalidate)


def locate(lon: float, lat: float) -> Grid | None:
    grid_id = get_locator().locate(lon, lat)
    return Grid.objects.filter(pk=grid_id).first() if grid_id is not None else None
