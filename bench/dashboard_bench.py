"""Dashboard benchmark at province scale on PostgreSQL, beside DuckDB; ledger export memory.

Usage (from the repository root; a PostgreSQL you may create databases on; DuckDB from the
`bench` extra: `.venv/bin/pip install -e '.[bench]'`)::

    .venv/bin/python bench/dashboard_bench.py --cases 1000000          # create, load, time, drop
    .venv/bin/python bench/dashboard_bench.py --cases 10000000 --keep  # keep the database
    .venv/bin/python bench/dashboard_bench.py --reuse --repeat 60      # time a kept database again

1. Creates the database `--db` (default fengqiao_bench_dash), migrates it and runs
   `bench/synth.py` (`--cases N --grids G`) (13 cities; COPY), timing the load. --reuse skips this.
2. Three leaders hold STATS_VIEW over the synthetic province, one city and one district.
   For each, `--repeat` requests of GET /api/v1/analytics/values/ (in process, Django test
   client, session login; each request re-reads the user and its roles) with varied filters:
   one of the case-row indicators, a month / quarter / year of the last three years, the
   leader's own region or one of its children, sometimes a top-level category or a channel.
   Each answer carries the previous period and the same period last year (3 periods).
   Then `evaluate(DASHBOARD)` (all 17 figures with comparisons, the organisation counts
   included) and the whole dashboard page GET /monitor/ for the same filters; then the SQL
   statements of one values API request, one page and its live cards.
3. DuckDB: the synthetic province's case rows (the columns the indicators read, times in
   local time) are copied from PostgreSQL to a CSV file and loaded into an in-memory DuckDB
   table; the same requests are answered there by one SQL statement each (the measure
   definitions of fengqiao.analytics.recount, for the three periods), and every answer is
   checked against ours. Prints p50/p95 for both and the ratio (goal: ours ≤ 2 × DuckDB,
   and p95 < 200 ms).
4. Ledger: the dispute screening ledger of the province over a period holding about
   `--ledger-rows` disputes, written by fengqiao.analytics.ledgers.write_xlsx in a child
   process (all disputes if there are fewer); prints rows, seconds and the child's peak RSS
   (VmHWM from /proc/self/status; goal < 300 MB).
5. Drops the database unless --keep.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-only-secret-key-not-for-production-0123456789"
# Indicators whose measures live on the case row (DuckDB answers them from the cases alone).
CODES = [
    "screened", "resolved", "resolution_rate", "dispute_success_rate", "registered",
    "accepted", "concluded", "on_time_rate", "open_overdue", "avg_handling_days",
]  # fmt: skip


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(db: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ["SECRET_KEY"] = SECRET
    os.environ["DEBUG"] = "0"
    # Plain HTTP on the loopback: production would redirect it to https.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    # The leaders log in by force_login: no second factor to ask of them here.
    os.environ["TWO_FACTOR_REQUIRED_ROLES"] = ""
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


_BACKEND_PID: list[int] = []


def backend_cpu() -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backend of Django's connection
    (same machine: /proc/<pid>/stat)."""
    from django.db import connection

    if not _BACKEND_PID or connection.connection is None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            _BACKEND_PID[:] = [cur.fetchone()[0]]
    with open(f"/proc/{_BACKEND_PID[0]}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall ms, this process's CPU ms and the database backend's CPU ms of each operation."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.db_cpu: list[float] = []

    def __enter__(self) -> "Meter":
        self._db = backend_cpu()
        self._cpu = time.process_time()
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall.append((time.perf_counter() - self._t) * 1000)
        self.cpu.append((time.process_time() - self._cpu) * 1000)
        self.db_cpu.append((backend_cpu() - self._db) * 1000)

    def cpu_text(self) -> str:
        n = len(self.cpu) or 1
        return (f"CPU/op: python {sum(self.cpu) / n:6.1f} ms + database "
                f"{sum(self.db_cpu) / n:6.1f} ms")  # fmt: skip


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.1f} ms  p95 {pct(values, 95):7.1f} ms"


# -- load -----------------------------------------------------------------------------------


def load(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from bench import synth

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    log(f"migrate: {time.monotonic() - t0:.0f} s")
    t0 = time.monotonic()
    call_command(synth.Command(), cases=args.cases, grids=args.grids, cities=13, seed=args.seed)
    log(f"synth {args.cases:,} cases: {time.monotonic() - t0:.0f} s (load {loadavg()})")


# -- personas and requests ------------------------------------------------------------------


def leaders() -> list[tuple[str, object, object]]:
    from bench.synth import synthetic_province
    from fengqiao.accounts.models import RoleAssignment, ScopeType, User
    from fengqiao.accounts.roles import Role
    from fengqiao.territory.models import Region

    province = synthetic_province()
    city = Region.objects.filter(parent=province).order_by("code").first()
    district = Region.objects.filter(parent=city).order_by("code").first()
    out = []
    for label, region in (("district", district), ("city", city), ("province", province)):
        user, _ = User.objects.get_or_create(username=f"bench_{label}")
        RoleAssignment.objects.get_or_create(
            user=user, role=Role.LEADER, scope_type=ScopeType.REGION, region=region
        )
        out.append((label, user, region))
    return out


def request_params(rng: random.Random, region, n: int) -> list[dict[str, str]]:
    from fengqiao.cases.models import Category, Channel
    from fengqiao.territory.models import Region

    children = list(Region.objects.filter(parent=region).values_list("id", flat=True))
    tops = list(Category.objects.filter(parent__isnull=True).values_list("code", flat=True))
    channels = list(Channel.objects.values_list("code", flat=True))
    this_year = date.today().year
    out = []
    for _ in range(n):
        y = rng.choice([this_year - 2, this_year - 1, this_year])
        kind = rng.random()
        if kind < 0.5:
            m = rng.randint(1, 12 if y < this_year else max(1, date.today().month - 1))
            period = f"{y}-{m:02d}"
        elif kind < 0.8:
            period = (
                f"{y}-Q{rng.randint(1, 4 if y < this_year else 1 + (date.today().month - 1) // 3)}"
            )
        else:
            period = str(y)
        params = {
            "indicator": rng.choice(CODES),
            "period": period,
            "region": str(rng.choice(children) if children and rng.random() < 0.4 else region.pk),
        }
        r = rng.random()
        if r < 0.15:
            params["category"] = rng.choice(tops)
        elif r < 0.25:
            params["channel"] = rng.choice(channels)
        out.append(params)
    return out


def time_api(user, params_list: list[dict[str, str]]) -> tuple[Meter, list[dict]]:
    from django.test import Client

    from fengqiao.accounts.models import User

    client = Client()
    client.force_login(user)
    meter, bodies = Meter(), []
    client.get("/api/v1/analytics/values/", params_list[0])  # warm-up
    for params in params_list:
        User.objects.get(pk=user.pk)  # as a request would
        with meter:
            r = client.get("/api/v1/analytics/values/", params)
        assert r.status_code == 200, r.content[:300]
        bodies.append(r.json())
    return meter, bodies


def time_dashboard(user, params_list: list[dict[str, str]]) -> tuple[Meter, Meter, Meter]:
    """evaluate(DASHBOARD), the whole page GET /monitor/ and its live cards GET /monitor/cards/
    (which the page loads after it is shown) for each filter; one page first, untimed, as the
    values API gets one (templates, imports and the user's first request)."""
    from django.test import Client

    from fengqiao.analytics import indicators as ind
    from fengqiao.analytics.filters import parse_filters

    client = Client()
    client.force_login(user)
    figures, pages, cards = Meter(), Meter(), Meter()
    assert client.get("/monitor/", {"period": "2020"}).status_code == 200  # warm-up
    assert client.get("/monitor/cards/", {"period": "2020"}).status_code == 200
    for params in params_list:
        p = {k: v for k, v in params.items() if k != "indicator"}
        with figures:
            ind.evaluate(ind.DASHBOARD, parse_filters(user, p))
        with pages:
            r = client.get("/monitor/", p)
        assert r.status_code == 200
        with cards:
            r = client.get("/monitor/cards/", p)
        assert r.status_code == 200
    return figures, pages, cards


def statements(user, path: str, params: dict[str, str]) -> int:
    """The SQL statements of one request (after one untimed request of the same page)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    assert client.get(path, params).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, params).status_code == 200
    return len(ctx.captured_queries)


# -- DuckDB ---------------------------------------------------------------------------------

EXPORT_SQL = """
COPY (
  SELECT c.kind, c.region_path, cat.path AS category_path, ch.code AS channel, c.state,
         c.is_overdue, c.outcome_success, c.merged_into_id IS NOT NULL AS merged,
         c.created_at AT TIME ZONE %(tz)s AS created, c.accepted_at AT TIME ZONE %(tz)s AS accepted,
         c.resolved_at AT TIME ZONE %(tz)s AS resolved, c.closed_at AT TIME ZONE %(tz)s AS closed,
         c.handle_due AT TIME ZONE %(tz)s AS handle_due
  FROM cases_case c JOIN cases_category cat ON cat.id = c.category_id
       JOIN cases_channel ch ON ch.id = c.channel_id
  WHERE c.region_path LIKE %(prefix)s
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


CSV_TYPES = {
    "kind": "VARCHAR", "region_path": "VARCHAR", "category_path": "VARCHAR",
    "channel": "VARCHAR", "state": "VARCHAR", "is_overdue": "BOOLEAN",
    "outcome_success": "BOOLEAN", "merged": "BOOLEAN", "created": "TIMESTAMP",
    "accepted": "TIMESTAMP", "resolved": "TIMESTAMP", "closed": "TIMESTAMP",
    "handle_due": "TIMESTAMP",
}  # fmt: skip


def duckdb_load(prefix: str):
    import duckdb
    from django.conf import settings
    from django.db import connection

    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    t0 = time.monotonic()
    with connection.cursor() as cur, open(path, "wb") as out:
        sql = EXPORT_SQL.replace("%(tz)s", f"'{settings.TIME_ZONE}'").replace(
            "%(prefix)s", f"'{prefix}%'"
        )
        with cur.cursor.copy(sql) as copy:
            for chunk in copy:
                out.write(chunk)
    db = duckdb.connect(":memory:")
    db.execute(
        "CREATE TABLE cases AS SELECT *, COALESCE(resolved, closed) AS finish "
        f"FROM read_csv('{path}', header=true, types={CSV_TYPES})"
    )
    n = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    os.unlink(path)
    log(f"DuckDB: {n:,} case rows copied and loaded in {time.monotonic() - t0:.0f} s")
    return db


OPEN = ("registered", "accepted", "dispatched", "acknowledged", "in_progress", "suspended",
        "returned", "escalated", "reopened")  # fmt: skip
CONCLUDED = "state IN ('resolved', 'closed') AND finish IS NOT NULL"
MEASURE_SQL = {
    # (condition, value, day column) — recount.measure's definitions on the case row.
    "registered": ("NOT merged", "1", "created"),
    "resolved": ("NOT merged AND state IN ('resolved', 'closed') "
                 "AND outcome_success IS DISTINCT FROM false", "1", "created"),
    "accepted": ("accepted IS NOT NULL", "1", "accepted"),
    "concluded": (CONCLUDED, "1", "finish"),
    "concluded_on_time": (f"{CONCLUDED} AND NOT is_overdue AND (handle_due IS NULL "
                          "OR finish <= handle_due)", "1", "finish"),
    "handling_minutes": (CONCLUDED, "greatest(0, floor((epoch(finish) - epoch(created)) / 60))",
                         "finish"),
    "with_outcome": (f"{CONCLUDED} AND outcome_success IS NOT NULL", "1", "finish"),
    "success": (f"{CONCLUDED} AND outcome_success", "1", "finish"),
    "open_overdue": (f"state IN {OPEN} AND is_overdue AND handle_due IS NOT NULL", "1",
                     "handle_due"),
}  # fmt: skip


def duckdb_answer(db, code: str, params: dict[str, str], ctx) -> tuple[float, dict]:
    """One request answered by DuckDB: numerator and denominator of the 3 periods."""
    from fengqiao.analytics.indicators import INDICATORS, compute
    from fengqiao.analytics.periods import parse_period

    ind = INDICATORS[code]
    period = parse_period(params["period"], date.today())
    periods = {"current": period, "previous": period.previous(), "last_year": period.last_year()}
    where = [f"region_path LIKE '{ctx['paths'][params['region']]}%'"]
    if ind.kind:
        where.append(f"kind = '{ind.kind}'")
    if "category" in params:
        where.append(f"category_path LIKE '{ctx['categories'][params['category']]}%'")
    if "channel" in params:
        where.append(f"channel = '{params['channel']}'")
    parts = []
    for label, p in periods.items():
        for side, measures in (("num", ind.numerator), ("den", ind.denominator)):
            terms = []
            for m in measures:
                cond, value, day = MEASURE_SQL[m]
                terms.append(
                    f"coalesce(sum({value}) FILTER (WHERE {cond} AND CAST({day} AS DATE) "
                    f"BETWEEN DATE '{p.start}' AND DATE '{p.end}'), 0)"
                )
            parts.append(f"{' + '.join(terms) if terms else '0'} AS {label}_{side}")
    sql = f"SELECT {', '.join(parts)} FROM cases WHERE {' AND '.join(where)}"
    t = time.perf_counter()
    row = db.execute(sql).fetchone()
    ms = (time.perf_counter() - t) * 1000
    out = {}
    for i, label in enumerate(periods):
        num, den = int(row[2 * i]), int(row[2 * i + 1])
        v = compute(ind, num, den if ind.denominator else None)
        out[label] = (None if v.value is None else str(v.value), v.numerator, v.denominator)
    return ms, out


def ours_as_tuple(body: dict) -> dict:
    def t(v):
        return (v["value"], v["numerator"], v["denominator"])

    return {
        "current": t(body),
        "previous": t(body["previous"]),
        "last_year": t(body["same_period_last_year"]),
    }


# -- ledger ---------------------------------------------------------------------------------


def ledger_child(db: str, rows_wanted: int, writer: str) -> None:
    """Runs in its own process: writes the screening ledger with `writer` ("current":
    fengqiao.analytics.ledgers.write_xlsx; "baseline": bench/ledger_baseline.py, the code of
    88df35e), prints one result line."""
    setup_django(db)
    from datetime import timedelta

    from bench.synth import synthetic_province
    from fengqiao.accounts.models import User
    from fengqiao.analytics.filters import parse_filters
    from fengqiao.analytics.models import CaseFact

    if writer == "baseline":
        from bench.ledger_baseline import write_xlsx as baseline

        def write(path, user, filters):
            return baseline(path, user, filters)
    else:
        from fengqiao.analytics.ledgers import write_xlsx

        def write(path, user, filters):
            return write_xlsx(path, "screening", user, filters)

    province = synthetic_province()
    user = User.objects.get(username="bench_province")
    # The period, ending today, that holds about rows_wanted screened disputes.
    today = date.today()
    days = (
        CaseFact.objects.filter(measure="registered", kind="dispute",
                                region_path__startswith=province.path)
        .order_by("-day").values_list("day", flat=True)[rows_wanted - 1 : rows_wanted]
    )  # fmt: skip
    start = days[0] if days else today - timedelta(days=365 * 5)
    filters = parse_filters(
        user, {"region": str(province.pk), "period": f"{start.isoformat()}..{today.isoformat()}"}
    )
    out = tempfile.mktemp(suffix=".xlsx")
    db0, cpu0 = backend_cpu(), time.process_time()
    t = time.monotonic()
    n = write(out, user, filters)
    seconds = time.monotonic() - t
    cpu, db_cpu = time.process_time() - cpu0, backend_cpu() - db0
    size = os.path.getsize(out)
    os.unlink(out)
    # VmHWM: this process's own peak. (ru_maxrss is not: Linux keeps across exec the peak of
    # the forked copy of the parent, which holds DuckDB's table, and reported 495 MB.)
    with open("/proc/self/status") as status:
        hwm = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:")) / 1024
    print(
        f"LEDGER writer={writer} rows={n} seconds={seconds:.1f} cpu_s={cpu:.1f} "
        f"db_cpu_s={db_cpu:.1f} peak_rss_mb={hwm:.0f} file_mb={size / 2**20:.0f} "
        f"period={filters.period.code}"
    )


def run_ledger(args: argparse.Namespace, writer: str) -> dict[str, str]:
    t = time.monotonic()
    load0 = loadavg()
    out = subprocess.run(
        [sys.executable, __file__, "--ledger-child", "--db", args.db,
         "--ledger-rows", str(args.ledger_rows), "--ledger-writer", writer],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = [x for x in out.stdout.splitlines() if x.startswith("LEDGER")]
    log(f"{line[0] if line else out.stdout[-500:]} (child total {time.monotonic() - t:.0f} s; "
        f"load {load0} → {loadavg()})")  # fmt: skip
    return dict(kv.split("=", 1) for kv in line[0].split()[1:]) if line else {}


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="fengqiao_bench_dash")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--grids", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--pages", type=int, default=8, help="dashboard pages per leader")
    ap.add_argument("--ledger-rows", type=int, default=1_000_000)
    ap.add_argument("--no-ledger", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument(
        "--ledger-writers", default="baseline,current",
        help="which ledger writers to time, in order (baseline = the code of 88df35e)",
    )  # fmt: skip
    ap.add_argument("--ledger-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ledger-writer", default="current", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ledger_child:
        ledger_child(args.db, args.ledger_rows, args.ledger_writer)
        return

    log(f"load average before: {loadavg()} ({os.cpu_count()} CPUs)")
    if not args.reuse:
        admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        admin(f"CREATE DATABASE {args.db}")
    setup_django(args.db)
    try:
        if not args.reuse:
            load(args)
        run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
            log(f"dropped {args.db}")


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from bench.synth import synthetic_province
    from fengqiao.analytics.indicators import INDICATORS
    from fengqiao.cases.models import Case, Category
    from fengqiao.territory.models import Region

    global CODES
    CODES = [c for c in CODES if c in INDICATORS and set(INDICATORS[c].numerator) <= set(
        MEASURE_SQL)]  # fmt: skip
    province = synthetic_province()
    n_cases = Case.objects.filter(region_path__startswith=province.path).count()
    log(f"synthetic province: {n_cases:,} cases")
    with connection.cursor() as cur:
        for table in ("cases_case", "analytics_casefact", "analytics_rollup",
                      "cases_followupvisit", "cases_supervisioncard"):  # fmt: skip
            cur.execute(
                f"SELECT pg_total_relation_size('{table}'), pg_relation_size('{table}'), "
                f"(SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}')"
            )
            total, heap, rows = cur.fetchone()
            log(f"  {table}: {rows:,} rows, {total / 2**20:,.0f} MB with indexes "
                f"({heap / 2**20:,.0f} MB heap)")  # fmt: skip
    db = duckdb_load(province.path)
    ctx = {
        "paths": {str(pk): path for pk, path in Region.objects.values_list("id", "path")},
        "categories": dict(Category.objects.values_list("code", "path")),
    }
    rng = random.Random(args.seed)
    summary = []
    mismatches = 0
    for label, user, region in leaders():
        params_list = request_params(rng, region, args.repeat)
        api, bodies = time_api(user, params_list)
        api_ms = api.wall
        duck_ms = []
        for params, body in zip(params_list, bodies, strict=True):
            ms, answer = duckdb_answer(db, params["indicator"], params, ctx)
            duck_ms.append(ms)
            if answer != ours_as_tuple(body):
                mismatches += 1
                log(f"  MISMATCH {params}: ours {ours_as_tuple(body)} duckdb {answer}")
        figures, pages, cards = time_dashboard(user, params_list[: args.pages])
        ratio = pct(api_ms, 95) / pct(duck_ms, 95)
        log(f"{label:8s} values API      {fmt(api_ms)}   (n={len(api_ms)})  {api.cpu_text()}")
        log(f"{label:8s} DuckDB same     {fmt(duck_ms)}   ratio p95 ours/DuckDB {ratio:.2f}")
        log(f"{label:8s} 17 figures      {fmt(figures.wall)}   (n={len(figures.wall)})  "
            f"{figures.cpu_text()}")  # fmt: skip
        log(f"{label:8s} dashboard page  {fmt(pages.wall)}   (n={len(pages.wall)})  "
            f"{pages.cpu_text()}")  # fmt: skip
        log(f"{label:8s} its live cards  {fmt(cards.wall)}   (n={len(cards.wall)})  "
            f"{cards.cpu_text()}")  # fmt: skip
        p = {k: v for k, v in params_list[0].items() if k != "indicator"}
        log(f"{label:8s} SQL statements: values API "
            f"{statements(user, '/api/v1/analytics/values/', params_list[0])}, dashboard page "
            f"{statements(user, '/monitor/', p)}, live cards {statements(user, '/monitor/cards/', p)}")  # fmt: skip
        summary.append((label, api, duck_ms, figures, pages, cards))
    log(f"answers checked against DuckDB: {mismatches} mismatches")
    all_api = [x for s in summary for x in s[1].wall]
    all_duck = [x for s in summary for x in s[2]]
    all_pages = [x for s in summary for x in s[4].wall]
    log(
        f"ALL values API {fmt(all_api)}; DuckDB {fmt(all_duck)}; "
        f"ratio p95 {pct(all_api, 95) / pct(all_duck, 95):.2f} (goals: p95 < 200 ms, ratio ≤ 2)"
    )
    n_api = len(all_api)
    n_pages = len(all_pages)
    api_cpu = sum(x for s in summary for x in s[1].cpu) / n_api
    api_db = sum(x for s in summary for x in s[1].db_cpu) / n_api
    page_cpu = sum(x for s in summary for x in s[4].cpu) / n_pages
    page_db = sum(x for s in summary for x in s[4].db_cpu) / n_pages
    log(
        f"ALL dashboard page {fmt(all_pages)} (n={n_pages}); page p95 / values API p95 = "
        f"{pct(all_pages, 95) / pct(all_api, 95):.2f} (goal ≤ 4); CPU per op: values API "
        f"{api_cpu:.1f} + {api_db:.1f} ms (python + database), page {page_cpu:.1f} + "
        f"{page_db:.1f} ms; CPU ratio page / API {(page_cpu + page_db) / (api_cpu + api_db):.2f}"
    )
    all_cards = [x for s in summary for x in s[5].wall]
    cards_cpu = sum(x for s in summary for x in s[5].cpu) / n_pages
    cards_db = sum(x for s in summary for x in s[5].db_cpu) / n_pages
    log(
        f"ALL live cards {fmt(all_cards)}; CPU per op {cards_cpu:.1f} + {cards_db:.1f} ms "
        f"(loaded by the page after it is shown; page + cards CPU / API CPU "
        f"{(page_cpu + page_db + cards_cpu + cards_db) / (api_cpu + api_db):.2f})"
    )
    log(f"load average after timing: {loadavg()}")
    if not args.no_ledger:
        results = {w: run_ledger(args, w) for w in args.ledger_writers.split(",") if w}
        base, cur = results.get("baseline"), results.get("current")
        if base and cur:
            assert base["rows"] == cur["rows"], (base["rows"], cur["rows"])
            log(
                f"LEDGER {cur['rows']} rows: baseline (88df35e) {base['seconds']} s → current "
                f"{cur['seconds']} s = {float(base['seconds']) / float(cur['seconds']):.1f}× "
                f"faster (CPU {float(base['cpu_s']) + float(base['db_cpu_s']):.1f} → "
                f"{float(cur['cpu_s']) + float(cur['db_cpu_s']):.1f} s = "
                f"{(float(base['cpu_s']) + float(base['db_cpu_s'])) / (float(cur['cpu_s']) + float(cur['db_cpu_s'])):.1f}×); "
                f"peak RSS {base['peak_rss_mb']} → {cur['peak_rss_mb']} MB (goals ≥ 5×, < 300 MB)"
            )  # fmt: skip


if __name__ == "__main__":
    main()
