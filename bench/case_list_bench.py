"""Case list and search benchmark: 1,000,000 cases on PostgreSQL, timed through queries.py.

Usage (from the repository root; a PostgreSQL you may create databases on)::

    .venv/bin/python bench/case_list_bench.py                   # load 1M cases, time, drop
    .venv/bin/python bench/case_list_bench.py --keep            # keep the database afterwards
    .venv/bin/python bench/case_list_bench.py --reuse --repeat 30   # time again on a kept one
    .venv/bin/python bench/case_list_bench.py --explain         # EXPLAIN ANALYZE slow shapes

1. Creates the database `--db` (default fengqiao_bench_list), migrates it, loads the demo
   district (`fengqiao demo`: 200 grids in 30 communities, 8 streets/towns, one district).
2. Bulk-loads `--n` synthetic cases with COPY (psycopg `cursor.copy`), spread over the
   demo grids (3 % without a location, in the district's triage queue) and over 5 years,
   with a realistic mix of categories, channels, risk and states (old cases mostly closed,
   recent ones open; about 4 % of open cases overdue). Plain indexes of the case table are
   dropped during the COPY and rebuilt afterwards (the same definitions, read back from
   pg_indexes), and triggers (foreign-key checks) are off for the COPY session only: the
   rows are consistent by construction. The search index gets one document per case, the
   same text the intake indexes (tracking number, title, description, address, category
   name), written with `fengqiao.search.index.write_bodies`; each distinct phrase is
   segmented once with `fengqiao.search.text.document_tokens` and bodies are joined from
   the parts (segmenting 1M whole texts with jieba would take ~5 min on this machine).
3. Times `fengqiao.cases.queries.case_page` (what the staff UI and the API list call) for
   four personas — district leader, street clerk (桃西街道 center), station clerk (花园社区)
   and grid worker gw001 (one grid) — with the shapes in SHAPES: first page, the next page by
   cursor, a deep cursor (a page two years back), filters (state, category subtree, overdue,
   period, combined) and search terms. Each shape runs `--repeat` times after one warm-up;
   the user is re-read from the database for each call, so the role lookup of `access_for`
   is included, as in a request. Prints p50/p95 in ms and the goal (p95 < 100 ms).
   With --api it also times a few shapes through GET /api/v1/cases/ in-process (Django test
   client, token authentication, filter form, serializer).
4. Drops the database unless --keep.
"""

import argparse
import io
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-only-secret-key-not-for-production-0123456789"

ISSUES = [
    ("夜间施工噪音扰民", "工地晚上十点后仍在施工噪音很大居民无法休息"),
    ("楼道堆放杂物", "楼道堆放纸箱和旧家具堵塞消防通道存在火灾隐患"),
    ("宅基地界址争议", "两户村民因宅基地界址发生争执双方情绪激动"),
    ("邻里漏水纠纷", "楼上卫生间漏水导致楼下天花板渗水协商未果"),
    ("占道经营", "商贩在人行道摆摊影响行人通行"),
    ("违章搭建", "小区内有住户私自搭建彩钢房"),
    ("独居老人求助", "独居老人行动不便需要社区上门帮助"),
    ("欠薪讨薪", "十余名农民工反映拖欠三个月工资未发"),
    ("燃气泄漏隐患", "居民闻到楼道有燃气味请尽快排查"),
    ("路灯损坏", "小区主干道路灯损坏多日夜间出行不便"),
    ("下水道堵塞", "下水道堵塞污水外溢气味很大"),
    ("广场舞噪音", "广场舞音响声音过大影响周边居民"),
    ("流浪犬伤人隐患", "小区有流浪犬聚集已有老人被吓倒"),
    ("土地承包合同纠纷", "承包合同到期后双方对续包价格有争议"),
    ("物业服务纠纷", "物业公司不作为业主拒交物业费"),
    ("电动车飞线充电", "住户从楼上拉线给电动车充电存在安全隐患"),
    ("婚姻家庭矛盾", "夫妻因子女抚养问题多次争吵"),
    ("交通事故赔偿", "双方对事故赔偿金额分歧较大"),
]
DETAILS = ["居民多次投诉", "网格员现场核实", "请相关部门尽快处理", "已联系物业协调",
           "涉及群众十余人", "社区调解委员会介入", "派出所民警到场", "群众情绪较为激动"]  # fmt: skip
RARE = "高空抛物"  # one case in ~2,000
CHANNEL_WEIGHTS = {"grid_patrol": 35, "hotline_12345": 25, "resident_report": 12, "phone": 8,
                   "walk_in": 8, "police_110": 5, "screening": 4, "petition": 1, "court": 1,
                   "department": 1}  # fmt: skip
RISKS = [("low", 70), ("medium", 22), ("high", 7), ("critical", 1)]
OPEN_STATES = [("registered", 10), ("accepted", 15), ("dispatched", 20), ("acknowledged", 10),
               ("in_progress", 30), ("suspended", 5), ("returned", 3), ("escalated", 4),
               ("reopened", 3)]  # fmt: skip
DONE_STATES = [("closed", 86), ("resolved", 5), ("cancelled", 4), ("diverted", 5)]
YEARS = 5

COLUMNS = [
    "tracking_number", "kind", "category_id", "title", "description", "address", "lon", "lat",
    "grid_id", "community_id", "street_id", "district_id", "region_path", "location_flag",
    "channel_id", "reporter_name", "reporter_phone", "reporter_email", "people_involved",
    "risk_level", "priority", "state", "resume_state", "handling_level", "handling_unit_id",
    "needs_triage", "created_at", "updated_at", "accepted_at", "resolved_at", "closed_at",
    "clock_start", "limit_unit", "acknowledge_limit", "handle_limit", "verify_limit",
    "extension_days", "handle_due", "pauses", "is_overdue", "supervision_level", "outcome",
    "version",
]  # fmt: skip


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def admin(sql: str, params=None):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute(sql, params).fetchall() if params else conn.execute(sql)


def setup_django(db: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ["SECRET_KEY"] = SECRET
    os.environ["DEBUG"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


def weighted(rng: random.Random, pairs) -> str:
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights)[0]


# -- loading -------------------------------------------------------------------------------


def _world():
    from shapely.geometry import shape

    from fengqiao.cases.models import Category, Channel
    from fengqiao.org.models import Unit, UnitKind
    from fengqiao.territory.models import Grid, Region

    regions = {r.pk: r for r in Region.objects.all()}
    district = next(r for r in regions.values() if r.level == Region.Level.DISTRICT)
    grids = []
    for g in Grid.objects.filter(active=True).select_related("community"):
        c = g.community
        street = regions[c.parent_id]
        poly = shape(g.boundary)
        grids.append((g.pk, c, street, poly.bounds, poly))
    stations = {u.region_id: u.pk for u in Unit.objects.filter(kind=UnitKind.SERVICE_STATION)}
    centers = {u.region_id: u.pk for u in Unit.objects.filter(kind=UnitKind.GOVERNANCE_CENTER)}
    cats = list(Category.objects.filter(active=True))
    leaves = [c for c in cats if not any(o.parent_id == c.pk for o in cats)]
    channels = {c.code: c.pk for c in Channel.objects.all()}
    return district, grids, stations, centers, leaves, channels


def _points(rng: random.Random, grid, k: int = 40) -> list[tuple[float, float]]:
    from shapely.geometry import Point

    _pk, _c, _s, (minx, miny, maxx, maxy), poly = grid
    out = []
    while len(out) < k:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(Point(lon, lat)):
            out.append((round(lon, 6), round(lat, 6)))
    return out


def generate(n: int, world, seed: int = 11):
    """Yield (row tuple for COPY, search body) for n cases, oldest first. `world` comes from
    _world(), read before the COPY starts (the connection is busy while it runs)."""
    from fengqiao.search.text import document_tokens

    rng = random.Random(seed)
    district, grids, stations, centers, leaves, channels = world
    points = {g[0]: _points(rng, g) for g in grids}
    # Most categories are rare; a few dominate (as in the real ledgers).
    cat_weights = [rng.paretovariate(1.2) for _ in leaves]
    grid_weights = [rng.uniform(0.3, 3.0) for _ in grids]
    channel_items = list(CHANNEL_WEIGHTS.items())
    now = datetime.now(UTC)
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    seg: dict[str, str] = {}

    def tokens(text: str) -> str:
        if text not in seg:
            seg[text] = " ".join(document_tokens(text))
        return seg[text]

    for i in range(n):
        # Volume grows over the years: more cases recently (sqrt spreads them towards now).
        created = start + timedelta(seconds=span * (rng.random() ** 0.8))
        age = (now - created).days
        cat = rng.choices(leaves, cat_weights)[0]
        located = rng.random() >= 0.03
        if located:
            gpk, comm, street, _b, _p = rng.choices(grids, grid_weights)[0]
            lon, lat = rng.choice(points[gpk])
            region_path, flag = comm.path, ""
            community_id, street_id, grid_id = comm.pk, street.pk, gpk
        else:
            gpk = comm = street = None
            lon = lat = None
            region_path, flag = district.path, "no_location"
            community_id = street_id = grid_id = None
        if age > 60:
            state = (
                weighted(rng, DONE_STATES) if rng.random() > 0.01 else weighted(rng, OPEN_STATES)
            )
        elif age > 14:
            state = weighted(rng, DONE_STATES) if rng.random() > 0.3 else weighted(rng, OPEN_STATES)
        else:
            state = (
                weighted(rng, OPEN_STATES) if rng.random() > 0.15 else weighted(rng, DONE_STATES)
            )
        is_open = state not in ("closed", "resolved", "cancelled", "diverted")
        if not located:
            level, unit, triage = "district", centers.get(district.pk), True
        else:
            r = rng.random()
            if r < 0.6:
                level, unit, triage = "community", stations.get(comm.pk), False
            elif r < 0.9:
                level, unit, triage = "street", centers.get(street.pk), False
            else:
                level, unit, triage = "district", centers.get(district.pk), rng.random() < 0.3
        handle_limit = 22 if cat.kind == "dispute" else 15
        handle_due = created + timedelta(days=handle_limit * 7 / 5)
        overdue = is_open and (handle_due < now or rng.random() < 0.04)
        resolved = (
            None
            if is_open or state == "cancelled"
            else created + timedelta(days=rng.randint(1, 30))
        )
        closed = resolved + timedelta(days=2) if state == "closed" and resolved else None
        title, desc = rng.choice(ISSUES)
        detail = rng.choice(DETAILS)
        rare = RARE if rng.random() < 0.0005 else ""
        address = f"{comm.name if comm else '桃山区'}{rng.randint(1, 40)}号楼"
        number = f"230903-{created.year}-{i + 1:07d}"
        row = (
            number, cat.kind or "dispute", cat.pk, title, f"{desc}，{detail}{rare}。", address,
            lon, lat, grid_id, community_id, street_id, district.pk, region_path, flag,
            channels[rng.choices(channel_items, [w for _c, w in channel_items])[0][0]],
            "王芳", f"13{rng.randint(100000000, 999999999)}", "", rng.randint(1, 12),
            weighted(rng, RISKS), "normal", state, "", level, unit, triage, created, created,
            created + timedelta(hours=2) if state != "registered" else None, resolved, closed,
            created, "days", 1, handle_limit, 3, 0, handle_due, "[]", overdue,
            ("yellow" if rng.random() < 0.7 else "red") if overdue else "none",
            "已调处" if resolved else "", 1,
        )  # fmt: skip
        body = " ".join(
            [number.replace("-", " "), tokens(title), tokens(desc), tokens(detail),
             tokens(rare) if rare else "", tokens(address), tokens(cat.name)]
        )  # fmt: skip
        yield row, body


def load(n: int) -> None:
    from django.db import connection

    from fengqiao.search.index import write_bodies

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        plain = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_document' "
            "AND indexdef ILIKE '%gin%'"
        )
        gin = cursor.fetchall()
        for name, _def in plain + gin:
            cursor.execute(f'DROP INDEX "{name}"')
    log(f"dropped {len(plain)} case indexes and {len(gin)} GIN index(es) for the load")
    bodies: dict[int, str] = {}
    world = _world()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: bench rows
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        first_id = cursor.fetchone()[0] + 1
        copy_sql = f"COPY cases_case ({', '.join(COLUMNS)}) FROM STDIN"
        pg = cursor.cursor  # the psycopg cursor under Django's wrapper
        with pg.copy(copy_sql) as copy:
            for i, (row, body) in enumerate(generate(n, world)):
                copy.write_row(row)
                bodies[first_id + i] = body
                if (i + 1) % 200_000 == 0:
                    log(f"  {i + 1:,} rows generated and sent ({time.perf_counter() - t0:.0f} s)")
        cursor.execute("SET session_replication_role = origin")
        # Only the rows of this COPY: the demo's own cases may have gaps in their ids.
        cursor.execute(
            "SELECT min(id), max(id), count(*) FROM cases_case WHERE id >= %s", [first_id]
        )
        lo, hi, count = cursor.fetchone()
    if hi - lo + 1 != count or lo != first_id:
        raise SystemExit("unexpected ids after COPY")
    t1 = time.perf_counter()
    log(f"COPY {n:,} cases: {t1 - t0:.0f} s")
    ids = sorted(bodies)
    for k in range(0, len(ids), 20_000):
        chunk = ids[k : k + 20_000]
        write_bodies("case", {i: bodies[i] for i in chunk})
    t2 = time.perf_counter()
    log(f"search documents: {t2 - t1:.0f} s")
    with connection.cursor() as cursor:
        for _name, indexdef in plain + gin:
            cursor.execute(indexdef)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))"
        )
    t3 = time.perf_counter()
    log(f"indexes rebuilt: {t3 - t2:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE search_document")
    log(
        f"vacuum analyze: {time.perf_counter() - t3:.0f} s; total load {time.perf_counter() - t0:.0f} s"
    )


# -- timing --------------------------------------------------------------------------------

PERSONAS = [
    ("district leader", "demo_leader"),
    ("street clerk", "demo_center"),
    ("station clerk", "demo_station"),
    ("grid worker", "gw001"),
]


def shapes():
    """(name, filters kwargs, cursor kind) per query shape."""
    from fengqiao.cases.models import Category

    today = date.today()
    justice = Category.objects.get(code="dispute_justice")
    neighbourhood = Category.objects.get(code="neighbourhood")
    year_ago = today - timedelta(days=365)
    return [
        ("first page", {}, None),
        ("next page (cursor)", {}, "next"),
        ("deep cursor (2 years back)", {}, "deep"),
        ("state=in_progress", {"state": "in_progress"}, None),
        ("state=registered", {"state": "registered"}, None),
        ("category subtree (justice)", {"category": justice}, None),
        ("category leaf (邻里)", {"category": neighbourhood}, None),
        ("overdue", {"overdue": True}, None),
        ("overdue, next page", {"overdue": True}, "next"),
        ("period (one month, a year ago)",
         {"created_from": year_ago, "created_to": year_ago + timedelta(days=30)}, None),
        ("state+category+period",
         {"state": "closed", "category": neighbourhood, "created_from": year_ago,
          "created_to": year_ago + timedelta(days=90)}, None),
        ("search 噪音 (common)", {"q": "噪音"}, None),
        ("search 噪音, next page", {"q": "噪音"}, "next"),
        ("search 燃气泄漏", {"q": "燃气泄漏"}, None),
        ("search 高空抛物 (rare)", {"q": "高空抛物"}, None),
        ("search 宅基地 + overdue", {"q": "宅基地", "overdue": True}, None),
    ]  # fmt: skip


def _cursor_for(user, filters, kind):
    from fengqiao.cases import queries
    from fengqiao.cases.models import Case

    if kind == "next":
        return queries.case_page(user, filters).next_cursor
    if kind == "deep":
        when = datetime.now(UTC) - timedelta(days=730)
        case = Case.objects.filter(created_at__lt=when).order_by("-created_at", "-id").first()
        return queries.encode_cursor(case)
    return None


def time_shapes(repeat: int, only_persona: str | None = None) -> list[tuple]:
    from fengqiao.accounts.models import User
    from fengqiao.cases import queries

    results = []
    for label, username in PERSONAS:
        if only_persona and only_persona != username:
            continue
        pk = User.objects.get(username=username).pk
        for name, kwargs, cursor_kind in shapes():
            filters = queries.CaseFilters(**kwargs)
            cursor = _cursor_for(User.objects.get(pk=pk), filters, cursor_kind)
            times, rows = [], 0
            for k in range(repeat + 1):
                user = User.objects.get(pk=pk)  # fresh: access_for's role query included
                t = time.perf_counter()
                page = queries.case_page(user, filters, cursor=cursor)
                elapsed = (time.perf_counter() - t) * 1000
                if k:  # the first run warms the cache
                    times.append(elapsed)
                rows = len(page.items)
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            results.append((label, name, rows, p50, p95))
            log(f"{label:<16} {name:<32} {rows:>4} {p50:>8.1f} {p95:>8.1f}"
                f"{'' if p95 < 100 else '   > 100 ms'}")  # fmt: skip
    return results


def time_api(repeat: int) -> None:
    import json

    from django.test import Client

    from fengqiao.accounts.models import User
    from fengqiao.api.tokens import issue_token

    log("")
    log("GET /api/v1/cases/ in-process (Django test client, token auth, form, serializer)")
    for label, username in PERSONAS:
        secret = issue_token(User.objects.get(username=username), actor=None, read_only=True)
        headers = {"HTTP_AUTHORIZATION": f"Token {secret.secret}"}
        client = Client()
        first = client.get("/api/v1/cases/", **headers)
        nxt = json.loads(first.content)["next_cursor"]
        for name, query in [
            ("first page", ""),
            ("next page (cursor)", f"cursor={nxt}"),
            ("state+overdue", "state=in_progress&overdue=true"),
            ("search 噪音", "q=噪音"),
        ]:
            times = []
            for k in range(repeat + 1):
                t = time.perf_counter()
                r = client.get(f"/api/v1/cases/?{query}", **headers)
                elapsed = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    raise SystemExit(f"{r.status_code} {r.content[:300]!r}")
                if k:
                    times.append(elapsed)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            log(f"{label:<16} {name:<32} {statistics.median(times):>8.1f} {p95:>8.1f}")


def explain(persona: str, shape_name: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.accounts.models import User
    from fengqiao.cases import queries

    user = User.objects.get(username=persona)
    for name, kwargs, cursor_kind in shapes():
        if name != shape_name:
            continue
        filters = queries.CaseFilters(**kwargs)
        cursor = _cursor_for(user, filters, cursor_kind)
        # Capture the SQL case_page runs (the list query is the one ordered by created_at).
        with CaptureQueriesContext(connection) as ctx:
            queries.case_page(user, filters, cursor=cursor)
        sql = next(
            q["sql"]
            for q in ctx.captured_queries
            if "ORDER BY" in q["sql"] and "cases_case" in q["sql"].split("FROM", 1)[1][:20]
        )
        with connection.cursor() as c:
            c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            log(f"--- {persona}: {shape_name}")
            log("\n".join(r[0] for r in c.fetchall()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="fengqiao_bench_list")
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--reuse", action="store_true", help="use the database if it exists")
    p.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    p.add_argument("--api", action="store_true", help="also time GET /api/v1/cases/")
    p.add_argument("--explain", nargs=2, metavar=("USERNAME", "SHAPE"), action="append")
    p.add_argument("--persona", help="time only this username")
    p.add_argument("--no-timing", action="store_true")
    args = p.parse_args()
    db = args.db
    if not re.fullmatch(r"fengqiao_bench_[a-z0-9_]+", db):
        raise SystemExit("--db must look like fengqiao_bench_<something>")
    log(f"case list bench {time.strftime('%Y-%m-%d %H:%M')}; load average: {loadavg()}")
    exists = admin("SELECT 1 FROM pg_database WHERE datname = %s", [db])
    if exists and not args.reuse:
        raise SystemExit(f"database {db} exists: pass --reuse, or drop it")
    if not exists:
        admin(f'CREATE DATABASE "{db}"')
    try:
        setup_django(db)
        from django.core.management import call_command

        from fengqiao.cases.models import Case

        call_command("migrate", verbosity=0)
        call_command("demo", stdout=io.StringIO())
        have = Case.objects.count()
        if have < args.n:
            load(args.n - have)
        log(f"cases: {Case.objects.count():,}; load average: {loadavg()}")
        for persona, shape_name in args.explain or []:
            explain(persona, shape_name)
        if not args.no_timing:
            log("")
            log(f"{'persona':<16} {'shape':<32} {'rows':>4} {'p50 ms':>8} {'p95 ms':>8}")
            results = time_shapes(args.repeat, args.persona)
            slow = [r for r in results if r[4] >= 100]
            log("")
            log(
                f"p95 < 100 ms: {'met for every shape' if not slow else f'NOT met for {len(slow)} of {len(results)} shapes'}"
            )
            if args.api:
                time_api(args.repeat)
        log(f"load average at the end: {loadavg()}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            log(f"dropped {db}")


if __name__ == "__main__":
    main()
