"""Intake benchmark: POST /api/v1/cases/ end to end over HTTP on gunicorn + PostgreSQL.

Usage (from the repository root; needs `wrk` on PATH and a PostgreSQL you may create
databases on)::

    .venv/bin/python bench/intake_bench.py                      # 20 s per endpoint
    .venv/bin/python bench/intake_bench.py --duration 30 --connections 8 --keep
    .venv/bin/python bench/intake_bench.py --profile 200        # cProfile of 200 intakes, no HTTP

What it does:

1. creates the database `--db` (default fengqiao_bench_intake; --reuse keeps an existing
   one), migrates it, loads the demo district (`fengqiao demo`), adds four routing rules
   (high-risk fire/safety → district, 110 hand-overs → street, justice-family disputes →
   community station, 桃西街道 → street; everything else goes to triage) and issues an API
   token for demo_district (a district center clerk);
2. builds 600 request bodies: a random point inside one of the 200 demo grids, a random
   category of the 35 and a staff channel, Chinese title and description, a valid phone,
   a party on half of them, a risk mix (60 % low, 25 % medium, 12 % high, 3 % critical);
3. starts gunicorn on 127.0.0.1 with `bench.bare_app:application` (the product WSGI app
   plus a bench-only `/bench/bare-insert/` that inserts one row into a bench table through
   Django's connection), DEBUG off, AXES off, persistent DB connections;
4. drives each endpoint with wrk (one thread, `--connections` keep-alive connections, a
   Lua script cycling through the bodies) after a short warm-up: first the bare insert, then
   the intake; prints requests/s, p50/p95/p99, errors, the ratio and the goals
   (≥ 300 requests/s, p99 < 100 ms, ratio ≥ 0.5), and the load average before and after;
5. checks that the number of cases in the database equals the successful intakes;
6. stops gunicorn and drops the database unless --keep.

The machine is shared: other processes compete for the same cores, so read the figures
together with the printed load average.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-only-secret-key-not-for-production-0123456789"
INTAKE_PATH = "/api/v1/cases/"
BARE_PATH = "/bench/bare-insert/"
BARE_DRF_PATH = "/bench/bare-drf-insert/"
BODIES = 600

ISSUES = [
    ("夜间施工噪音扰民", "工地晚上十点后仍在施工，噪音很大，居民无法休息"),
    ("楼道堆放杂物", "楼道堆放纸箱和旧家具，堵塞消防通道，存在火灾隐患"),
    ("宅基地界址争议", "两户村民因宅基地界址发生争执，双方情绪激动"),
    ("邻里漏水纠纷", "楼上卫生间漏水导致楼下天花板渗水，协商未果"),
    ("占道经营", "商贩在人行道摆摊，影响行人通行"),
    ("违章搭建", "小区内有住户私自搭建彩钢房"),
    ("独居老人求助", "独居老人行动不便，需要社区上门帮助"),
    ("欠薪讨薪", "十余名农民工反映工程款拖欠三个月工资未发"),
    ("燃气泄漏隐患", "居民闻到楼道有燃气味，请尽快排查"),
    ("路灯损坏", "小区主干道路灯损坏多日，夜间出行不便"),
    ("下水道堵塞", "下水道堵塞污水外溢，气味很大"),
    ("广场舞噪音", "广场舞音响声音过大，影响周边居民"),
    ("流浪犬伤人隐患", "小区有流浪犬聚集，已有老人被吓倒"),
    ("土地承包合同纠纷", "承包合同到期后双方对续包价格有争议"),
    ("物业服务纠纷", "物业公司不作为，业主拒交物业费"),
    ("电动车飞线充电", "住户从楼上拉线给电动车充电，存在安全隐患"),
]
STAFF_CHANNELS = ["grid_patrol", "hotline_12345", "police_110", "walk_in", "phone", "screening"]
RISKS = ["low"] * 60 + ["medium"] * 25 + ["high"] * 12 + ["critical"] * 3
PRIORITIES = ["normal"] * 90 + ["urgent"] * 9 + ["emergency"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- database ------------------------------------------------------------------------------


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def db_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def check_db_name(name: str) -> str:
    # Only bench databases are ever created or dropped by this script.
    if not re.fullmatch(r"fengqiao_bench_[a-z0-9_]+", name):
        raise SystemExit("--db must look like fengqiao_bench_<something>")
    return name


def setup_django(db: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ["SECRET_KEY"] = SECRET
    os.environ["DEBUG"] = "0"
    # Plain HTTP on the loopback: production would redirect it to https.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import django

    django.setup()


def prepare(db: str) -> str:
    """Migrate, load the demo district, add routing rules; return an API token."""
    from django.core.management import call_command
    from django.db import connection

    from bench.bare_app import CREATE_TABLE
    from fengqiao.accounts.models import User
    from fengqiao.api.tokens import issue_token
    from fengqiao.cases.models import Category, Channel, RoutingRule
    from fengqiao.territory.models import Region

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    if not RoutingRule.objects.exists():
        cat = {c.code: c for c in Category.objects.all()}
        taoxi = Region.objects.filter(name="桃西街道").first()
        rules = [
            RoutingRule(order=10, name="bench: high-risk fire", category=cat["fire_safety"],
                        min_risk="high", target_level="district"),
            RoutingRule(order=11, name="bench: high-risk hazard", category=cat["safety_hazard"],
                        min_risk="high", target_level="district"),
            RoutingRule(order=20, name="bench: 110", channel=Channel.objects.get(code="police_110"),
                        target_level="street"),
            RoutingRule(order=30, name="bench: justice disputes", category=cat["dispute_justice"],
                        target_level="community"),
            RoutingRule(order=40, name="bench: 桃西街道", region=taoxi, target_level="street"),
        ]  # fmt: skip
        RoutingRule.objects.bulk_create(rules)
    user = User.objects.get(username="demo_district")
    token = issue_token(user, actor=None, name="intake bench").secret
    log(f"database {db} ready in {time.perf_counter() - t:.1f} s")
    return token


def request_bodies(n: int, seed: int = 3, phones: int = 0) -> list[dict]:
    from shapely.geometry import Point, shape

    from fengqiao.cases.models import Category
    from fengqiao.territory.models import Grid

    rng = random.Random(seed)
    grids = [(g.name, shape(g.boundary)) for g in Grid.objects.filter(active=True)]
    categories = list(Category.objects.filter(active=True).values_list("code", flat=True))
    bodies = []
    for _i in range(n):
        name, poly = rng.choice(grids)
        minx, miny, maxx, maxy = poly.bounds
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if poly.contains(Point(lon, lat)):
                break
        title, text = rng.choice(ISSUES)
        body = {
            "channel": rng.choice(STAFF_CHANNELS),
            "category": rng.choice(categories),
            "title": title,
            "description": f"{name}附近：{text}。",
            "address": f"{name}{rng.randint(1, 30)}号楼",
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "reporter_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "reporter_phone": "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9)),
            "people_involved": rng.randint(1, 12),
            "risk_level": rng.choice(RISKS),
            "priority": rng.choice(PRIORITIES),
        }
        if rng.random() < 0.5:
            body["parties"] = [
                {
                    "party_type": "person",
                    "role": "applicant",
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "phone": "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9)),
                }
            ]
        bodies.append(body)
    if phones:  # reporters who call again: the repeat-reporter rule fires (own RNG: same bodies)
        pool_rng = random.Random(seed + 1)
        pool = ["1" + pool_rng.choice("3578") + "".join(pool_rng.choices("0123456789", k=9))
                for _ in range(phones)]  # fmt: skip
        for body in bodies:
            body["reporter_phone"] = pool_rng.choice(pool)
    return bodies


# -- load ----------------------------------------------------------------------------------

LUA = """
local bodies = {%(bodies)s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Token %(token)s"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "%(path)s", headers, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"max": %%d, "mean": %%f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_script(bodies: list[dict], token: str, path: str) -> str:
    parts = ",\n".join("[==[" + json.dumps(b) + "]==]" for b in bodies)
    return LUA % {"bodies": parts, "token": token, "path": path}


def wrk(port: int, script: str, seconds: float, connections: int) -> dict:
    cmd = [
        "wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s",
        "-s", script, f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    r = json.loads(line.removeprefix("BENCH_JSON "))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    r["ok"] = r["requests"] - r["status"]
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, db: str, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_SERVER}/{db}",
        SECRET_KEY=SECRET,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        AXES_ENABLED="0",
        DB_CONN_MAX_AGE=str(args.conn_max_age),
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"), "bench.bare_app:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", args.worker_class, "--threads", str(args.threads),
        "--keep-alive", "30", "--backlog", "256", "--log-level", "error",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited at start") from None
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_one(port: int, token: str, body: dict) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)  # cold workers, busy machine
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    conn.request("POST", INTAKE_PATH, json.dumps(body), headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 201:
        raise SystemExit(f"intake check failed: {resp.status} {data[:500]!r}")
    conn.request("POST", BARE_PATH, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 201:
        raise SystemExit(f"bare insert check failed: {resp.status} {data[:500]!r}")
    conn.close()


def counts() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_bare_insert")
        bare = cursor.fetchone()[0]
    connection.close()
    return cases, bare


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_seconds(master: int, db: str) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn's workers and by the bench database's backends
    (persistent connections, so the same backends serve the whole run)."""
    import psycopg

    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        backends = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db],
        ).fetchall()]  # fmt: skip
    return sum(map(_proc_cpu, workers)), sum(map(_proc_cpu, backends))


class WaitSampler(threading.Thread):
    """What the bench database's backends are doing (pg_stat_activity), every 0.1 s."""

    def __init__(self, db: str) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.seen: Counter = Counter()
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            while not self._stop_event.wait(0.1):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') "
                    "FROM pg_stat_activity WHERE datname = %s AND state = 'active'",
                    [self.db],
                ).fetchall()
                self.samples += 1
                self.seen.update(r[0] for r in rows)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        parts = [f"{k} {v / self.samples:.2f}" for k, v in self.seen.most_common(6)]
        return "mean active backends by wait: " + ", ".join(parts) if parts else "all idle"


def fmt(name: str, r: dict) -> str:
    return (
        f"{name:<14} {r['rps']:>9.1f} {r['p50'] / 1000:>8.1f} {r['p95'] / 1000:>8.1f} "
        f"{r['p99'] / 1000:>8.1f} {r['max'] / 1000:>8.1f} {r['requests']:>9} {r['errors']:>7}"
    )


def run_http(args, token: str, bodies: list[dict]) -> None:
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="intake_bench_"))
    intake_lua = tmp / "intake.lua"
    bare_lua = tmp / "bare.lua"
    intake_lua.write_text(lua_script(bodies, token, INTAKE_PATH), encoding="utf-8")
    bare_lua.write_text(lua_script(bodies, token, BARE_PATH), encoding="utf-8")
    drf_lua = tmp / "bare_drf.lua"
    drf_lua.write_text(lua_script(bodies, token, BARE_DRF_PATH), encoding="utf-8")
    log(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads; "
        f"wrk: 1 thread, {args.connections} connections, {args.duration} s per endpoint"
    )
    proc = start_gunicorn(args, args.db, port)
    try:
        check_one(port, token, bodies[0])
        cases0, _bare0 = counts()
        # Warm-up: every worker imports, opens its connection, loads jieba and the grid index.
        wrk(port, str(bare_lua), args.warmup, args.connections)
        wrk(port, str(drf_lua), args.warmup, args.connections)
        wrk(port, str(intake_lua), args.warmup, args.connections)
        cpu_d0 = cpu_seconds(proc.pid, args.db)
        bare_drf = wrk(port, str(drf_lua), args.duration, args.connections)
        cpu_d1 = cpu_seconds(proc.pid, args.db)
        cases1, bare1 = counts()
        before = loadavg()
        log(f"load average before: {before}")
        cpu0 = cpu_seconds(proc.pid, args.db)
        bare = wrk(port, str(bare_lua), args.duration, args.connections)
        cpu1 = cpu_seconds(proc.pid, args.db)
        sampler = WaitSampler(args.db)
        sampler.start()
        intake = wrk(port, str(intake_lua), args.duration, args.connections)
        sampler.stop()
        cpu2 = cpu_seconds(proc.pid, args.db)
        after = loadavg()
        cases2, bare2 = counts()
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    log("")
    log(f"{'endpoint':<14} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'requests':>9} {'errors':>7}")  # fmt: skip
    log(fmt("bare insert", bare))
    log(fmt("bare DRF insert", bare_drf))
    log(fmt("intake (API)", intake))
    ratio = intake["rps"] / bare["rps"] if bare["rps"] else 0.0
    ratio_drf = intake["rps"] / bare_drf["rps"] if bare_drf["rps"] else 0.0
    log("")
    log(f"ratio intake / bare: {ratio:.3f}  (goal ≥ 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    log(f"ratio intake / bare DRF insert (the same insert behind Django, its middleware, DRF and "
        f"token authentication): {ratio_drf:.3f}")  # fmt: skip
    ok_rps = intake["rps"] >= 300
    ok_p99 = intake["p99"] / 1000 < 100
    log(f"intake ≥ 300 requests/s: {'met' if ok_rps else 'NOT met'}; "
        f"p99 < 100 ms: {'met' if ok_p99 else 'NOT met'}")  # fmt: skip
    log(f"load average before: {before}   after: {after}   (1, 5, 15 min; 2 cores)")
    made = cases2 - cases1
    log(f"cases written during the measured run: {made} (successful intakes reported by wrk: "
        f"{intake['ok']}); bare rows: {bare2 - bare1} (wrk: {bare['ok']}); "
        f"warm-up and check wrote {cases1 - cases0 + 1} cases")  # fmt: skip
    # Requests still in flight when wrk stops are completed by the server but not counted.
    # (and requests cut off at the end of the warm-up land in the measured window).
    slack = 2 * args.connections
    log(
        "CPU per request (gunicorn workers + PostgreSQL backends; independent of the load "
        "from other processes) and what 2 idle cores would allow at that cost:"
    )
    for name, r, a, b in [
        ("bare insert", bare, cpu0, cpu1),
        ("bare DRF", bare_drf, cpu_d0, cpu_d1),
        ("intake (API)", intake, cpu1, cpu2),
    ]:
        n = max(r["requests"], 1)
        web, db = (b[0] - a[0]) * 1000 / n, (b[1] - a[1]) * 1000 / n
        log(
            f"  {name:<14} web {web:6.2f} ms + database {db:5.2f} ms = {web + db:6.2f} ms "
            f"→ at most ≈ {2000 / max(web + db, 0.001):,.0f} requests/s on 2 cores"
        )
    log(f"PostgreSQL backends of the bench database during the intake run, sampled every "
        f"0.1 s: {sampler.summary()}")  # fmt: skip
    if not (0 <= made - intake["ok"] <= slack and 0 <= bare2 - bare1 - bare["ok"] <= slack):
        log("WARNING: row counts differ from wrk's successful responses")


def run_profile(token: str, bodies: list[dict], n: int) -> None:
    """Profile n intakes through the API view in this process (Django test client)."""
    from django.test import Client

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def post(body: dict) -> None:
        r = client.post(INTAKE_PATH, json.dumps(body), content_type="application/json", **headers)
        if r.status_code != 201:
            raise SystemExit(f"intake failed: {r.status_code} {r.content[:300]!r}")

    for b in bodies[:20]:  # warm: imports, jieba, grid index
        post(b)
    prof = cProfile.Profile(time.process_time)  # CPU of this process: robust to load
    t = time.perf_counter()
    cpu = time.process_time()
    prof.enable()
    for i in range(n):
        post(bodies[(20 + i) % len(bodies)])
    prof.disable()
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - cpu
    log(
        f"{n} intakes in {elapsed:.2f} s: {1000 * elapsed / n:.2f} ms each (one process); "
        f"CPU of this process {1000 * cpu / n:.2f} ms each (profiler overhead included)"
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        post(bodies[(20 + n) % len(bodies)])
    log(f"statements of one more intake ({len(ctx.captured_queries)}):")
    for q in ctx.captured_queries:
        log(f"  {q['sql'][:160]}")
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    out.write("\n--- by internal time ---\n")
    stats.sort_stats("tottime").print_stats(25)
    log(out.getvalue())


def run_inprocess(token: str, bodies: list[dict], n: int, rounds: int = 3) -> None:
    """CPU per request of the intake and of the bare DRF insert in this process (Django test
    client, the whole middleware stack and DRF, no HTTP server) plus the CPU of this process's
    PostgreSQL backend, in interleaved rounds: a comparison that a busy machine (no wrk, or a
    load average far above the core count) does not distort as much as the HTTP run."""
    from django.db import connection
    from django.test import Client

    import bench.bare_app  # noqa: F401  (adds the bare DRF insert's URL)

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def post(path: str, body: dict) -> float:
        t = time.perf_counter()
        r = client.post(path, json.dumps(body), content_type="application/json", **headers)
        if r.status_code != 201:
            raise SystemExit(f"{path} failed: {r.status_code} {r.content[:300]!r}")
        return time.perf_counter() - t

    for b in bodies[:20]:  # warm: imports, jieba, grid index, snapshots
        post(INTAKE_PATH, b)
        post(BARE_DRF_PATH, b)
    cpu = {INTAKE_PATH: [0.0, 0.0], BARE_DRF_PATH: [0.0, 0.0]}
    walls: dict[str, list[float]] = {INTAKE_PATH: [], BARE_DRF_PATH: []}
    log(f"load average before: {loadavg()}")
    k = 20
    for _r in range(rounds):
        for path in (BARE_DRF_PATH, INTAKE_PATH):
            web0, db0 = time.process_time(), _proc_cpu(backend)
            for i in range(n):
                walls[path].append(post(path, bodies[(k + i) % len(bodies)]))
            cpu[path][0] += time.process_time() - web0
            cpu[path][1] += _proc_cpu(backend) - db0
        k += n
    log(f"load average after: {loadavg()}")
    total = {}
    for path, name in ((BARE_DRF_PATH, "bare DRF insert"), (INTAKE_PATH, "intake (API)")):
        m = rounds * n
        web, db = 1000 * cpu[path][0] / m, 1000 * cpu[path][1] / m
        total[path] = web + db
        w = sorted(walls[path])
        p50, p99 = w[len(w) // 2], w[min(len(w) - 1, int(len(w) * 0.99))]
        log(f"  {name:<16} CPU web {web:6.2f} ms + database {db:5.2f} ms = {web + db:6.2f} ms; "
            f"wall p50 {1000 * p50:7.1f} ms, p99 {1000 * p99:7.1f} ms ({m} requests)")  # fmt: skip
    log(f"CPU per intake / bare DRF insert: {total[INTAKE_PATH] / total[BARE_DRF_PATH]:.2f}")
    from fengqiao.cases.models import Case
    from fengqiao.risk.models import Warning

    by_kind = Counter(Warning.objects.filter(case__isnull=False).values_list("kind", flat=True))
    log(f"warnings on cases: {dict(by_kind)} for {Case.objects.count()} cases")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="fengqiao_bench_intake")
    p.add_argument("--duration", type=int, default=20)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--conn-max-age", type=int, default=600)
    p.add_argument("--reuse", action="store_true", help="use the database if it exists")
    p.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    p.add_argument("--profile", type=int, default=0, help="cProfile N intakes instead of HTTP")
    p.add_argument("--inprocess", type=int, default=0,
                   help="CPU per request of N intakes and N bare DRF inserts per round, in "
                   "this process (3 interleaved rounds) instead of HTTP")  # fmt: skip
    p.add_argument("--repeat-phones", type=int, default=0,
                   help="draw the reporters' phones from N numbers, so that the demo's "
                   "repeat-reporter warning rule (3 in 30 days) fires")  # fmt: skip
    args = p.parse_args()
    db = check_db_name(args.db)
    if not shutil.which("wrk") and not (args.profile or args.inprocess):
        raise SystemExit("wrk not found (apt-get install wrk)")
    log(f"intake bench {time.strftime('%Y-%m-%d %H:%M')}; load average at start: {loadavg()}")
    exists = db_exists(db)
    if exists and not args.reuse:
        raise SystemExit(f"database {db} exists: pass --reuse, or drop it")
    if not exists:
        admin_sql(f'CREATE DATABASE "{db}"')
    try:
        setup_django(db)
        token = prepare(db)
        bodies = request_bodies(BODIES, phones=args.repeat_phones)
        if args.profile:
            run_profile(token, bodies, args.profile)
        elif args.inprocess:
            run_inprocess(token, bodies, args.inprocess)
        else:
            run_http(args, token, bodies)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            log(f"dropped {db}")


if __name__ == "__main__":
    main()
