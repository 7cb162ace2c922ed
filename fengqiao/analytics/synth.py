"""A province-scale synthetic data set for benchmarks and scale tests (`fengqiao synth`).

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

import bisect
import json
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from fengqiao.analytics.facts import case_facts, rebuild_counters
from fengqiao.analytics.models import CaseFact, DailyCounter, MonthlyCounter
from fengqiao.cases.models import Case, Category, Channel, FollowUpVisit, SupervisionCard
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
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
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


def _weighted(rng: random.Random, items: Sequence, cum: Sequence[float]) -> Any:
    return items[bisect.bisect_left(cum, rng.random() * cum[-1])]


def _cum(weights: Iterable[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


CASE_COLUMNS = [
    "id", "tracking_number", "kind", "category_id", "title", "address", "lon", "lat", "grid_id",
    "community_id", "street_id", "district_id", "region_path", "location_flag", "channel_id",
    "reporter_name", "people_involved", "risk_level", "state", "handling_level",
    "handling_unit_id", "created_at", "updated_at", "accepted_at", "resolved_at", "closed_at",
    "clock_start", "handle_limit", "handle_due", "is_overdue", "supervision_level", "outcome",
    "outcome_success",
]  # fmt: skip
FACT_COLUMNS = [
    "case_id", "measure", "day", "district_id", "street_id", "community_id", "grid_id",
    "region_path", "handling_unit_id", "category_id", "category_path", "channel_id", "kind",
    "value",
]  # fmt: skip
VISIT_COLUMNS = ["case_id", "method", "visited_at", "satisfaction", "note"]
CARD_COLUMNS = ["case_id", "level", "raised_at", "reason", "to_unit_id", "resolved_at"]


def generate(
    opts: Options, world: dict[str, Any], first_id: int, now: datetime
) -> Iterator[tuple[tuple, list[tuple], list[tuple], list[tuple]]]:
    """(case row, visit rows, card rows, fact rows) for each synthetic case, oldest first."""
    rng = random.Random(opts.seed)
    cats = list(Category.objects.filter(active=True))
    leaves = [c for c in cats if not any(o.parent_id == c.pk for o in cats)]
    cat_cum = _cum(rng.paretovariate(1.2) for _ in leaves)
    channels = dict(Channel.objects.values_list("code", "id"))
    chan_items = [(channels[c], w) for c, w in CHANNEL_WEIGHTS.items() if c in channels]
    chan_ids, chan_cum = [c for c, _w in chan_items], _cum(w for _c, w in chan_items)
    grids = world["grids"]
    grid_cum = _cum(rng.uniform(0.3, 3.0) for _ in grids)
    centers, stations = world["centers"], world["stations"]

    def light(r: Any) -> SimpleNamespace:  # plain attributes: model pk lookups are slow
        return SimpleNamespace(
            pk=r.pk, path=r.path, parent_id=r.parent_id, code=r.code, name=r.name
        )

    regions = {pk: light(r) for pk, r in world["regions"].items()}
    districts = [regions[d.pk] for d in world["districts"]]
    leaves = [SimpleNamespace(pk=c.pk, path=c.path, kind=c.kind) for c in leaves]
    risk_items, risk_cum = [r for r, _w in RISKS], _cum(w for _r, w in RISKS)
    open_items, open_cum = [s for s, _w in OPEN_STATES], _cum(w for _s, w in OPEN_STATES)
    done_items, done_cum = [s for s, _w in DONE_STATES], _cum(w for _s, w in DONE_STATES)
    sat_items, sat_cum = [s for s, _w in SATISFACTION], _cum(w for _s, w in SATISFACTION)

    # Day weights: growth over the years × season × fewer cases on weekends.
    first_day = (now - timedelta(days=365 * opts.years)).date()
    days = [first_day + timedelta(days=i) for i in range((now.date() - first_day).days)]
    day_cum = _cum(
        (1 + i / len(days)) * SEASON[d.month - 1] * (0.7 if d.weekday() >= 5 else 1.0)
        for i, d in enumerate(days)
    )
    # How many cases each day gets, then the cases day by day (ids follow time, as in life).
    per_day = [0] * len(days)
    for _ in range(opts.cases):
        per_day[min(bisect.bisect_left(day_cum, rng.random() * day_cum[-1]), len(days) - 1)] += 1
    tz = timezone.get_current_timezone()

    def local_day(dt: datetime) -> date:  # timezone.localdate without the per-call lookups
        return dt.astimezone(tz).date()

    day_of_case = (d for d, k in zip(days, per_day, strict=True) for _ in range(k))

    for i, d in enumerate(day_of_case):
        created = datetime(
            d.year, d.month, d.day, rng.randint(7, 20), rng.randint(0, 59), tzinfo=tz
        )
        if created >= now:
            created = now - timedelta(minutes=rng.randint(1, 600))
        age = (now - created).days
        cat = _weighted(rng, leaves, cat_cum)
        kind = cat.kind or "dispute"
        if rng.random() < 0.98:
            grid_id, comm_id, lon0, lat0 = _weighted(rng, grids, grid_cum)
            comm = regions[comm_id]
            street = regions[comm.parent_id]
            district = regions[street.parent_id]
            lon = round(lon0 + rng.random() * GRID_SIZE, 6)
            lat = round(lat0 + rng.random() * GRID_SIZE, 6)
            path, flag = comm.path, ""
            r = rng.random()
            level, unit = (
                ("community", stations.get(comm.pk)) if r < 0.6
                else ("street", centers.get(street.pk)) if r < 0.9
                else ("district", centers.get(district.pk))
            )  # fmt: skip
            street_id, community_id = street.pk, comm.pk
        else:  # no location: the district center's triage queue
            district = districts[rng.randrange(len(districts))]
            grid_id = street_id = community_id = None
            lon = lat = None
            path, flag = district.path, "no_location"
            level, unit = "district", centers.get(district.pk)
        done_share = 0.99 if age > 60 else 0.7 if age > 14 else 0.15
        is_done = rng.random() < done_share
        state = (
            _weighted(rng, done_items, done_cum)
            if is_done
            else _weighted(rng, open_items, open_cum)
        )
        handle_limit = 22 if kind == "dispute" else 15
        handle_due = created + timedelta(days=handle_limit * 7 / 5)
        accepted = created + timedelta(hours=2) if state != "registered" else None
        resolved = closed = None
        success = None
        if state in ("closed", "resolved"):
            # Most within the limit; one in twelve late.
            late = rng.random() < 1 / 12
            span = rng.uniform(1, 10) * 86400 if not late else rng.uniform(32, 60) * 86400
            resolved = created + timedelta(seconds=span)
            if resolved >= now:
                resolved = now - timedelta(minutes=1)
            closed = resolved + timedelta(days=2) if state == "closed" else None
            if closed is not None and closed >= now:
                closed = None
                state = "resolved"
            s = rng.random()
            success = True if s < 0.975 else False if s < 0.99 else None
            overdue = resolved > handle_due
        elif state in ("cancelled", "diverted"):
            overdue = False
        else:
            overdue = handle_due < now or rng.random() < 0.04
        case_id = first_id + i
        cards = []
        if overdue:
            cards.append(("yellow", handle_due + timedelta(days=1)))
            if rng.random() < 0.3:
                cards.append(("red", handle_due + timedelta(days=5)))
            cards = [(lv, at) for lv, at in cards if at < now]
        supervision = cards[-1][0] if cards else "none"
        visits = []
        finish = resolved or closed
        if finish is not None and rng.random() < 0.5:
            at = finish + timedelta(days=rng.randint(1, 5))
            if at < now:
                visits.append(
                    ("phone" if rng.random() < 0.7 else "in_person", at,
                     _weighted(rng, sat_items, sat_cum))
                )  # fmt: skip
        channel_id = _weighted(rng, chan_ids, chan_cum)
        case_row = (
            case_id, f"{district.code[:6]}-{created.year}-{case_id % 10**8:08d}", kind, cat.pk,
            rng.choice(TITLES), f"{comm.name if community_id else district.name}{rng.randint(1, 40)}号",
            lon, lat, grid_id, community_id, street_id, district.pk, path, flag, channel_id,
            "张某", rng.randint(1, 12), _weighted(rng, risk_items, risk_cum), state, level, unit,
            created, created, accepted, resolved, closed, created, handle_limit, handle_due,
            overdue, supervision, "已调处" if resolved else "", success,
        )  # fmt: skip
        ns = SimpleNamespace(
            merged_into_id=None, created_at=created, state=state, outcome_success=success,
            accepted_at=accepted, resolved_at=resolved, closed_at=closed, is_overdue=overdue,
            handle_due=handle_due,
        )  # fmt: skip
        contributions = case_facts(
            ns,
            [SimpleNamespace(visited_at=at, satisfaction=sat) for _m, at, sat in visits],
            [SimpleNamespace(level=lv, raised_at=at) for lv, at in cards],
            (),
            local_day,
        )
        facts = [
            (case_id, c.measure, c.day, district.pk, street_id, community_id, grid_id, path, unit,
             cat.pk, cat.path, channel_id, kind, c.value)
            for c in contributions
        ]  # fmt: skip
        yield (
            case_row,
            [(case_id, m, at, sat, "") for m, at, sat in visits],
            [(case_id, lv, at, "超期督办", unit, None) for lv, at in cards],
            facts,
        )


def _load_cases(
    opts: Options, world: dict[str, Any], summary: Summary, progress: Callable[[str], None]
) -> None:
    now = timezone.now()
    first = _reserve_ids(Case, opts.cases)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                # Foreign-key triggers off for this transaction only: the rows reference what
                # build_territory and the reference data hold, by construction; checking ten
                # million of them one by one at commit would take longer than loading them.
                cur.execute("SET LOCAL session_replication_role = replica")
    loaders = {
        "cases": Loader(Case, CASE_COLUMNS),
        "visits": Loader(FollowUpVisit, VISIT_COLUMNS),
        "cards": Loader(SupervisionCard, CARD_COLUMNS),
        "facts": Loader(CaseFact, FACT_COLUMNS),
    }
    batch: dict[str, list] = {k: [] for k in loaders}

    def flush() -> None:
        # Cases first: the others reference them.
        for name in ("cases", "visits", "cards", "facts"):
            loaders[name].write(batch[name])
            batch[name] = []

    for n, (case_row, visits, cards, facts) in enumerate(generate(opts, world, first, now), 1):
        batch["cases"].append(case_row)
        batch["visits"] += visits
        batch["cards"] += cards
        batch["facts"] += facts
        summary.visits += len(visits)
        summary.cards += len(cards)
        summary.facts += len(facts)
        if n % BATCH == 0:
            flush()
            if n % (BATCH * 25) == 0:
                progress(f"  {n:,} cases")
    flush()
    summary.cases = opts.cases


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
            if rel.related_model is Case or not getattr(rel.field, "concrete", False):
                continue
            table = rel.related_model._meta.db_table
            cur.execute(f"DELETE FROM {table} WHERE {rel.field.column} IN ({cases})", like)
        cur.execute(f"DELETE FROM {DailyCounter._meta.db_table} WHERE region_path LIKE %s", like)
        cur.execute(f"DELETE FROM {MonthlyCounter._meta.db_table} WHERE area_path LIKE %s", like)
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
        _load_cases(opts, world, summary, progress)
    t2 = time.monotonic()
    progress(f"cases: {summary.cases:,}, facts: {summary.facts:,} ({t2 - t1:.0f} s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in ("cases_case", "analytics_casefact"):
                cur.execute(f"ANALYZE {table}")
    with transaction.atomic(), indexes_dropped([DailyCounter, MonthlyCounter], big):
        rebuild_counters(prefix=world["province"].path)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (DailyCounter, MonthlyCounter):
                cur.execute(f"ANALYZE {model._meta.db_table}")
    t3 = time.monotonic()
    progress(f"counters ({t3 - t2:.0f} s)")
    summary.seconds = {"territory": t1 - t0, "cases": t2 - t1, "counters": t3 - t2}
    return summary


def synthetic_date_range(opts: Options, today: date) -> tuple[date, date]:
    return today - timedelta(days=365 * opts.years), today
