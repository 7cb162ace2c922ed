"""Deterministic polygons for the demo: communities on a jittered lattice, grids by Voronoi.

Communities share the lattice vertices and edge points, so neighbours meet exactly; a community's
grids are its Voronoi cells clipped to it, so they tile it without gaps or overlaps.
"""

import random
from collections.abc import Sequence

import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.ops import voronoi_diagram

# Relative tolerances of the tiling checks (areas are in square degrees, ~1e-4 per grid).
AREA_TOLERANCE = 1e-9
OVERLAP_TOLERANCE = 1e-12


class TilingError(ValueError):
    """The pieces do not cover the whole exactly once."""


def lattice_cells(
    lon_edges: Sequence[float], lat_edges: Sequence[float], rng: random.Random
) -> dict[tuple[int, int], Polygon]:
    """One polygon per (row, column) cell; vertices and edge midpoints jittered but shared."""
    rows, cols = len(lat_edges) - 1, len(lon_edges) - 1

    def spacing(edges: Sequence[float], i: int) -> float:
        gaps = [abs(edges[k + 1] - edges[k]) for k in (i - 1, i) if 0 <= k < len(edges) - 1]
        return min(gaps)

    vertex: dict[tuple[int, int], tuple[float, float]] = {}
    for r in range(rows + 1):
        for c in range(cols + 1):
            dx, dy = 0.22 * spacing(lon_edges, c), 0.22 * spacing(lat_edges, r)
            vertex[r, c] = (
                round(lon_edges[c] + rng.uniform(-dx, dx), 6),
                round(lat_edges[r] + rng.uniform(-dy, dy), 6),
            )

    # One bent point on every lattice edge, shared by the two cells on either side of it.
    middle: dict[tuple[tuple[int, int], tuple[int, int]], tuple[float, float]] = {}

    def mid(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float]:
        key = (a, b) if a <= b else (b, a)
        if key not in middle:
            (x1, y1), (x2, y2) = vertex[key[0]], vertex[key[1]]
            t = rng.uniform(0.35, 0.65)
            nx, ny = -(y2 - y1), x2 - x1  # normal of the edge
            bend = rng.uniform(-0.08, 0.08)
            middle[key] = (
                round(x1 + t * (x2 - x1) + bend * nx, 6),
                round(y1 + t * (y2 - y1) + bend * ny, 6),
            )
        return middle[key]

    cells = {}
    for r in range(rows):
        for c in range(cols):
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)]
            ring = []
            for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
                ring += [vertex[a], mid(a, b)]
            cell = Polygon(ring)
            if not cell.is_valid:
                raise TilingError(f"lattice cell {r},{c} is not a valid polygon")
            cells[r, c] = shapely.normalize(cell)
    return cells


def split_polygon(polygon: Polygon, count: int, rng: random.Random) -> list[Polygon]:
    """`count` Voronoi cells of seed points inside `polygon`, clipped to it, north-west first.

    Seeds are spread by a few Lloyd steps; a draw that yields a split cell or a sliver is
    discarded and drawn again, so every piece is one polygon of a reasonable size.
    """
    if count == 1:
        return [polygon]
    min_x, min_y, max_x, max_y = polygon.bounds
    prepared = shapely.prepared.prep(polygon)
    envelope = polygon.envelope.buffer(max(max_x - min_x, max_y - min_y))
    for _attempt in range(200):
        seeds: list[Point] = []
        while len(seeds) < count:
            p = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
            if prepared.contains(p):
                seeds.append(p)
        pieces: list = []
        for _step in range(4):
            cells = voronoi_diagram(MultiPoint(seeds), envelope=envelope).geoms
            pieces = [cell.intersection(polygon) for cell in cells]
            seeds = [piece.centroid for piece in pieces]
            if not all(prepared.contains(s) for s in seeds):
                break
        if len(pieces) != count or any(p.geom_type != "Polygon" for p in pieces):
            continue
        if min(p.area for p in pieces) < 0.35 * polygon.area / count:
            continue
        pieces.sort(key=lambda p: (-round(p.centroid.y, 3), p.centroid.x))
        return pieces
    raise TilingError(f"could not split a polygon into {count} grids")


def check_tiling(whole: Polygon, pieces: Sequence[Polygon], label: str = "") -> None:
    """Raise TilingError unless `pieces` are valid and cover `whole` exactly once."""
    area = whole.area
    for i, piece in enumerate(pieces):
        if not piece.is_valid or piece.is_empty:
            raise TilingError(f"{label}: piece {i} is not a valid polygon")
    union = shapely.union_all(list(pieces))
    if abs(union.area - area) > AREA_TOLERANCE * area:
        raise TilingError(f"{label}: union area {union.area} differs from {area}")
    if union.symmetric_difference(whole).area > AREA_TOLERANCE * area:
        raise TilingError(f"{label}: the pieces do not cover the same ground")
    tree = shapely.STRtree(list(pieces))
    left, right = tree.query(list(pieces), predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and pieces[i].intersection(pieces[j]).area > OVERLAP_TOLERANCE * area:
            raise TilingError(f"{label}: pieces {i} and {j} overlap")
