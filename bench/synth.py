"""A province-scale synthetic data set for benchmarks and scale tests (not part of the product).

Run `python bench/synth.py --cases N --grids G` (DATABASE_URL names the database), or
`call_command(synth.Command(), ...)` from a benchmark or a test.

Everything is built under one synthetic province (code SYNTH_PROVINCE_CODE, far from any real
place and from the demo district): cities, districts, streets/towns, communities/villages with
their service stations and governance centers, rectangular grids, and cases over the last
`years` years with follow-up visits and supervision cards, then their facts and counters.

Distributions (seeded, so a run is reproducible): case volume grows over the years with a
seasonal monthly pattern (more disputes after the Spring Festival and in summer, fewer on
weekends); a few categories dominate (Pareto weights); channels mostly grid patrols and the
12345 hotline; old cases are almost all concluded (≈ 98 % of old disputes resolved), recent
ones mostly open; about 4 % of open cases and some late concluded ones are overdue and carry
yellow (and some red) cards; half of the concluded cases have a follow-up visit.

Rows are bulk loaded: COPY (psycopg `cursor.copy`) on PostgreSQL, executemany in batches on
SQLite. Case ids are reserved up front so facts, visits and cards can name them. A case's facts
are computed by `facts.case_facts` itself (the function the incremental refresh uses), and the
counters of the synthetic province are summed from those facts in SQL
(`facts.rebuild_counters(prefix)`), so the figures equal a recount by construction.
"""

import json
import math
import os
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.analytics.facts import MEASURES
from fengqiao.analytics.models import ROLLUPS, CaseFact, Rollup, RollupSpec, cut_path
from fengqiao.cases.models import Case, Category, Channel, FollowUpVisit, SupervisionCard
from fengqiao.cases.workflow import OPEN
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Grid, Region

SYNTH_PROVINCE_CODE = "990000000000"
SYNTH_PROVINCE_NAME = "合成省"
BATCH = 20_000
# From this many cases on, PostgreSQL loads without the secondary indexes of the big tables
# and builds them afterwards (much faster than maintaining them row by row).
BIG_LOAD = 100_000
GRID_SIZE = 0.01  # degrees; the lattice starts at ORIGIN, far from the demo district
ORIGIN = (100.0, 25.0)

CHANNEL_WEIGHTS = {"grid_patrol": 35, "hotline_12345": 25, "resident_report": 12, "phone": 8,
                   "walk_in": 8, "police_110": 5, "screening": 4, "petition": 1, "court": 1,
                   "department": 1}  # fmt: skip
# Relative volume per calendar month (January … December).
SEASON = [1.25, 1.35, 1.05, 0.95, 0.95, 1.0, 1.1, 1.15, 0.95, 0.9, 0.85, 0.9]
RISKS = [("low", 70), ("medium", 22), ("high", 7), ("critical", 1)]
OPEN_STATES = [("registered", 10), ("accepted", 15), ("dispatched", 20), ("acknowledged", 10),
               ("in_progress", 30), ("suspended", 5), ("returned", 3), ("escalated", 4),
               ("reopened", 3)]  # fmt: skip
DONE_STATES = [("closed", 92), ("resolved", 5), ("cancelled", 1), ("diverted", 2)]
SATISFACTION = [("satisfied", 88), ("basically", 8), ("unsatisfied", 4)]
TITLES = ["邻里纠纷", "婚姻家庭矛盾", "物业服务纠纷", "劳资纠纷", "土地承包纠纷", "宅基地纠纷",
          "噪音扰民", "楼道堆物", "道路交通事故赔偿", "消费纠纷"]  # fmt: skip


class AlreadyBuilt(Exception):
    """The synthetic province exists; run again with reset=True to rebuild it."""


@dataclass(frozen=True)
class Options:
    cases: int = 10_000_000
    grids: int = 100_000
    cities: int = 13
    seed: int = 1
    years: int = 5
    reset: bool = False


@dataclass
class Summary:
    cities: int = 0
    districts: int = 0
    streets: int = 0
    communities: int = 0
    grids: int = 0
    units: int = 0
    cases: int = 0
    visits: int = 0
    cards: int = 0
    facts: int = 0
    rollups: int = 0
    seconds: dict[str, float] | None = None


def synthetic_province() -> Region | None:
    return Region.objects.filter(code=SYNTH_PROVINCE_CODE, level=Region.Level.PROVINCE).first()


# -- bulk loading ---------------------------------------------------------------------------


class Loader:
    """Writes rows of one model: COPY on PostgreSQL, executemany on SQLite.

    `columns` are attnames the caller fills; every other concrete column gets its default,
    converted once. Values must already be what the database takes (aware datetimes are
    turned into SQLite's text form here).
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        fields = [
            f for f in model._meta.concrete_fields if not f.primary_key or f.attname in columns
        ]
        given = set(columns)
        self.fields = fields
        self.positions = [columns.index(f.attname) if f.attname in given else -1 for f in fields]
        self.defaults = [None if f.attname in given else self._default(f) for f in fields]
        self.names = [f.column for f in fields]
        self.pg = connection.vendor == "postgresql"
        self.time_slots = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]

    @staticmethod
    def _default(field: models.Field) -> Any:
        value = field.get_default()
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            return timezone.now()
        return value

    def _rows(self, rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
        positions, defaults = self.positions, self.defaults
        for row in rows:
            out = [row[p] if p >= 0 else d for p, d in zip(positions, defaults, strict=True)]
            if not self.pg:
                for i in self.time_slots:
                    if out[i] is not None:
                        out[i] = out[i].astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            yield out

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        table = self.model._meta.db_table
        n = 0
        with connection.cursor() as cur:
            if self.pg:
                # COPY text format written by hand: several times faster than write_row.
                with cur.cursor.copy(f"COPY {table} ({', '.join(self.names)}) FROM STDIN") as copy:
                    lines: list[str] = []
                    for row in self._rows(rows):
                        lines.append("\t".join([_copy_text(v) for v in row]))
                        n += 1
                        if len(lines) >= 5000:
                            copy.write("\n".join(lines) + "\n")
                            lines = []
                    if lines:
                        copy.write("\n".join(lines) + "\n")
            else:
                marks = ", ".join(["%s"] * len(self.names))
                sql = f"INSERT INTO {table} ({', '.join(self.names)}) VALUES ({marks})"
                batch: list[list[Any]] = []
                for row in self._rows(rows):
                    batch.append(row)
                    if len(batch) >= 5000:
                        cur.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
                    n += len(batch)
        return n


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(v: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        return v.translate(_ESCAPES)
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of `count` consecutive ids nobody else will take; returns it."""
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        top = cur.fetchone()[0]
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "GREATEST(%s, (SELECT last_value FROM "
                f"{_sequence(table)})) + %s)",
                [table, top, count],
            )
            return cur.fetchone()[0] - count + 1
    return top + 1


def _sequence(table: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cur.fetchone()[0]


@contextmanager
def indexes_dropped(models_: Sequence[type[models.Model]], active: bool) -> Iterator[None]:
    """On PostgreSQL (when `active`): drop the unique constraints and secondary indexes of
    these tables, and recreate them from their definitions afterwards (same names)."""
    if not active or connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE contype IN ('p', 'u'))",
            [tables],
        )
        indexes = cur.fetchall()
        for table, name, _d in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _d in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for table, name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _n, definition in indexes:
            cur.execute(definition)


# -- territory ------------------------------------------------------------------------------


def _code(city: int, district: int = 0, street: int = 0, community: int = 0) -> str:
    return f"99{city:02d}{district:02d}{street:03d}{community:03d}"


def _set_paths(ids: list[int]) -> None:
    """path = parent's path + own id, for regions created by bulk_create (parents first)."""
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(
                "UPDATE territory_region SET path = COALESCE((SELECT p.path FROM territory_region p"
                " WHERE p.id = territory_region.parent_id), '/') || CAST(id AS TEXT) || '/' "
                f"WHERE id IN ({marks})",
                chunk,
            )


def _regions(parents: list[Region], count: int, level: int, kind: str, code, name) -> list[Region]:
    """`count` regions spread round-robin over `parents` (each parent gets at least one when
    count ≥ len(parents)); `code(parent_index, child_index)` and `name(...)` label them."""
    per_parent: dict[int, int] = {}
    rows = []
    for i in range(count):
        p = i % len(parents)
        k = per_parent[p] = per_parent.get(p, 0) + 1
        rows.append(
            Region(
                code=code(parents[p], k),
                name=name(parents[p], k),
                level=level,
                kind=kind,
                parent=parents[p],
                path="",
            )
        )
    created = Region.objects.bulk_create(rows, batch_size=2000)
    _set_paths([r.pk for r in created])
    return list(Region.objects.filter(pk__in=[r.pk for r in created]).order_by("id"))


def build_territory(opts: Options, summary: Summary) -> dict[str, Any]:
    L, K = Region.Level, Region.Kind
    n_comm = max(opts.cities, opts.grids // 8)
    n_street = max(opts.cities, n_comm // 10)
    n_district = max(opts.cities, n_street // 10)
    province = Region.objects.create(
        code=SYNTH_PROVINCE_CODE, name=SYNTH_PROVINCE_NAME, level=L.PROVINCE, kind=K.PROVINCE
    )
    cities = _regions(
        [province], opts.cities, L.CITY, K.CITY,
        lambda p, k: _code(k), lambda p, k: f"合成{k}市",
    )  # fmt: skip
    districts = _regions(
        cities, n_district, L.DISTRICT, K.DISTRICT,
        lambda p, k: p.code[:4] + f"{k:02d}000000", lambda p, k: f"{p.name}{k}区",
    )  # fmt: skip
    streets = _regions(
        districts, n_street, L.STREET, K.SUBDISTRICT,
        lambda p, k: p.code[:6] + f"{k:03d}000", lambda p, k: f"{p.name}{k}街道",
    )  # fmt: skip
    communities = _regions(
        streets, n_comm, L.COMMUNITY, K.COMMUNITY,
        lambda p, k: p.code[:9] + f"{k:03d}", lambda p, k: f"{p.name}{k}社区",
    )  # fmt: skip
    summary.cities, summary.districts = len(cities), len(districts)
    summary.streets, summary.communities = len(streets), len(communities)

    units = [Unit(name=f"{r.name}综治中心", kind=UnitKind.GOVERNANCE_CENTER, region=r)
             for r in (*districts, *streets)]  # fmt: skip
    units += [Unit(name=f"{c.name}服务站", kind=UnitKind.SERVICE_STATION, region=c)
              for c in communities]  # fmt: skip
    Unit.objects.bulk_create(units, batch_size=2000)
    summary.units = len(units)
    centers = dict(
        Unit.objects.filter(
            kind=UnitKind.GOVERNANCE_CENTER, region__path__startswith=province.path
        ).values_list("region_id", "id")
    )
    stations = dict(
        Unit.objects.filter(
            kind=UnitKind.SERVICE_STATION, region__path__startswith=province.path
        ).values_list("region_id", "id")
    )

    # Grids: a square lattice in row-major order, consecutive grids in the same community.
    side = max(1, math.ceil(math.sqrt(opts.grids)))
    per_comm = max(1, math.ceil(opts.grids / len(communities)))
    grids = []
    for g in range(opts.grids):
        comm = communities[min(g // per_comm, len(communities) - 1)]
        x0 = ORIGIN[0] + (g % side) * GRID_SIZE
        y0 = ORIGIN[1] + (g // side) * GRID_SIZE
        x1, y1 = x0 + GRID_SIZE, y0 + GRID_SIZE
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        grids.append(
            Grid(
                code=f"{comm.code}{g % per_comm + 1:03d}",
                name=f"{comm.name}第{g % per_comm + 1}网格",
                community=comm,
                boundary={"type": "Polygon", "coordinates": [ring]},
                min_lon=x0, min_lat=y0, max_lon=x1, max_lat=y1,
                center_lon=(x0 + x1) / 2, center_lat=(y0 + y1) / 2,
            )
        )  # fmt: skip
    Grid.objects.bulk_create(grids, batch_size=5000)
    summary.grids = len(grids)
    from fengqiao.territory import locate

    locate.grids_changed()
    by_id = {r.pk: r for r in (*districts, *streets, *communities)}
    grid_rows = [
        (g.pk, g.community_id, g.min_lon, g.min_lat)
        for g in Grid.objects.filter(community__path__startswith=province.path).only(
            "id", "community_id", "min_lon", "min_lat"
        )
    ]
    return {
        "province": province,
        "districts": districts,
        "regions": by_id,
        "grids": grid_rows,
        "centers": centers,
        "stations": stations,
    }


# -- cases ----------------------------------------------------------------------------------
# Generated in numpy, a batch of cases at a time: every attribute is an array, the facts are the
# rules of facts.case_facts applied to those arrays (test_analytics_synth proves them equal to
# what refresh_case_facts writes), and the rollups are summed from the fact arrays with
# np.unique (equal to facts.counter_deltas, same test). Rows go to the database as text.

CASE_BATCH = 200_000
FACT_COLUMNS = [
    "case_id", "measure", "day", "value", "district_id", "street_id", "community_id", "grid_id",
    "region_path", "handling_unit_id", "category_id", "category_path", "channel_id", "kind",
]  # fmt: skip
OPEN_SET = {str(s) for s in OPEN}
NULL = -1  # missing time or id in the int64 arrays


def _pick(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(cum) - 1)


class _Text:
    """Column values as the database takes them in text: COPY text format on PostgreSQL, plain
    strings / None for executemany on SQLite (column affinity turns numbers into numbers).
    Synthetic strings hold no tab, newline or backslash, so nothing is escaped."""

    def __init__(self, pg: bool) -> None:
        self.pg = pg
        self.null = "\\N" if pg else None

    def ints(self, a: np.ndarray, null: np.ndarray | None = None) -> list:
        out = list(map(str, a.tolist()))  # much faster than numpy's astype(str)
        if null is not None:
            for i in np.flatnonzero(null).tolist():
                out[i] = self.null
        return out

    def objs(self, a: np.ndarray) -> list:
        out = a.astype(object)
        out[np.equal(out, None)] = self.null
        return out.tolist()

    def floats(self, a: np.ndarray, null: np.ndarray) -> list:
        out = np.round(a, 6).astype(str).astype(object)
        out[null] = self.null
        return out.tolist()

    def bools(self, a: np.ndarray, null: np.ndarray | None = None) -> list:
        t, f = ("t", "f") if self.pg else ("1", "0")
        out = np.where(a, t, f).astype(object)
        if null is not None:
            out[null] = self.null
        return out.tolist()

    def times(self, epoch: np.ndarray) -> list:
        null = epoch == NULL
        text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")
        text = np.strings.add(text, "+00") if self.pg else np.strings.replace(text, "T", " ")
        out = text.astype(object)
        out[null] = self.null
        return out.tolist()

    def days(self, days: np.ndarray) -> list:
        if not len(days):
            return []
        low = int(days.min())
        table = np.datetime_as_string(np.arange(low, int(days.max()) + 1).astype("datetime64[D]"))
        return table.astype(object)[days - low].tolist()

    def const(self, value: Any, n: int) -> list:
        if value is None:
            return [self.null] * n
        if isinstance(value, bool):
            value = ("t" if value else "f") if self.pg else int(value)
        elif isinstance(value, datetime):
            value = value.isoformat() if self.pg else _sqlite_time(value)
        elif isinstance(value, date):
            value = value.isoformat()
        return [str(value) if self.pg else value] * n


def _sqlite_time(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def write_columns(model: type[models.Model], given: dict[str, list], n: int) -> int:
    """Insert `n` rows of `model` from text columns {attname: values}; every other concrete
    column gets its default (COPY on PostgreSQL, executemany on SQLite)."""
    pg = connection.vendor == "postgresql"
    text = _Text(pg)
    names, cols = [], []
    for f in model._meta.concrete_fields:
        if f.attname in given:
            cols.append(given[f.attname])
        elif f.primary_key:
            continue
        else:
            cols.append(text.const(Loader._default(f), n))
        names.append(f.column)
    table = model._meta.db_table
    with connection.cursor() as cur:
        if pg:
            with cur.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                step = 50_000
                for i in range(0, n, step):
                    part = [c[i : i + step] for c in cols]
                    copy.write("\n".join(map("\t".join, zip(*part, strict=True))) + "\n")
        else:
            marks = ", ".join(["%s"] * len(names))
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                list(zip(*cols, strict=True)),
            )
    return n


class _World:
    """The synthetic province as arrays, for drawing cases."""

    def __init__(self, opts: Options, world: dict[str, Any], now: datetime) -> None:
        rng = random.Random(opts.seed)  # the weights: same as before for the same seed
        cats = list(Category.objects.filter(active=True))
        leaves = [c for c in cats if not any(o.parent_id == c.pk for o in cats)]
        self.cat_w = [rng.paretovariate(1.2) for _ in leaves]
        self.cat_id = np.array([c.pk for c in leaves], dtype=np.int64)
        self.cat_path = np.array([c.path for c in leaves], dtype=object)
        self.kinds = sorted({c.kind or "dispute" for c in leaves})
        self.cat_kind = np.array([self.kinds.index(c.kind or "dispute") for c in leaves])
        channels = dict(Channel.objects.values_list("code", "id"))
        items = [(channels[c], w) for c, w in CHANNEL_WEIGHTS.items() if c in channels]
        self.chan_id = np.array([c for c, _w in items], dtype=np.int64)
        self.chan_w = [w for _c, w in items]
        regions = world["regions"]
        grids = world["grids"]  # (id, community id, min lon, min lat)
        self.grid_w = [rng.uniform(0.3, 3.0) for _ in grids]
        self.grid_id = np.array([g[0] for g in grids], dtype=np.int64)
        self.grid_lon = np.array([g[2] for g in grids])
        self.grid_lat = np.array([g[3] for g in grids])
        comm = [regions[g[1]] for g in grids]
        street = [regions[c.parent_id] for c in comm]
        district = [regions[s.parent_id] for s in street]
        centers, stations = world["centers"], world["stations"]
        self.grid_comm = np.array([c.pk for c in comm], dtype=np.int64)
        self.grid_street = np.array([s.pk for s in street], dtype=np.int64)
        self.grid_district = np.array([d.pk for d in district], dtype=np.int64)
        self.grid_path = np.array([c.path for c in comm], dtype=object)
        self.grid_name = np.array([c.name for c in comm], dtype=object)
        self.grid_units = np.array(
            [[stations.get(c.pk, NULL), centers.get(s.pk, NULL), centers.get(d.pk, NULL)]
             for c, s, d in zip(comm, street, district, strict=True)], dtype=np.int64,
        )  # fmt: skip
        ds = world["districts"]
        self.d_id = np.array([d.pk for d in ds], dtype=np.int64)
        self.d_path = np.array([d.path for d in ds], dtype=object)
        self.d_name = np.array([d.name for d in ds], dtype=object)
        self.d_center = np.array([centers.get(d.pk, NULL) for d in ds], dtype=np.int64)
        self.code6 = {r.pk: r.code[:6] for r in ds}
        # Places for the rollups: every region id on a path, as a small rank.
        self.path_of = dict(
            Region.objects.filter(path__startswith=world["province"].path).values_list("id", "path")
        )
        self.region_ids = np.array(sorted(self.path_of), dtype=np.int64)
        self._anc: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Days: growth over the years × season × fewer cases on weekends.
        tz = timezone.get_current_timezone()
        first_day = (now - timedelta(days=365 * opts.years)).date()
        days = [first_day + timedelta(days=i) for i in range((now.date() - first_day).days)]
        self.day_w = [
            (1 + i / len(days)) * SEASON[d.month - 1] * (0.7 if d.weekday() >= 5 else 1.0)
            for i, d in enumerate(days)
        ]
        self.midnight = np.array(
            [int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()) for d in days],
            dtype=np.int64,
        )
        # Local time offsets per quarter hour (every zone changes offset on a quarter hour).
        self.t0 = int(self.midnight[0]) - 86400
        stop = int(now.timestamp()) + 90 * 86400
        self.offsets = np.array(
            [int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds())
             for t in range(self.t0, stop, 900)], dtype=np.int64,
        )  # fmt: skip

    def local_day(self, epoch: np.ndarray) -> np.ndarray:
        """Days since 1970-01-01 of the local date (as timezone.localdate)."""
        return (epoch + self.offsets[(epoch - self.t0) // 900]) // 86400

    def ancestors(self, c: dict[str, Any], depth: int) -> np.ndarray:
        """Rank (in region_ids) of the region each case's path is cut to at `depth`."""
        if depth not in self._anc:
            self._anc[depth] = tuple(
                np.searchsorted(
                    self.region_ids,
                    np.array([int(cut_path(p, depth).rstrip("/").rsplit("/", 1)[-1])
                              for p in paths.tolist()], dtype=np.int64),
                )
                for paths in (self.grid_path, self.d_path)
            )  # fmt: skip
        by_grid, by_district = self._anc[depth]
        return np.where(c["located"], by_grid[c["g"]], by_district[c["d"]])


MEASURE_CODES = list(MEASURES)


def _case_batch(
    w: _World, rng: np.random.Generator, day_idx: np.ndarray, first_id: int, now_s: int
) -> dict[str, Any]:
    """One batch of cases as arrays (the distributions described in the module docstring)."""
    n = len(day_idx)
    ids = first_id + np.arange(n, dtype=np.int64)
    created = w.midnight[day_idx] + rng.integers(7, 21, n) * 3600 + rng.integers(0, 60, n) * 60
    future = created >= now_s
    created[future] = now_s - rng.integers(1, 601, int(future.sum())) * 60
    age = (now_s - created) // 86400
    leaf = _pick(rng, n, w.cat_w)
    kind = w.cat_kind[leaf]
    dispute = kind == w.kinds.index("dispute") if "dispute" in w.kinds else np.zeros(n, bool)
    located = rng.random(n) < 0.98
    g = _pick(rng, n, w.grid_w)
    d = rng.integers(0, len(w.d_id), n)
    district = np.where(located, w.grid_district[g], w.d_id[d])
    path = np.where(located, w.grid_path[g], w.d_path[d])
    r = rng.random(n)
    level_i = np.where(r < 0.6, 0, np.where(r < 0.9, 1, 2))
    level_i[~located] = 2
    unit = np.where(located, w.grid_units[g, level_i], w.d_center[d])
    done = rng.random(n) < np.where(age > 60, 0.99, np.where(age > 14, 0.7, 0.15))
    states = np.array([s for s, _w in OPEN_STATES] + [s for s, _w in DONE_STATES], dtype=object)
    state_i = np.where(
        done,
        len(OPEN_STATES) + _pick(rng, n, [x for _s, x in DONE_STATES]),
        _pick(rng, n, [x for _s, x in OPEN_STATES]),
    )
    state = states[state_i]
    handle_limit = np.where(dispute, 22, 15)
    handle_due = created + handle_limit * 7 * 86400 // 5
    accepted = np.where(state != "registered", created + 7200, NULL)
    concl = (state == "closed") | (state == "resolved")
    late = rng.random(n) < 1 / 12
    span = np.floor(np.where(late, rng.uniform(32, 60, n), rng.uniform(1, 10, n)) * 86400)
    resolved = created + span.astype(np.int64)
    resolved = np.where(resolved >= now_s, now_s - 60, resolved)
    closed = np.where(state == "closed", resolved + 2 * 86400, NULL)
    reopen_resolved = (state == "closed") & (closed >= now_s)
    closed[reopen_resolved] = NULL
    state[reopen_resolved] = "resolved"
    resolved[~concl] = NULL
    closed[~concl] = NULL
    s = rng.random(n)
    success = np.where(s < 0.975, 1, np.where(s < 0.99, 0, NULL))
    success[~concl] = NULL
    is_open = np.isin(state, list(OPEN_SET))
    overdue = np.where(concl, resolved > handle_due, is_open & ((handle_due < now_s)
                       | (rng.random(n) < 0.04)))  # fmt: skip
    yellow = overdue & (handle_due + 86400 < now_s)
    red = overdue & (rng.random(n) < 0.3) & (handle_due + 5 * 86400 < now_s)
    supervision = np.where(red, "red", np.where(yellow, "yellow", "none")).astype(object)
    visit_at = resolved + rng.integers(1, 6, n) * 86400
    visited = concl & (rng.random(n) < 0.5) & (visit_at < now_s)
    sat_i = _pick(rng, n, [x for _s, x in SATISFACTION])
    phone = rng.random(n) < 0.7
    channel = w.chan_id[_pick(rng, n, w.chan_w)]
    return {
        "n": n, "ids": ids, "created": created, "leaf": leaf, "kind": kind, "located": located,
        "g": g, "d": d, "district": district, "path": path, "level_i": level_i, "unit": unit,
        "state": state, "handle_limit": handle_limit, "handle_due": handle_due,
        "accepted": accepted, "resolved": resolved, "closed": closed, "success": success,
        "concl": concl, "is_open": is_open, "overdue": overdue, "yellow": yellow, "red": red,
        "supervision": supervision, "visited": visited, "visit_at": visit_at, "sat_i": sat_i,
        "phone": phone, "channel": channel,
        "title": rng.integers(0, len(TITLES), n), "house": rng.integers(1, 41, n),
        "people": rng.integers(1, 13, n), "risk": _pick(rng, n, [x for _r, x in RISKS]),
        "lon": w.grid_lon[g] + rng.random(n) * GRID_SIZE,
        "lat": w.grid_lat[g] + rng.random(n) * GRID_SIZE,
    }  # fmt: skip


def _batch_facts(w: _World, c: dict[str, Any]) -> dict[str, np.ndarray]:
    """The facts of a batch: facts.case_facts on arrays (no merged cases, no reopenings)."""
    created, resolved = c["created"], c["resolved"]
    concl, success = c["concl"], c["success"]
    sat_ok = np.isin(
        np.array([s for s, _w in SATISFACTION])[c["sat_i"]], ["satisfied", "basically"]
    )
    parts = [  # (measure, mask, time, value)
        ("registered", np.ones(c["n"], bool), created, None),
        ("resolved", concl & (success != 0), created, None),
        ("accepted", c["accepted"] != NULL, c["accepted"], None),
        ("concluded", concl, resolved, None),
        ("handling_minutes", concl, resolved, np.maximum(0, (resolved - created) // 60)),
        ("concluded_on_time", concl & ~c["overdue"] & (resolved <= c["handle_due"]), resolved,
         None),
        ("with_outcome", concl & (success != NULL), resolved, None),
        ("success", concl & (success == 1), resolved, None),
        ("open_overdue", c["is_open"] & c["overdue"], c["handle_due"], None),
        ("visit", c["visited"], c["visit_at"], None),
        ("visit_satisfied", c["visited"] & sat_ok, c["visit_at"], None),
        ("card_yellow", c["yellow"], c["handle_due"] + 86400, None),
        ("card_red", c["red"], c["handle_due"] + 5 * 86400, None),
    ]  # fmt: skip
    idx, measure, day, value = [], [], [], []
    for name, mask, at, val in parts:
        sel = np.flatnonzero(mask)
        idx.append(sel)
        measure.append(np.full(len(sel), MEASURE_CODES.index(name)))
        day.append(w.local_day(at[sel]))
        value.append(val[sel] if val is not None else np.ones(len(sel), dtype=np.int64))
    return {
        "idx": np.concatenate(idx),
        "measure": np.concatenate(measure),
        "day": np.concatenate(day),
        "value": np.concatenate(value),
    }


class _RollupSums:
    """Rollup rows summed from fact arrays: per spec, {packed key: (n, total)} via np.unique."""

    def __init__(self, w: _World) -> None:
        self.w = w
        self.parts: dict[RollupSpec, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
            s: [] for s in ROLLUPS
        }

    @staticmethod
    def _pack(start, area, dim, kind, measure) -> np.ndarray:
        return (((start * 2**20 + area) * 2**12 + dim) * 2**4 + kind) * 2**6 + measure

    @staticmethod
    def _unpack(key: np.ndarray) -> tuple[np.ndarray, ...]:
        measure = key % 2**6
        key = key // 2**6
        kind = key % 2**4
        key = key // 2**4
        dim = key % 2**12
        key = key // 2**12
        return key // 2**20, key % 2**20, dim, kind, measure

    def add(self, c: dict[str, Any], f: dict[str, np.ndarray]) -> None:
        w, i = self.w, f["idx"]
        day = f["day"]
        month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        cat_rank = c["leaf"][i]
        chan_rank = np.searchsorted(np.sort(w.chan_id), c["channel"][i])
        kind = c["kind"][i]
        areas: dict[int, np.ndarray] = {}
        for spec in ROLLUPS:
            if spec.depth not in areas:
                areas[spec.depth] = w.ancestors(c, spec.depth)
            area = areas[spec.depth][i]
            dim = cat_rank if spec.dim == "category" else chan_rank if spec.dim == "channel" else 0
            start = day if spec.grain == "d" else month
            keys = self._pack(start, area, dim, kind, f["measure"])
            uniq, inv = np.unique(keys, return_inverse=True)
            self.parts[spec].append(
                (uniq, np.bincount(inv, minlength=len(uniq)),
                 np.bincount(inv, weights=f["value"], minlength=len(uniq)).astype(np.int64))
            )  # fmt: skip

    def write(self) -> int:
        w = self.w
        text = _Text(connection.vendor == "postgresql")
        chan_sorted = np.sort(w.chan_id)
        written = 0
        for spec, parts in self.parts.items():
            if not parts:
                continue
            keys = np.concatenate([p[0] for p in parts])
            uniq, inv = np.unique(keys, return_inverse=True)
            n = np.bincount(inv, weights=np.concatenate([p[1] for p in parts])).astype(np.int64)
            total = np.bincount(inv, weights=np.concatenate([p[2] for p in parts]))
            total = total.astype(np.int64)
            start, area, dim, kind, measure = self._unpack(uniq)
            if spec.grain == "d":
                starts = start.astype("datetime64[D]")
            else:
                starts = start.astype("datetime64[M]").astype("datetime64[D]")
            dim_id = (w.cat_id[dim] if spec.dim == "category" else chan_sorted[dim]
                      if spec.dim == "channel" else np.zeros(len(uniq), dtype=np.int64))  # fmt: skip
            paths = np.array([w.path_of[int(x)] for x in w.region_ids], dtype=object)[area]
            k = len(uniq)
            written += write_columns(
                Rollup,
                {
                    "grain": text.const(spec.grain, k),
                    "start": np.datetime_as_string(starts).astype(object).tolist(),
                    "depth": text.const(spec.depth, k),
                    "area_path": paths.tolist(),
                    "dim": text.const(spec.dim, k),
                    "dim_id": text.ints(dim_id),
                    "kind": np.array(w.kinds, dtype=object)[kind].tolist(),
                    "measure": np.array(MEASURE_CODES, dtype=object)[measure].tolist(),
                    "n": text.ints(n),
                    "total": text.ints(total),
                },
                k,
            )
        return written


def _write_batch(w: _World, c: dict[str, Any], f: dict[str, np.ndarray], summary: Summary) -> None:
    text = _Text(connection.vendor == "postgresql")
    n = c["n"]
    loc, g, d = c["located"], c["g"], c["d"]
    nloc = ~loc
    ids = text.ints(c["ids"])
    grid = np.where(loc, w.grid_id[g], NULL)
    comm = np.where(loc, w.grid_comm[g], NULL)
    street = np.where(loc, w.grid_street[g], NULL)
    unit_null = c["unit"] == NULL
    local = c["created"] + w.offsets[(c["created"] - w.t0) // 900]
    year = local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    code6 = np.array([w.code6[int(x)] for x in w.d_id], dtype=object)
    order = np.argsort(w.d_id)
    dcode = code6[order[np.searchsorted(w.d_id, c["district"], sorter=order)]]
    tracking = [f"{a}-{y}-{i % 10**8:08d}" for a, y, i in
                zip(dcode.tolist(), year.tolist(), c["ids"].tolist(), strict=True)]  # fmt: skip
    place = np.where(loc, w.grid_name[g], w.d_name[d])
    address = [f"{p}{h}号" for p, h in zip(place.tolist(), c["house"].tolist(), strict=True)]
    levels = np.array(["community", "street", "district"], dtype=object)[c["level_i"]]
    risks = np.array([r for r, _w in RISKS], dtype=object)[c["risk"]]
    write_columns(
        Case,
        {
            "id": ids, "tracking_number": tracking, "kind": np.array(w.kinds, dtype=object)[
                c["kind"]].tolist(),
            "category_id": text.ints(w.cat_id[c["leaf"]]),
            "title": np.array(TITLES, dtype=object)[c["title"]].tolist(), "address": address,
            "lon": text.floats(c["lon"], nloc), "lat": text.floats(c["lat"], nloc),
            "grid_id": text.ints(grid, nloc), "community_id": text.ints(comm, nloc),
            "street_id": text.ints(street, nloc), "district_id": text.ints(c["district"]),
            "region_path": c["path"].tolist(),
            "location_flag": np.where(loc, "", "no_location").astype(object).tolist(),
            "channel_id": text.ints(c["channel"]), "reporter_name": text.const("张某", n),
            "people_involved": text.ints(c["people"]), "risk_level": risks.tolist(),
            "state": c["state"].tolist(), "handling_level": levels.tolist(),
            "handling_unit_id": text.ints(c["unit"], unit_null),
            "created_at": text.times(c["created"]), "updated_at": text.times(c["created"]),
            "accepted_at": text.times(c["accepted"]), "resolved_at": text.times(c["resolved"]),
            "closed_at": text.times(c["closed"]), "clock_start": text.times(c["created"]),
            "handle_limit": text.ints(c["handle_limit"]),
            "handle_due": text.times(c["handle_due"]), "is_overdue": text.bools(c["overdue"]),
            "supervision_level": c["supervision"].tolist(),
            "outcome": np.where(c["resolved"] != NULL, "已调处", "").astype(object).tolist(),
            "outcome_success": text.bools(c["success"] == 1, c["success"] == NULL),
        },
        n,
    )  # fmt: skip
    v = np.flatnonzero(c["visited"])
    sats = np.array([s for s, _w in SATISFACTION], dtype=object)
    write_columns(
        FollowUpVisit,
        {
            "case_id": text.ints(c["ids"][v]),
            "method": np.where(c["phone"][v], "phone", "in_person").astype(object).tolist(),
            "visited_at": text.times(c["visit_at"][v]),
            "satisfaction": sats[c["sat_i"][v]].tolist(),
            "note": text.const("", len(v)),
        },
        len(v),
    )
    y, r = np.flatnonzero(c["yellow"]), np.flatnonzero(c["red"])
    cards = np.concatenate([y, r])
    raised = np.concatenate([c["handle_due"][y] + 86400, c["handle_due"][r] + 5 * 86400])
    write_columns(
        SupervisionCard,
        {
            "case_id": text.ints(c["ids"][cards]),
            "level": (["yellow"] * len(y)) + (["red"] * len(r)),
            "raised_at": text.times(raised),
            "reason": text.const("超期督办", len(cards)),
            "to_unit_id": text.ints(c["unit"][cards], unit_null[cards]),
            "resolved_at": text.const(None, len(cards)),
        },
        len(cards),
    )
    # Facts: the case's dimensions once per case as text, taken for each of its facts.
    i = f["idx"]
    k = len(i)

    def per_case(values: list) -> list:
        return np.array(values, dtype=object)[i].tolist()

    write_columns(
        CaseFact,
        {
            "case_id": per_case(ids),
            "measure": np.array(MEASURE_CODES, dtype=object)[f["measure"]].tolist(),
            "day": text.days(f["day"]),
            "value": text.ints(f["value"]),
            "district_id": per_case(text.ints(c["district"])),
            "street_id": per_case(text.ints(street, nloc)),
            "community_id": per_case(text.ints(comm, nloc)),
            "grid_id": per_case(text.ints(grid, nloc)),
            "region_path": c["path"][i].tolist(),
            "handling_unit_id": per_case(text.ints(c["unit"], unit_null)),
            "category_id": text.ints(w.cat_id[c["leaf"]][i]),
            "category_path": w.cat_path[c["leaf"]][i].tolist(),
            "channel_id": text.ints(c["channel"][i]),
            "kind": np.array(w.kinds, dtype=object)[c["kind"][i]].tolist(),
        },
        k,
    )
    summary.visits += len(v)
    summary.cards += len(cards)
    summary.facts += k


def _load_cases(
    opts: Options, world: dict[str, Any], summary: Summary, progress: Callable[[str], None]
) -> _RollupSums:
    now = timezone.now().replace(microsecond=0)
    now_s = int(now.timestamp())
    first = _reserve_ids(Case, opts.cases)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                # Foreign-key triggers off for this transaction only: the rows reference what
                # build_territory and the reference data hold, by construction; checking ten
                # million of them one by one at commit would take longer than loading them.
                cur.execute("SET LOCAL session_replication_role = replica")
    w = _World(opts, world, now)
    rng = np.random.default_rng(opts.seed)
    # Which day each case falls on, then the cases day by day (ids follow time, as in life).
    day_idx = np.sort(_pick(rng, opts.cases, w.day_w))
    sums = _RollupSums(w)
    for start in range(0, opts.cases, CASE_BATCH):
        c = _case_batch(w, rng, day_idx[start : start + CASE_BATCH], first + start, now_s)
        f = _batch_facts(w, c)
        _write_batch(w, c, f, summary)
        sums.add(c, f)
        done = start + c["n"]
        if done % (CASE_BATCH * 5) == 0:
            progress(f"  {done:,} cases")
    summary.cases = opts.cases
    return sums


# -- entry points ---------------------------------------------------------------------------


def reset() -> None:
    """Remove the synthetic province and everything in it (the demo data is not touched)."""
    province = synthetic_province()
    if province is None:
        return
    prefix = province.path
    with transaction.atomic(), connection.cursor() as cur:
        cases = "SELECT id FROM cases_case WHERE region_path LIKE %s"
        like = [prefix + "%"]
        # Every table pointing at the cases, hidden relations (the facts) included.
        for rel in Case._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and rel.is_relation):
                continue
            if rel.many_to_many:
                # A many-to-many to the cases (an emergency event's incidents): its link rows.
                through = rel.through._meta
                column = next(
                    f.column
                    for f in through.get_fields()
                    if getattr(f, "related_model", None) is Case and f.concrete
                )
                cur.execute(f"DELETE FROM {through.db_table} WHERE {column} IN ({cases})", like)
                continue
            if rel.related_model is Case or not getattr(rel.field, "concrete", False):
                continue
            table = rel.related_model._meta.db_table
            cur.execute(f"DELETE FROM {table} WHERE {rel.field.column} IN ({cases})", like)
        cur.execute(f"DELETE FROM {Rollup._meta.db_table} WHERE area_path LIKE %s", like)
        cur.execute("DELETE FROM cases_case WHERE region_path LIKE %s", like)
        regions = "SELECT id FROM territory_region WHERE path LIKE %s"
        cur.execute(f"DELETE FROM territory_grid WHERE community_id IN ({regions})", like)
        cur.execute(f"DELETE FROM org_unit WHERE region_id IN ({regions})", like)
        # Children before parents (the parent key protects them).
        for level in (5, 4, 3, 2, 1):
            cur.execute(
                "DELETE FROM territory_region WHERE path LIKE %s AND level = %s", [*like, level]
            )
    from fengqiao.territory import locate

    locate.grids_changed()


def build(opts: Options, progress: Callable[[str], None] = lambda _m: None) -> Summary:
    """Build the synthetic province (see the module docstring). Refuses to run twice unless
    `opts.reset`, which first removes the previous synthetic province."""
    import time

    if synthetic_province() is not None:
        if not opts.reset:
            raise AlreadyBuilt(SYNTH_PROVINCE_CODE)
        progress("removing the previous synthetic province …")
        reset()
    summary = Summary(seconds={})
    t0 = time.monotonic()
    with transaction.atomic():
        world = build_territory(opts, summary)
    t1 = time.monotonic()
    progress(
        f"territory: {summary.cities} cities, {summary.districts} districts, {summary.streets} "
        f"streets, {summary.communities} communities, {summary.grids:,} grids ({t1 - t0:.0f} s)"
    )
    big = opts.cases >= BIG_LOAD
    with transaction.atomic(), indexes_dropped([Case, CaseFact], big):
        sums = _load_cases(opts, world, summary, progress)
    t2 = time.monotonic()
    progress(f"cases: {summary.cases:,}, facts: {summary.facts:,} ({t2 - t1:.0f} s)")
    with transaction.atomic(), indexes_dropped([Rollup], big):
        summary.rollups = sums.write()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # The territory and units too: bulk-created, they would otherwise wait for autovacuum
            # (which, busy with the fact tables, had not analysed them half an hour later), and
            # their path filters were estimated at 1 row for 13,889 regions.
            for model in (Case, CaseFact, Rollup, FollowUpVisit, SupervisionCard, Region, Grid,
                          Unit):  # fmt: skip
                cur.execute(f"ANALYZE {model._meta.db_table}")
    t3 = time.monotonic()
    progress(f"rollups: {summary.rollups:,} rows ({t3 - t2:.0f} s)")
    summary.seconds = {"territory": t1 - t0, "cases": t2 - t1, "rollups": t3 - t2}
    return summary


def synthetic_date_range(opts: Options, today: date) -> tuple[date, date]:
    return today - timedelta(days=365 * opts.years), today


# -- the command ---------------------------------------------------------------------------


def _positive(name: str, value: int, minimum: int = 1) -> int:
    if value < minimum:
        raise CommandError(
            _("--%(name)s: give a whole number of at least %(min)d.")
            % {"name": name, "min": minimum}
        )
    return value


class Command(BaseCommand):
    help = (
        "Build a synthetic province (13 cities, 100,000 grids, 10 million cases over 5 years by "
        "default) with bulk loading, for benchmarks. Refuses to run twice unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        d = Options()
        parser.add_argument("--cases", type=int, default=d.cases)
        parser.add_argument("--grids", type=int, default=d.grids)
        parser.add_argument("--cities", type=int, default=d.cities)
        parser.add_argument("--seed", type=int, default=d.seed)
        parser.add_argument("--years", type=int, default=d.years)
        parser.add_argument(
            "--reset", action="store_true", help="remove a previous synthetic province first"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        opts = Options(
            cases=_positive("cases", o["cases"], 0),
            grids=_positive("grids", o["grids"]),
            cities=_positive("cities", o["cities"]),
            seed=o["seed"],
            years=_positive("years", o["years"]),
            reset=o["reset"],
        )
        if opts.cities > 99:
            raise CommandError(_("--cities: at most 99."))
        try:
            summary = build(opts, progress=lambda m: self.stdout.write(m))
        except AlreadyBuilt:
            raise CommandError(
                _("The synthetic province already exists; run with --reset to rebuild it.")
            ) from None
        self.stdout.write(
            _(
                "Synthetic province built: %(cases)s cases, %(facts)s facts, %(grids)s grids, "
                "%(visits)s visits, %(cards)s supervision cards."
            )
            % {
                "cases": f"{summary.cases:,}",
                "facts": f"{summary.facts:,}",
                "grids": f"{summary.grids:,}",
                "visits": f"{summary.visits:,}",
                "cards": f"{summary.cards:,}",
            }
        )


def main(argv: list[str]) -> None:
    """`python bench/synth.py [--cases N] [--grids G] [--cities C] [--seed S] [--years Y] [--reset]`."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    django.setup()
    Command().run_from_argv(["bench/synth.py", "synth", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
