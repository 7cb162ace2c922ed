"""Search benchmark: index N synthetic Chinese case texts, then time queries (p50/p95).

Usage (PostgreSQL only; use a database of its own, the script adds a scratch table)::

    createdb -h 127.0.0.1 -U postgres fengqiao_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengqiao_bench .venv/bin/fengqiao migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengqiao_bench \\
        .venv/bin/python bench/search_bench.py --n 1000000

Texts are segmented in worker processes and written with index.write_bodies (one INSERT …
SELECT unnest(…) per batch). Each query is timed as the platform runs it: a scoped case list
(`id IN (search subquery) AND community = ANY(scope) ORDER BY id DESC LIMIT 50`) and its count.
The documents (kind "bench_case") and the scratch table are removed at the end unless --keep.
"""

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django

django.setup()

from django.db import connection  # noqa: E402

from fengqiao.search import index  # noqa: E402
from fengqiao.search.text import document_tokens, query_terms, tokenizer  # noqa: E402

KIND = "bench_case"
COMMUNITIES = 400
PLACES = ["松林小区", "花园小区", "河畔家园", "新建村", "桃西市场", "幸福里", "建设路", "学府花园"]
PLACES += [f"{name}{i}期" for name in ("阳光城", "锦绣苑", "和平里") for i in range(1, 9)]
ISSUES = [
    "夜间施工噪音扰民",
    "楼道堆放杂物堵塞消防通道",
    "宅基地纠纷双方争执不下",
    "邻里纠纷因漏水引发争吵",
    "占道经营影响通行",
    "违章搭建彩钢房",
    "独居老人需要上门探访",
    "电信诈骗线索涉及断卡",
    "燃气泄漏隐患需排查",
    "欠薪讨薪农民工聚集",
    "路灯损坏夜间出行不便",
    "下水道堵塞污水外溢",
    "广场舞音响声音过大",
    "流浪犬伤人隐患",
    "土地承包合同纠纷",
]
DETAILS = [
    "居民多次投诉",
    "网格员现场核实",
    "请相关部门尽快处理",
    "已联系物业协调",
    "涉及群众十余人",
    "要求限期整改并回复",
    "社区调解委员会介入",
    "派出所民警到场",
    "情况紧急需当日处置",
    "群众情绪较为激动",
]
RARE = ["化粪池", "高空抛物", "电动车飞线充电", "野泳溺水"]

QUERIES = [
    "噪音",  # common (~1/15)
    "松林小区 噪音",  # two words, one place
    "宅基地纠纷",
    "断卡",
    "网格员 核实 漏水",  # three words
    "高空抛物",  # rare (~1/2000)
    "火箭发射",  # no match
]


def synthetic_text(rng: random.Random, i: int) -> str:
    parts = [
        f"{rng.choice(PLACES)}{rng.randint(1, 30)}号楼",
        rng.choice(ISSUES),
        "，",
        rng.choice(DETAILS),
        "，",
        rng.choice(DETAILS),
        "。",
    ]
    if i % 2000 == 0:
        parts.insert(2, rng.choice(RARE))
    return "".join(parts)


def segment_chunk(args: tuple[int, int, int]) -> dict[int, str]:
    start, stop, seed = args
    rng = random.Random(seed * 1_000_003 + start)
    return {i: " ".join(document_tokens(synthetic_text(rng, i))) for i in range(start, stop)}


def timed(sql: str, params: list, repeat: int) -> tuple[float, float, int]:
    times, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(repeat):
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("search_bench needs PostgreSQL: set DATABASE_URL")

    tokenizer()  # load jieba before forking, so workers share it
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_document WHERE kind = %s", [KIND])
    chunks = [(s, min(s + args.chunk, args.n), 7) for s in range(0, args.n, args.chunk)]
    t0 = time.perf_counter()
    written = 0
    with mp.get_context("fork").Pool(args.workers) as pool:
        for rows in pool.imap(segment_chunk, chunks):
            index.write_bodies(KIND, rows)
            written += len(rows)
    index_seconds = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE search_document")
        cursor.execute("DROP TABLE IF EXISTS bench_case")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_case AS SELECT g AS id, g %% %s AS community "
            "FROM generate_series(0, %s) AS g",
            [COMMUNITIES, args.n - 1],
        )
        cursor.execute("ALTER TABLE bench_case ADD PRIMARY KEY (id)")
        cursor.execute("CREATE INDEX bench_case_community ON bench_case (community)")
        cursor.execute("ANALYZE bench_case")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('search_document')), "
            "pg_size_pretty(pg_relation_size('search_document_tsv'))"
        )
        table_size, gin_size = cursor.fetchone()

    scope = list(range(0, COMMUNITIES, 8))  # a street's 50 communities out of 400
    print(
        f"indexed {written:,} documents in {index_seconds:.0f} s "
        f"({written / index_seconds:,.0f}/s, {args.workers} workers); "
        f"table {table_size}, GIN index {gin_size}"
    )
    print("| query | terms | matches | list p50 ms | list p95 ms | count p50 ms | count p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for q in QUERIES:
        sub = index.matching_ids(KIND, q)
        sub_sql, sub_params = sub.sql, list(sub.params)
        list_sql = (
            f"SELECT id FROM bench_case WHERE id IN ({sub_sql}) AND community = ANY(%s) "
            "ORDER BY id DESC LIMIT 50"
        )
        count_sql = (
            f"SELECT count(*) FROM bench_case WHERE id IN ({sub_sql}) AND community = ANY(%s)"
        )
        lp50, lp95, _ = timed(list_sql, [*sub_params, scope], args.repeat)
        cp50, cp95, _ = timed(count_sql, [*sub_params, scope], args.repeat)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sub_sql}) AS m", sub_params)
            matches = cursor.fetchone()[0]
        print(
            f"| {q} | {' '.join(query_terms(q))} | {matches:,} | {lp50:.1f} | {lp95:.1f} | "
            f"{cp50:.1f} | {cp95:.1f} |"
        )

    if not args.keep:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_case")
            cursor.execute("DELETE FROM search_document WHERE kind = %s", [KIND])


if __name__ == "__main__":
    main()
