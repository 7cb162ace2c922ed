"""Risk and campaigns benchmark: the warning rules' cost on intake, and a campaign roll-up over
many screened households, on PostgreSQL.

Usage (from the repository root; needs a PostgreSQL you may create databases on)::

    .venv/bin/python bench/risk_bench.py                       # 300,000 households, 300 intakes
    .venv/bin/python bench/risk_bench.py --households 50000 --intakes 100 --keep

What it does:

1. creates the database `--db` (default fq_risk_bench), migrates it and builds the tests' small
   world (a district, streets, communities, grids, units) plus a district clerk;
2. with `--cases N`, copies one case N times over the 5 years before (a city's volume for
   the repeat-reporter count to search);
   enables the intake rules (keywords with 20 keywords, group dispute, repeat reporter) and
   registers `--intakes` cases through the real intake (`cases.actions.intake`), timing each
   intake once with the rules enabled and once with them disabled (alternating), and the rule
   hook alone; prints p50/p95 of each and the difference (goal: < 10 ms at p95);
3. creates a campaign over every grid and bulk-inserts `--households` screening records
   (5 % with a finding), then records one more through `record_screening` and times the
   roll-up (grid, community, street, district) and the unfinished list right after it
   (goal: current within 5 s of the last record; the roll-up is live, so its latency is it);
4. drops the database unless --keep.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_now() -> float:
    """CPU seconds so far of this process plus its PostgreSQL backend (independent of the
    load, unlike the latencies; parallel query workers are not counted)."""
    from django.db import connection

    connection.ensure_connection()
    return time.process_time() + _proc_cpu(connection.connection.info.backend_pid)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="fq_risk_bench")
    ap.add_argument("--households", type=int, default=300_000)
    ap.add_argument("--intakes", type=int, default=300)
    ap.add_argument(
        "--cases", type=int, default=0, help="past cases over 5 years before the intakes (1000000)"
    )
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the rule hook")
    args = ap.parse_args()
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("migrate", verbosity=0)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')


def add_past_cases(n: int, template: int) -> None:
    """n copies of one case spread over the 5 years before now, each with its own tracking
    number and one of 300,000 reporter phones outside the intakes' own (so the repeat rule
    counts among a city's volume of cases and finds no match in it)."""
    from django.db import connection

    from fengqiao.cases.models import Case

    over = {
        "tracking_number": "'P' || lpad(g::text, 12, '0')",
        "reporter_phone": "'138' || lpad((g %% 300000)::text, 8, '0')",
        "created_at": "now() - (g::bigint * 157680000 / %s) * interval '1 second'",
    }
    cols = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    select = ", ".join(over.get(c, f'"{c}"') for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Case._meta.db_table} ({names}) "
            f"SELECT {select} FROM {Case._meta.db_table}, generate_series(1, %s) AS g "
            f"WHERE id = %s",
            [n, n, template],
        )
        cur.execute(f"ANALYZE {Case._meta.db_table}")
    print(f"past cases: {n:,} in {time.perf_counter() - t:.0f} s; load average {loadavg()}")


def run(args) -> None:
    import random

    from django.db import transaction
    from django.utils import timezone

    from fengqiao.accounts.roles import Role
    from fengqiao.campaigns import screening
    from fengqiao.campaigns.models import CampaignGrid, ScreeningRecord
    from fengqiao.cases import actions
    from fengqiao.risk import rules
    from fengqiao.risk.models import Level, RuleKind, WarningRule
    from fengqiao.territory.models import Grid
    from tests.case_factories import HUAYUAN_POINT, case_data, make_case_world
    from tests.factories import assign, make_personas, make_world

    world = make_world()
    personas = make_personas(world)
    cw = make_case_world(world)
    clerk = cw.district_clerk
    keywords = [
        "跳楼",
        "自杀",
        "同归于尽",
        "砍人",
        "拼命",
        "报复",
        "炸",
        "泼汽油",
        "讨说法",
        "上访",
        "堵路",
        "围堵",
        "打架",
        "斗殴",
        "持刀",
        "轻生",
        "喝农药",
        "烧房子",
        "要命",
        "弄死",
    ]
    made = [
        WarningRule.objects.create(
            name="kw",
            kind=RuleKind.KEYWORDS,
            params={"keywords": keywords},
            level=Level.MAJOR,
            region=world.district,
        ),
        WarningRule.objects.create(
            name="group",
            kind=RuleKind.GROUP_DISPUTE,
            params={"people": 10},
            level=Level.HIGH,
            region=world.district,
        ),
        WarningRule.objects.create(
            name="repeat",
            kind=RuleKind.REPEAT_REPORTER,
            params={"days": 30, "count": 3},
            level=Level.MEDIUM,
            region=world.district,
        ),
    ]
    rng = random.Random(7)
    texts = [
        "邻居深夜喧哗，多次协商无果",
        "拖欠工资三个月，扬言要跳楼",
        "楼上漏水，双方争吵",
        "工地噪音扰民",
    ]

    def body():
        return case_data(
            point=HUAYUAN_POINT,
            description=rng.choice(texts),
            people_involved=rng.choice([1, 2, 3, 12]),
            reporter_phone=f"139046{rng.randint(0, 299):05d}",
        )

    first = actions.intake(clerk, body(), "screening").case  # warm: snapshots, jieba
    if args.cases:
        add_past_cases(args.cases, first.pk)
    print(f"load average before the intakes: {loadavg()}")
    with_rules, without, hook, checks = [], [], [], []
    cpu = {"with": [], "without": [], "hook": [], "checks": []}
    from fengqiao.core import refdata

    # First half without rules, then with: one change of the rules (a reload of the snapshots,
    # warmed by one intake) rather than one per intake.
    for i in range(args.intakes):
        enabled = i >= args.intakes // 2
        if i in (0, args.intakes // 2):
            WarningRule.objects.update(enabled=enabled)
            refdata.changed()
            with transaction.atomic():
                actions.intake(clerk, body(), "screening")
                transaction.set_rollback(True)
        c = cpu_now()
        t = time.perf_counter()
        case = actions.intake(clerk, body(), "screening").case
        (with_rules if enabled else without).append((time.perf_counter() - t) * 1000)
        cpu["with" if enabled else "without"].append((cpu_now() - c) * 1000)
        if enabled:
            with transaction.atomic():
                c = cpu_now()
                t = time.perf_counter()
                if args.profile and i == args.intakes - 1:
                    import cProfile
                    import pstats

                    prof = cProfile.Profile()
                    prof.runcall(rules.on_intake, case)
                    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
                else:
                    rules.on_intake(case)
                hook.append((time.perf_counter() - t) * 1000)
                cpu["hook"].append((cpu_now() - c) * 1000)
                transaction.set_rollback(True)
            # The evaluation alone (what every intake pays; raising a warning writes rows).
            c = cpu_now()
            t = time.perf_counter()
            for r in made:
                if r.kind in rules.CASE_CHECKS:
                    rules.CASE_CHECKS[r.kind](r, case, None)
            checks.append((time.perf_counter() - t) * 1000)
            cpu["checks"].append((cpu_now() - c) * 1000)
    print(
        f"intakes: {args.intakes} ({len(with_rules)} with rules, {len(without)} without); rules: {[r.name for r in made]}"
    )
    for name, v, key in (
        ("intake with rules", with_rules, "with"),
        ("intake without rules", without, "without"),
        ("rule hook alone", hook, "hook"),
        ("rule checks alone", checks, "checks"),
    ):
        print(
            f"  {name:22s} p50 {pct(v, 50):7.2f} ms  p95 {pct(v, 95):7.2f} ms   "
            f"CPU/op (python + postgres) mean {statistics.mean(cpu[key]):6.2f} ms, "
            f"p95 {pct(cpu[key], 95):6.2f} ms"
        )
    print(
        f"  added at p95: {pct(with_rules, 95) - pct(without, 95):.2f} ms (goal < 10 ms); hook p95 {pct(hook, 95):.2f} ms"
    )
    print(
        f"  added CPU per intake: {statistics.mean(cpu['with']) - statistics.mean(cpu['without']):.2f} ms "
        f"(mean), {pct(cpu['with'], 95) - pct(cpu['without'], 95):.2f} ms (p95); load average {loadavg()}"
    )

    grids = list(Grid.objects.select_related("community"))
    today = timezone.localdate()
    c = screening.create_campaign(
        clerk,
        {
            "name": "bench",
            "kind": "epidemic",
            "region": world.district.code,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
        },
    )
    per = args.households // len(grids) + 1
    screening.assign_grids(clerk, c, {g.code: per for g in grids})
    screening.move_campaign(clerk, c, "activate")
    t = time.perf_counter()
    now = timezone.now()
    batch = []
    for n in range(args.households):
        g = grids[n % len(grids)]
        batch.append(
            ScreeningRecord(
                campaign=c,
                grid=g,
                community_path=g.community.path,
                address=f"h{n}",
                has_finding=n % 20 == 0,
                finding="x" if n % 20 == 0 else "",
                screened_at=now,
                answers={},
            )
        )
        if len(batch) == 10_000:
            ScreeningRecord.objects.bulk_create(batch)
            batch = []
    ScreeningRecord.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE campaigns_screeningrecord")
    print(
        f"households: {args.households} in {len(grids)} grids, loaded in {time.perf_counter() - t:.1f} s"
    )
    assign(personas.grid_worker, Role.GRID_WORKER, grids=[world.grids["230903013001001"]])
    timings, roll_cpu = [], []
    for i in range(10):
        screening.record_screening(
            personas.grid_worker, c, {"grid": "230903013001001", "address": f"new{i}"}
        )
        cc = cpu_now()
        t = time.perf_counter()
        roll = screening.rollup(clerk, c)
        screening.unfinished(clerk, c)
        timings.append((time.perf_counter() - t) * 1000)
        roll_cpu.append((cpu_now() - cc) * 1000)
    total = roll["district"][0].screened
    assert total == args.households + 10, total
    print(
        f"  roll-up + unfinished after a new record: p50 {pct(timings, 50):.0f} ms, max {max(timings):.0f} ms (goal: current within 5 s); district total {total}"
    )
    print(
        f"  assigned grids: {CampaignGrid.objects.filter(campaign=c).count()}; mean {statistics.mean(timings):.0f} ms; "
        f"CPU/op (python + postgres) mean {statistics.mean(roll_cpu):.0f} ms; load average {loadavg()}"
    )


if __name__ == "__main__":
    main()
