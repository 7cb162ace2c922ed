"""Risk and campaigns benchmark: the warning rules' cost on intake, and a campaign roll-up over
many screened households, on PostgreSQL.

Usage (from the repository root; needs a PostgreSQL you may create databases on)::

    .venv/bin/python bench/risk_bench.py                       # 300,000 households, 300 intakes
    .venv/bin/python bench/risk_bench.py --households 50000 --intakes 100 --keep

What it does:

1. creates the database `--db` (default fq_risk_bench), migrates it and builds the tests' small
   world (a district, streets, communities, grids, units) plus a district clerk;
2. enables the intake rules (keywords with 20 keywords, group dispute, repeat reporter) and
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


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="fq_risk_bench")
    ap.add_argument("--households", type=int, default=300_000)
    ap.add_argument("--intakes", type=int, default=300)
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

    actions.intake(clerk, body(), "screening")  # warm: snapshots, jieba's dictionary
    with_rules, without, hook, checks = [], [], [], []
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
        t = time.perf_counter()
        case = actions.intake(clerk, body(), "screening").case
        (with_rules if enabled else without).append((time.perf_counter() - t) * 1000)
        if enabled:
            with transaction.atomic():
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
                transaction.set_rollback(True)
            # The evaluation alone (what every intake pays; raising a warning writes rows).
            t = time.perf_counter()
            for r in made:
                if r.kind in rules.CASE_CHECKS:
                    rules.CASE_CHECKS[r.kind](r, case, None)
            checks.append((time.perf_counter() - t) * 1000)
    print(
        f"intakes: {args.intakes} ({len(with_rules)} with rules, {len(without)} without); rules: {[r.name for r in made]}"
    )
    for name, v in (
        ("intake with rules", with_rules),
        ("intake without rules", without),
        ("rule hook alone", hook),
        ("rule checks alone", checks),
    ):
        print(f"  {name:22s} p50 {pct(v, 50):7.2f} ms  p95 {pct(v, 95):7.2f} ms")
    print(
        f"  added at p95: {pct(with_rules, 95) - pct(without, 95):.2f} ms (goal < 10 ms); hook p95 {pct(hook, 95):.2f} ms"
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
    timings = []
    for i in range(10):
        screening.record_screening(
            personas.grid_worker, c, {"grid": "230903013001001", "address": f"new{i}"}
        )
        t = time.perf_counter()
        roll = screening.rollup(clerk, c)
        screening.unfinished(clerk, c)
        timings.append((time.perf_counter() - t) * 1000)
    total = roll["district"][0].screened
    assert total == args.households + 10, total
    print(
        f"  roll-up + unfinished after a new record: p50 {pct(timings, 50):.0f} ms, max {max(timings):.0f} ms (goal: current within 5 s); district total {total}"
    )
    print(
        f"  assigned grids: {CampaignGrid.objects.filter(campaign=c).count()}; mean {statistics.mean(timings):.0f} ms"
    )


if __name__ == "__main__":
    main()
