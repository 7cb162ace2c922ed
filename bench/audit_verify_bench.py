"""Hash-chain verification benchmark: `fengqiao audit verify` over N case-history rows.

Usage (from the repository root; needs a PostgreSQL you may create databases on)::

    .venv/bin/python bench/audit_verify_bench.py                    # 1 000 000 rows, 20 000 cases
    .venv/bin/python bench/audit_verify_bench.py --rows 200000 --cases 4000 --keep

What it does:

1. creates the database `--db` (default fengqiao_bench_audit_verify) and migrates it;
2. builds N sealed history rows (chained per case, hashed with AUDIT_HASH as the platform does,
   through `fengqiao.core.chain.digest`) spread over `--cases` chains, and one anchor per chain,
   and loads them with COPY. Only the history is loaded: the case ids name no case rows (foreign
   keys are not checked during the load, `session_replication_role = replica`), since the
   verification reads the history table alone;
3. runs the case history's verification (`chain.verify_model`) and prints wall time, the CPU
   time of this process (Python: hashing, JSON) and of the database backend (from
   /proc/<pid>/stat of the PostgreSQL backend serving the connection, when the server is local),
   rows per second and the breaks found (0 expected);
4. edits one row by SQL and verifies again: the break must be named;
5. drops the database unless --keep.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake_bench import PG_SERVER, SECRET, check_db_name, db_exists  # noqa: E402
from bench.intake_bench import admin_sql as pg_admin  # noqa: E402


def setup_django(db: str, algorithm: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ["SECRET_KEY"] = SECRET
    os.environ["DEBUG"] = "0"
    os.environ["AUDIT_HASH"] = algorithm
    import django

    django.setup()


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def backend_cpu(pid: int) -> float | None:
    """CPU seconds of a local PostgreSQL backend (utime + stime from /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load(rows: int, cases: int) -> None:
    from django.conf import settings
    from django.db import connection

    from fengqiao.core import chain

    algorithm = settings.AUDIT_HASH
    per_case = rows // cases
    start = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    actions = ["accept", "dispatch", "start", "add_progress", "resolve", "close"]
    anchors = io.StringIO()
    t0 = time.monotonic()
    n = 0
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        with cur.cursor.copy(
            "COPY cases_casehistory (case_id, at, actor_id, action, from_state, to_state, note,"
            " data, public, public_reply, chain_seq, chain_prev, chain_hash) FROM STDIN"
        ) as copy:
            history = io.StringIO()
            for case_id in range(1, cases + 1):
                name = f"case:{case_id}"
                prev = ""
                at = start + timedelta(minutes=case_id)
                count = per_case + (1 if case_id <= rows - per_case * cases else 0)
                for seq in range(1, count + 1):
                    at += timedelta(minutes=7)
                    action = actions[seq % len(actions)]
                    note = f"第{seq}次处理：现场核查，群众反映情况属实" if seq % 3 else ""
                    data = {"seq": seq, "unit": case_id % 37} if seq % 2 else {}
                    public = seq % 5 == 0
                    content = [at, None, action, "handling", "handling", note, data, case_id]
                    h = chain.digest(algorithm, name, seq, prev, [*content, public, ""])
                    history.write(
                        f"{case_id}\t{at.isoformat()}\t\\N\t{action}\thandling\thandling\t"
                        f"{esc(note)}\t{esc(json.dumps(data, ensure_ascii=False))}\t"
                        f"{'t' if public else 'f'}\t\t{seq}\t{prev}\t{h}\n"
                    )
                    prev = h
                    n += 1
                anchors.write(f"{name}\t{count}\t{prev}\tappend\t{at.isoformat()}\n")
                if history.tell() > 8_000_000:  # stream in pieces: bounded memory
                    copy.write(history.getvalue())
                    history = io.StringIO()
            copy.write(history.getvalue())
        with cur.cursor.copy(
            "COPY core_chainanchor (chain, seq, hash, event, at) FROM STDIN"
        ) as copy:
            copy.write(anchors.getvalue())
        cur.execute("SET session_replication_role = origin")
        cur.execute("ANALYZE cases_casehistory")
        cur.execute("ANALYZE core_chainanchor")
    built = time.monotonic() - t0
    print(f"built and loaded {n} rows with COPY in {built:.1f} s")


def run_verify(label: str) -> None:
    from django.db import connection

    from fengqiao.core import chain

    spec = chain.SPECS["cases.casehistory"]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    b0, c0, t0 = backend_cpu(pid), cpu(), time.monotonic()
    report = chain.verify_model(spec)
    wall, used = time.monotonic() - t0, cpu() - c0
    b1 = backend_cpu(pid)
    db_cpu = f"{b1 - b0:.1f} s" if b0 is not None and b1 is not None else "n/a"
    print(
        f"{label}: {report.rows} rows in {report.chains} chains verified in {wall:.1f} s "
        f"({report.rows / wall:,.0f} rows/s); CPU: this process {used:.1f} s, database {db_cpu}; "
        f"breaks: {len(report.breaks)}"
    )
    for b in report.breaks[:5]:
        print(f"  {b}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", default="fengqiao_bench_audit_verify")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--cases", type=int, default=20_000)
    p.add_argument("--hash", default="sm3", choices=["sm3", "sha256"])
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = p.parse_args()
    db = check_db_name(args.db)
    print(f"audit verify bench {time.strftime('%Y-%m-%d %H:%M')}; load {os.getloadavg()}")
    if db_exists(db):
        pg_admin(f'DROP DATABASE "{db}"')
    pg_admin(f'CREATE DATABASE "{db}"')
    try:
        setup_django(db, args.hash)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        load(args.rows, args.cases)
        run_verify(f"verify ({args.hash})")
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            cur.execute(
                "UPDATE cases_casehistory SET note = 'edited' WHERE id = "
                "(SELECT id FROM cases_casehistory ORDER BY id OFFSET %s LIMIT 1)",
                [args.rows // 2],
            )
            cur.execute("SET session_replication_role = origin")
        run_verify("after editing one row by SQL")
        print(f"load average at the end: {os.getloadavg()}")
        connection.close()
    finally:
        if not args.keep:
            pg_admin(f'DROP DATABASE "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
