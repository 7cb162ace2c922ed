"""Basic data benchmark: residents and key persons on PostgreSQL (issue 18).

Usage (from the repository root; a PostgreSQL you may create databases on)::

    .venv/bin/python bench/registry_bench.py                       # 1M residents, 50k key persons
    .venv/bin/python bench/registry_bench.py --n 200000 --key 50000 --keep
    .venv/bin/python bench/registry_bench.py --reuse --repeat 50   # time again on a kept one

1. Creates the database `--db` (default fengqiao_bench_registry) and migrates it.
2. Builds a synthetic district: `--communities` communities of `--grids-per` grids each, one
   center-staff account over the district, one grid worker per grid.
3. COPYs `--n` residents spread over the grids (ID number and phone encrypted with the
   configured cipher, the keyed ID hash computed, exactly as `Resident.id_number = …` does) and
   `--key` key persons among them (kinds and risk levels mixed, half overdue).
4. Times, `--repeat` times each after a warm-up (p50 / p95 in ms):
   - a grid's residents list (first page of 50 and its count, as the page and the API run it),
   - a resident search by the start of a name over the district,
   - a key-person search by exact ID number (keyed hash) and by the start of a name (the count
     and the first page of 50, as the list page and the API run it),
   - a grid worker's due list (`visits_due_for`);
   then the overdue-visit sweep over every key person (`visits.sweep_overdue`), once.
   Each with the CPU time per call of this process and of its PostgreSQL backend, and the load
   average. `--explain 王伟 萧桂` prints EXPLAIN (ANALYZE, BUFFERS) of the grid list's and of
   those name searches' queries instead; `--no-sweep` skips the sweep.
5. Drops the database unless --keep.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SECRET = "registry-bench-secret-key-not-for-production-use-0123456789"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强海燕"


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
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


def citizen_id(seq: int) -> str:
    """A unique valid citizen ID per seq: 1,000 a day of birth from 1950-01-01 on."""
    from fengqiao.core.validators import id_check_char

    born = date(1950, 1, 1) + timedelta(days=seq // 1000)
    first = f"990101{born:%Y%m%d}{seq % 1000:03d}"
    return first + id_check_char(first)


def build_territory(communities: int, per: int):
    from fengqiao.accounts.models import RoleAssignment, ScopeType, User
    from fengqiao.accounts.roles import Role
    from fengqiao.org.models import EmploymentType, GridWorker
    from fengqiao.territory.models import Grid, Region

    L, K = Region.Level, Region.Kind
    province = Region.objects.create(
        code="990000000000", name="合成省", level=L.PROVINCE, kind=K.PROVINCE
    )
    city = Region.objects.create(
        code="990100000000", name="合成市", level=L.CITY, kind=K.CITY, parent=province
    )
    district = Region.objects.create(
        code="990101000000", name="合成区", level=L.DISTRICT, kind=K.DISTRICT, parent=city
    )
    street = Region.objects.create(
        code="990101001000", name="合成街道", level=L.STREET, kind=K.SUBDISTRICT, parent=district
    )
    grids = []
    for c in range(communities):
        com = Region.objects.create(
            code=f"990101001{c + 1:03d}",
            name=f"合成社区{c + 1}",
            level=L.COMMUNITY,
            kind=K.COMMUNITY,
            parent=street,
        )
        for g in range(per):
            x, y = 100 + c * 0.01, 30 + g * 0.001
            ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.001], [x, y + 0.001], [x, y]]
            grids.append(
                Grid(
                    code=f"{com.code}{g + 1:03d}",
                    name=f"网格{g + 1}",
                    community=com,
                    boundary={"type": "Polygon", "coordinates": [ring]},
                    min_lon=x,
                    min_lat=y,
                    max_lon=x + 0.01,
                    max_lat=y + 0.001,
                    center_lon=x,
                    center_lat=y,
                )
            )
    grids = Grid.objects.bulk_create(grids)
    staff = User.objects.create_user(username="bench_center", password="x" * 12, name="中心")
    RoleAssignment.objects.create(
        user=staff, role=Role.CENTER_STAFF, scope_type=ScopeType.REGION, region=district
    )
    workers = []
    for i, g in enumerate(grids):
        u = User.objects.create_user(username=f"bench_gw{i}", password=None, name=f"网格员{i}")
        a = RoleAssignment.objects.create(user=u, role=Role.GRID_WORKER, scope_type=ScopeType.GRIDS)
        a.grids.set([g])
        w = GridWorker.objects.create(user=u, employment_type=EmploymentType.FULL_TIME)
        w.grids.set([g])
        workers.append(w)
    return grids, workers


def load(n: int, key: int, grids, workers) -> None:
    from django.db import connection

    from fengqiao.registry import crypto
    from fengqiao.registry.models import KeyPerson, KeyPersonKind, Resident

    rng = random.Random(18)
    t0 = time.monotonic()
    cols = ["grid_id", "extra", "created_at", "updated_at", "version", "kind", "left_behind", "name",
            "former_name", "sex", "ethnicity", "native_place", "marital_status", "political_status",
            "education", "religion", "occupation", "workplace", "registered_address", "current_address",
            "id_type", "id_number_ct", "id_hash", "phone_ct", "health_ct", "inflow_reason",
            "permit_number", "relation_to_head"]  # fmt: skip
    empty = [""] * 8
    with connection.cursor() as cur:
        pg = cur.connection.cursor()
        with pg.copy(f"COPY {Resident._meta.db_table} ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(n):
                g = grids[i % len(grids)]
                idn = citizen_id(i)
                name = (
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else "")
                )
                copy.write_row([
                    g.pk, "{}", "now()", "now()", 1, "registered" if i % 5 else "floating", "", name,
                    "", "male" if i % 2 else "female", "汉族", *empty, f"合成社区{g.pk}号",
                    "resident_id", crypto.encrypt(idn), crypto.id_hash(idn),
                    crypto.encrypt(f"139{i % 100_000_000:08d}"), "", "", "", "",
                ])  # fmt: skip
        log(f"residents: {n:,} copied ({time.monotonic() - t0:.0f} s)")
        cur.execute(f"ANALYZE {Resident._meta.db_table}")
    kinds = list(KeyPersonKind.objects.all())
    worker_of = {w.grids.all()[0].pk: w.pk for w in workers}
    today = date.today()
    step = max(1, n // key)
    ids = list(Resident.objects.order_by("id").values_list("id", "grid_id")[::step][:key])
    rows = []
    for j, (rid, gid) in enumerate(ids):
        k = kinds[j % len(kinds)]
        level = j % 6 if k.has_risk_levels else None
        last = today - timedelta(days=rng.randint(1, 120))
        kp = KeyPerson(resident_id=rid, kind=k, grid_id=gid, risk_level=level, responsible_id=worker_of.get(gid),
                       started_on=today - timedelta(days=500), last_visit_on=last)  # fmt: skip
        kp.next_visit_due = kp.schedule_from(last)
        rows.append(kp)
    KeyPerson.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {KeyPerson._meta.db_table}")
    log(f"key persons: {len(rows):,} ({time.monotonic() - t0:.0f} s in all)")


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_now() -> tuple[float, float]:
    """CPU seconds so far of this process and of its PostgreSQL backend (a figure that does
    not depend on what else runs on the machine; parallel query workers are not counted)."""
    from django.db import connection

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    return time.process_time(), _proc_cpu(backend)


def timed(fn, repeat: int) -> tuple[float, float, float, float]:
    """p50 and p95 in ms, then this process's and the backend's CPU ms per call."""
    fn()
    samples = []
    c0, b0 = cpu_now()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    c1, b1 = cpu_now()
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return (statistics.median(samples), p95, (c1 - c0) * 1000 / repeat, (b1 - b0) * 1000 / repeat)


def show_plans(label: str, fn) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT that fn runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    for q in ctx.captured_queries:
        if not q["sql"].startswith("SELECT") or "accounts_" in q["sql"]:
            continue
        log(f"--- {label}: {q['sql'][:600]}")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            for (line,) in cur.fetchall():
                log(line)


def run_timings(repeat: int, explain: list[str] | None = None) -> list[tuple[str, float, float]]:
    from django.core.paginator import Paginator

    from fengqiao.accounts.models import User
    from fengqiao.registry import services, visits
    from fengqiao.registry.models import KeyPerson, Resident

    rng = random.Random(5)
    grid_ids = list(Resident.objects.values_list("grid_id", flat=True).distinct()[:500])
    kp_ids = list(KeyPerson.objects.values_list("resident_id", flat=True)[:2000])
    sample_ids = [Resident.objects.get(pk=r).id_number for r in rng.sample(kp_ids, 20)]

    def staff():
        return User.objects.get(username="bench_center")  # re-read: access built per call

    def grid_list():
        qs = services.visible(staff(), Resident).filter(
            anonymised_at__isnull=True, grid_id=rng.choice(grid_ids)
        )
        with services.planned_per_search():  # as the page and the API run it
            page = Paginator(qs.order_by("grid_id", "name", "id"), 50).get_page(1)
            list(page)

    def resident_by_name(prefix: str | None = None):
        qs = services.visible(staff(), Resident).filter(anonymised_at__isnull=True)
        qs = services.search_residents(qs, prefix or rng.choice(SURNAMES) + rng.choice(GIVEN))
        with services.planned_per_search():
            page = Paginator(qs.order_by("grid_id", "name", "id"), 50).get_page(1)
            list(page)

    def kp_by_id():
        qs = services.visible(staff(), KeyPerson).filter(active=True)
        qs = qs.filter(
            resident__in=services.search_residents(Resident.objects.all(), rng.choice(sample_ids))
        )
        list(qs.select_related("resident", "kind")[:50])

    def kp_by_name(prefix: str | None = None):
        # As the list page and the API run it: the count, then the first page of 50.
        qs = services.visible(staff(), KeyPerson).filter(active=True)
        with services.planned_per_search():
            qs = services.search_key_persons(qs, prefix or rng.choice(SURNAMES) + rng.choice(GIVEN))
            qs = services.by_due_date(qs.select_related("resident", "kind"), True)
            list(Paginator(qs, 50).get_page(1))

    if explain:
        show_plans("grid residents list", grid_list)
        for prefix in explain:
            show_plans(f"key-person search {prefix}", lambda p=prefix: kp_by_name(p))
            show_plans(f"resident search {prefix}", lambda p=prefix: resident_by_name(p))
        return []

    def due_list():
        u = User.objects.get(username=f"bench_gw{rng.randrange(len(grid_ids))}")
        visits.visits_due_for(u, date.today())

    out = []
    for label, fn in [
        ("grid residents list (page 1 of 50 + count)", grid_list),
        ("key-person search, exact ID (keyed hash)", kp_by_id),
        ("key-person search, name prefix", kp_by_name),
        ("resident search, name prefix (district)", resident_by_name),
        ("grid worker's due list", due_list),
    ]:
        p50, p95, cpu, db_cpu = timed(fn, repeat)
        out.append((label, p50, p95))
        log(f"{label:<46} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   CPU/op: python {cpu:6.1f} ms, "
            f"postgres {db_cpu:6.1f} ms; load {loadavg()}")  # fmt: skip
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="fengqiao_bench_registry")
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--key", type=int, default=50_000)
    p.add_argument("--communities", type=int, default=50)
    p.add_argument("--grids-per", type=int, default=20)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--reuse", action="store_true")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--explain", nargs="+", metavar="PREFIX", help="EXPLAIN the list and searches")
    p.add_argument("--no-sweep", action="store_true")
    args = p.parse_args()
    db = args.db
    if not re.fullmatch(r"fengqiao_bench_[a-z0-9_]+", db):
        raise SystemExit("--db must look like fengqiao_bench_<something>")
    log(f"registry bench {time.strftime('%Y-%m-%d %H:%M')}; load average: {loadavg()}")
    exists = admin("SELECT 1 FROM pg_database WHERE datname = %s", [db])
    if exists and not args.reuse:
        raise SystemExit(f"database {db} exists: pass --reuse, or drop it")
    if not exists:
        admin(f'CREATE DATABASE "{db}"')
    try:
        setup_django(db)
        from django.core.management import call_command

        from fengqiao.registry import visits
        from fengqiao.registry.models import KeyPerson, Resident, VisitEscalation
        from fengqiao.territory.models import Grid

        call_command("migrate", verbosity=0)
        if not Resident.objects.exists():
            grids, workers = build_territory(args.communities, args.grids_per)
            from fengqiao.org.models import GridWorker

            load(
                args.n,
                args.key,
                list(Grid.objects.all()),
                list(GridWorker.objects.prefetch_related("grids")),
            )
            del grids, workers
        # Statistics for every table, as autovacuum keeps them in production: without them the
        # planner took the small territory tables for 1 region and 10 grids and read every key
        # person of the district before joining the name prefix (p95 495 ms; 36 ms with them).
        from django.db import connection

        # VACUUM too: a bulk-loaded (or, on a kept database, swept) key-person table without
        # its visibility map made the planner hash-join all 50,000 key persons for a common
        # name prefix (王秀: 1,389 residents) instead of probing them by resident.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"residents {Resident.objects.count():,}, key persons {KeyPerson.objects.count():,}, "
            f"grids {Grid.objects.count():,}; load average {loadavg()}")  # fmt: skip
        run_timings(args.repeat, args.explain)
        if args.explain or args.no_sweep:
            return
        KeyPerson.objects.update(escalated_due=None)
        VisitEscalation.objects.all().delete()  # a run on a kept database escalates anew
        t = time.monotonic()
        c0, b0 = cpu_now()
        n = visits.sweep_overdue()
        c1, b1 = cpu_now()
        log(f"overdue-visit sweep over {KeyPerson.objects.count():,} key persons: {n:,} escalated "
            f"in {time.monotonic() - t:.1f} s; CPU: python {c1 - c0:.1f} s, postgres "
            f"{b1 - b0:.1f} s; load {loadavg()}")  # fmt: skip
        log(f"load average at the end: {loadavg()}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f'DROP DATABASE IF EXISTS "{db}"')


if __name__ == "__main__":
    main()
