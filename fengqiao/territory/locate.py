"""Point → grid lookup through an in-memory STRtree, kept in step with grid edits.

Each process holds one `GridLocator`. A grid change bumps `GridIndexState.version` in the same
transaction; a process compares versions at most every GRID_INDEX_CHECK_SECONDS and rebuilds
when they differ (and at once, on commit, in the process that made the change).
"""

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import F

from fengqiao.core import caches, refdata
from fengqiao.territory.models import Grid, GridIndexState

# Margin (in cell widths) around every edge when marking cells: a cell within it of an edge is
# "ambiguous", so rounding can never put a point into a wrongly labelled cell.
_EDGE_MARGIN = 1e-6
AMBIGUOUS = -2


@dataclass(frozen=True)
class CellIndex:
    """A raster over the grids' extent. Each cell is labelled with the index of the polygon that
    contains all of it, -1 if no polygon touches it, or AMBIGUOUS if an edge crosses it.

    Most points fall in labelled cells and are answered by arithmetic and one array lookup;
    only points in ambiguous cells (near an edge) go to the STRtree.
    """

    x0: float
    y0: float
    inv_dx: float
    inv_dy: float
    nx: int
    ny: int
    labels: np.ndarray  # int32, row-major: labels[j * nx + i]

    def lookup(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Polygon index, -1 (outside all) or AMBIGUOUS for each point."""
        u = (lons - self.x0) * self.inv_dx
        v = (lats - self.y0) * self.inv_dy
        ok = (u >= 0) & (u <= self.nx) & (v >= 0) & (v <= self.ny)  # NaN fails here
        if not ok.all():
            u = np.where(ok, u, 0.0)
            v = np.where(ok, v, 0.0)
        i = np.minimum(u.astype(np.int64), self.nx - 1)
        j = np.minimum(v.astype(np.int64), self.ny - 1)
        j *= self.nx
        j += i
        lab = self.labels[j]
        if not ok.all():
            lab[~ok] = -1
        return lab

    def lookup_one(self, lon: float, lat: float) -> int:
        u = (lon - self.x0) * self.inv_dx
        v = (lat - self.y0) * self.inv_dy
        if not (0 <= u <= self.nx and 0 <= v <= self.ny):
            return -1
        i = min(int(u), self.nx - 1)
        j = min(int(v), self.ny - 1)
        return self.labels.item(j * self.nx + i)


def _ambiguous_cells(
    geoms: np.ndarray, x0: float, y0: float, dx: float, dy: float, nx: int, ny: int
) -> np.ndarray:
    """Boolean (ny, nx): cells that some polygon edge touches (closed cells, with a margin).

    For each edge and each horizontal strip of cells it crosses, the part of the edge inside
    the strip covers a run of cells; runs are marked with a difference array per strip.
    """
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    u = (coords[:, 0] - x0) / dx
    v = (coords[:, 1] - y0) / dy
    same = ring[1:] == ring[:-1]
    u1, v1, u2, v2 = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
    eps = _EDGE_MARGIN
    j0 = np.clip(np.floor(np.minimum(v1, v2) - eps), 0, ny - 1).astype(np.int64)
    j1 = np.clip(np.floor(np.maximum(v1, v2) + eps), 0, ny - 1).astype(np.int64)
    counts = j1 - j0 + 1
    seg = np.repeat(np.arange(j0.size), counts)
    j = j0[seg] + np.arange(seg.size) - np.repeat(np.cumsum(counts) - counts, counts)
    a_u1, a_v1, a_u2, a_v2 = u1[seg], v1[seg], u2[seg], v2[seg]
    dv = a_v2 - a_v1
    flat = dv == 0
    safe = np.where(flat, 1.0, dv)
    ta = (j - eps - a_v1) / safe
    tb = (j + 1 + eps - a_v1) / safe
    tlo = np.where(flat, 0.0, np.clip(np.minimum(ta, tb), 0.0, 1.0))
    thi = np.where(flat, 1.0, np.clip(np.maximum(ta, tb), 0.0, 1.0))
    ua = a_u1 + tlo * (a_u2 - a_u1)
    ub = a_u1 + thi * (a_u2 - a_u1)
    i0 = np.clip(np.floor(np.minimum(ua, ub) - eps), 0, nx - 1).astype(np.int64)
    i1 = np.clip(np.floor(np.maximum(ua, ub) + eps), 0, nx - 1).astype(np.int64)
    width = nx + 1
    size = ny * width
    diff = np.bincount(j * width + i0, minlength=size) - np.bincount(
        j * width + i1 + 1, minlength=size
    )
    return np.cumsum(diff.reshape(ny, width), axis=1)[:, :nx] > 0


@dataclass(frozen=True)
class GridLocator:
    """An immutable index: grid ids, their prepared polygons in one STRtree, and a cell raster."""

    version: int
    grid_ids: np.ndarray
    tree: shapely.STRtree | None
    cells: CellIndex | None = None
    id_list: tuple[int, ...] = ()

    # Raster size: about this many cells per grid (at most MAX_CELLS); more cells → more
    # points answered without the tree, more memory (4 bytes a cell).
    CELLS_PER_GRID = 256
    MAX_CELLS = 4_000_000

    @classmethod
    def build(cls, version: int, rows: Sequence[tuple[int, dict]]) -> "GridLocator":
        if not rows:
            return cls(version, np.empty(0, dtype=np.int64), None)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = np.array([shapely.geometry.shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(geoms)
        locator = cls(version, ids, shapely.STRtree(geoms), None, tuple(ids.tolist()))
        cells = locator._build_cells(geoms)
        return cls(version, ids, locator.tree, cells, locator.id_list)

    def _build_cells(self, geoms: np.ndarray) -> CellIndex | None:
        x0, y0, x1, y1 = (float(b) for b in shapely.total_bounds(geoms))
        w, h = x1 - x0, y1 - y0
        if not (np.isfinite([w, h]).all() and w > 0 and h > 0):
            return None
        n_cells = min(self.MAX_CELLS, self.CELLS_PER_GRID * len(geoms))
        size = math.sqrt(w * h / n_cells)
        nx, ny = max(1, math.ceil(w / size)), max(1, math.ceil(h / size))
        dx, dy = w / nx, h / ny
        pure = ~_ambiguous_cells(geoms, x0, y0, dx, dy, nx, ny).ravel()
        # Cells no edge touches lie wholly inside one polygon (or none); so does a run of such
        # cells along a row. Label each run by the polygon holding its first cell's centre.
        follows = np.zeros_like(pure)
        follows[1:] = pure[:-1]
        follows[::nx] = False
        starts = np.flatnonzero(pure & ~follows)
        run = np.cumsum(pure & ~follows) - 1
        centres_x = x0 + (starts % nx + 0.5) * dx
        centres_y = y0 + (starts // nx + 0.5) * dy
        run_labels = self._tree_index(centres_x, centres_y)
        labels = np.full(nx * ny, AMBIGUOUS, dtype=np.int32)
        labels[pure] = run_labels[run[pure]]
        return CellIndex(x0, y0, 1 / dx, 1 / dy, nx, ny, labels)

    def _tree_index(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Polygon index (of the lowest grid id) for each point through the STRtree, or -1."""
        result = np.full(lons.shape[0], -1, dtype=np.int32)
        if self.tree is None or lons.shape[0] == 0:
            return result
        point_idx, geom_idx = self.tree.query(shapely.points(lons, lats), predicate="intersects")
        if point_idx.size == 0:
            return result
        dup = point_idx[1:] == point_idx[:-1]
        if dup.any():
            # Points on a shared edge match two grids: keep the lowest id.
            order = np.lexsort((self.grid_ids[geom_idx], point_idx))
            point_idx, geom_idx = point_idx[order], geom_idx[order]
            first = np.ones(point_idx.shape[0], dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            point_idx, geom_idx = point_idx[first], geom_idx[first]
        result[point_idx] = geom_idx
        return result

    def locate(self, lon: float, lat: float) -> int | None:
        """The id of the grid containing the point, or None. On a shared edge the lowest id wins."""
        if self.tree is None:
            return None
        if self.cells is not None:
            k = self.cells.lookup_one(lon, lat)
            if k >= 0:
                return self.id_list[k]
            if k == -1:
                return None
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        if len(hits) == 1:
            return int(self.grid_ids[hits[0]])
        return int(self.grid_ids[hits].min())

    def grids_near(self, lon0: float, lat0: float, lon1: float, lat1: float) -> list[int]:
        """Ids of the grids whose bounding boxes meet this box: every grid holding a point of
        the box, and perhaps a few more (callers filter by the points themselves)."""
        if self.tree is None:
            return []
        hits = self.tree.query(shapely.box(lon0, lat0, lon1, lat1))
        return sorted(int(g) for g in self.grid_ids[hits])

    def locate_many(
        self, lons: Sequence[float], lats: Sequence[float], allowed: Sequence[int] | None = None
    ) -> np.ndarray:
        """Grid ids for many points at once; -1 where a point is outside every grid.

        `allowed` (grid ids) limits the answer to those grids: a point in another grid gets -1,
        and on an edge shared with an allowed grid the allowed one wins.
        """
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(lons.shape[0], -1, dtype=np.int64)
        if self.tree is None or lons.shape[0] == 0:
            return result
        if allowed is not None:
            return self._locate_allowed(lons, lats, np.asarray(allowed, dtype=np.int64))
        if self.cells is None:
            index = self._tree_index(lons, lats)
        else:
            index = self.cells.lookup(lons, lats)
            ambiguous = np.flatnonzero(index == AMBIGUOUS)
            if ambiguous.size:
                index[ambiguous] = self._tree_index(lons[ambiguous], lats[ambiguous])
        found = index >= 0
        result[found] = self.grid_ids[index[found]]
        return result

    def _locate_allowed(
        self, lons: np.ndarray, lats: np.ndarray, allowed: np.ndarray
    ) -> np.ndarray:
        result = np.full(lons.shape[0], -1, dtype=np.int64)
        point_idx, geom_idx = self.tree.query(shapely.points(lons, lats), predicate="intersects")
        ids = self.grid_ids[geom_idx]
        keep = np.isin(ids, allowed)
        point_idx, ids = point_idx[keep], ids[keep]
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


caches.register("territory.locate", invalidate)


def grids_changed() -> None:
    """Call inside the transaction that changed grids: bump the version, rebuild on commit."""
    updated = GridIndexState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        GridIndexState.objects.get_or_create(pk=1, defaults={"version": 1})
    transaction.on_commit(invalidate)
    refdata.changed()  # grids are reference data too (fengqiao.cases.reference)


def locate(lon: float, lat: float) -> Grid | None:
    grid_id = get_locator().locate(lon, lat)
    return Grid.objects.filter(pk=grid_id).first() if grid_id is not None else None
