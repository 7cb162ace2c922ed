"""Benchmark of point → grid lookup (no database needed): `python bench/locate_bench.py`.

Builds 10,000 synthetic grids — a 100×100 tiling of irregular polygons (shared jittered
corners, 2–3 extra vertices on each edge, so 8–12 vertices each) over about 0.5°×0.5° —
then measures
  (a) bulk lookup of 1,000,000 random points: GridLocator.locate_many against a bare
      shapely STRtree(polys).query(points, predicate="intersects") on the same points;
  (b) single lookups GridLocator.locate(lon, lat): mean and p99 in microseconds.
Goals: (a) ratio ≥ 0.8 and ≥ 1,000,000 points/s; (b) p99 < 50 µs.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()  # locate.py imports the models; no database is touched.

from fengqiao.territory.locate import GridLocator  # noqa: E402

N = 100  # grids per side
X0, Y0, STEP = 131.0, 45.5, 0.005


def synthetic_grids(n: int = N, seed: int = 1) -> list[dict]:
    """n×n irregular polygons that tile the area without gaps or overlaps."""
    rng = np.random.default_rng(seed)
    # Jittered lattice corners, shared by the four cells around each.
    cx = X0 + np.arange(n + 1)[:, None] * STEP + rng.uniform(-0.3, 0.3, (n + 1, n + 1)) * STEP
    cy = Y0 + np.arange(n + 1)[None, :] * STEP + rng.uniform(-0.3, 0.3, (n + 1, n + 1)) * STEP

    # Extra vertices on each edge, shared by the two cells either side (wiggled perpendicular).
    def edge_points(a, b, key):
        k = 1 + (hash(key) % 2)  # 1 or 2 extra points: 8–12 vertices per cell
        r = np.random.default_rng(abs(hash(key)) % (2**32))
        ts = np.sort(r.uniform(0.25, 0.75, k))
        (x1, y1), (x2, y2) = a, b
        dx, dy = x2 - x1, y2 - y1
        return [
            (x1 + t * dx - dy * w, y1 + t * dy + dx * w)
            for t, w in zip(ts, r.uniform(-0.08, 0.08, k), strict=True)
        ]

    def corner(i, j):
        return (float(cx[i, j]), float(cy[i, j]))

    def edge(i1, j1, i2, j2):
        a, b = corner(i1, j1), corner(i2, j2)
        key = (min((i1, j1), (i2, j2)), max((i1, j1), (i2, j2)))
        pts = edge_points(*sorted([a, b]), key)
        return pts if sorted([a, b])[0] == a else pts[::-1]

    rows = []
    for i in range(n):
        for j in range(n):
            ring = [
                corner(i, j),
                *edge(i, j, i + 1, j),
                corner(i + 1, j),
                *edge(i + 1, j, i + 1, j + 1),
            ]
            ring += [corner(i + 1, j + 1), *edge(i + 1, j + 1, i, j + 1), corner(i, j + 1)]
            ring += [*edge(i, j + 1, i, j), corner(i, j)]
            rows.append((i * n + j + 1, {"type": "Polygon", "coordinates": [ring]}))
    return rows


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU time (the latter is what an idle machine would show)."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    rows = synthetic_grids()
    polys = np.array([shapely.geometry.shape(r[1]) for r in rows], dtype=object)
    assert shapely.is_valid(polys).all(), "synthetic grids must be valid"
    locator = GridLocator.build(1, rows)
    build_s = time.perf_counter() - t
    vertices = shapely.get_num_coordinates(polys) - 1
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), numpy {np.__version__}"
    )
    print(
        f"grids: {len(rows)} polygons, {vertices.min()}–{vertices.max()} vertices "
        f"(mean {vertices.mean():.1f}); build incl. synthesis {build_s:.2f} s"
    )

    rng = np.random.default_rng(42)
    # A margin around the tiling so some points fall outside every grid.
    lo_x, lo_y, hi_x, hi_y = X0 - 0.01, Y0 - 0.01, X0 + N * STEP + 0.01, Y0 + N * STEP + 0.01
    lons = rng.uniform(lo_x, hi_x, args.points)
    lats = rng.uniform(lo_y, hi_y, args.points)

    bare_tree = shapely.STRtree(polys)

    def bare():
        return bare_tree.query(shapely.points(lons, lats), predicate="intersects")

    def ours():
        return locator.locate_many(lons, lats)

    # Same answers first (bare: lowest polygon index per point, as ids = index + 1 here).
    pi, gi = bare()
    expect = np.full(args.points, -1, dtype=np.int64)
    expect[:] = -1
    order = np.lexsort((gi, pi))
    pi, gi = pi[order], gi[order]
    first = np.ones(pi.size, dtype=bool)
    first[1:] = pi[1:] != pi[:-1]
    expect[pi[first]] = gi[first] + 1
    got = ours()
    assert np.array_equal(got, expect), "locate_many disagrees with the bare STRtree"
    hit = (got != -1).mean()

    bare_s, bare_cpu = best_of(bare, args.repeat)
    ours_s, ours_cpu = best_of(ours, args.repeat)
    bare_rate, ours_rate = args.points / bare_s, args.points / ours_s
    ratio = ours_rate / bare_rate
    print(f"(a) bulk, {args.points:,} points ({hit:.1%} inside a grid), best of {args.repeat}:")
    print(
        f"    bare STRtree.query(points, 'intersects'): {bare_rate:12,.0f} points/s "
        f"({bare_s:.3f} s wall, {args.points / bare_cpu:,.0f} points per CPU-second)"
    )
    print(
        f"    GridLocator.locate_many:                  {ours_rate:12,.0f} points/s "
        f"({ours_s:.3f} s wall, {args.points / ours_cpu:,.0f} points per CPU-second)"
    )
    met = ratio >= 0.8 and ours_rate >= 1_000_000
    print(
        f"    ratio ours/bare: {ratio:.2f}  goal ≥ 0.8 and ≥ 1,000,000 points/s (wall): "
        f"{'MET' if met else 'NOT MET'}"
    )

    # (b) single lookups, each timed on its own.
    k = args.singles
    xs, ys = lons[:k].tolist(), lats[:k].tolist()
    for x, y in zip(xs[:1000], ys[:1000], strict=True):  # warm up
        locator.locate(x, y)
    singles = np.empty(k)
    clock = time.perf_counter_ns
    for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
        t0 = clock()
        locator.locate(x, y)
        singles[n] = clock() - t0
    for n in range(0, k, 997):  # spot-check answers
        assert (locator.locate(xs[n], ys[n]) or -1) == got[n]
    mean_us, p99_us = singles.mean() / 1000, np.percentile(singles, 99) / 1000
    print(
        f"(b) single GridLocator.locate, {k:,} calls: mean {mean_us:.1f} µs, "
        f"p50 {np.percentile(singles, 50) / 1000:.1f} µs, p99 {p99_us:.1f} µs  "
        f"goal p99 < 50 µs: {'MET' if p99_us < 50 else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()
