"""CPU of an API request's authentication and access check, measured in-process.

Usage (from the repository root)::

    .venv/bin/python bench/auth_bench.py                    # SQLite in a temporary directory
    .venv/bin/python bench/auth_bench.py --pg fq_auth_bench # PostgreSQL (database re-created)
    .venv/bin/python bench/auth_bench.py -n 5000 --persona liaison

It migrates an empty database, builds the test world and personas (tests/factories.py),
issues one API token per persona and then, for each persona, times with time.process_time:

1. "auth+access": what every API request does before its view: DRF's TokenAuthentication
   (header → token → user) and `access_for(user)` with the scopes an intake asks for
   (CASE_REPORT, CASE_VIEW), on a fresh request object each time;
2. "GET /api/v1/me/": a cheap authenticated endpoint through the whole Django stack
   (middleware, routing, DRF, one list query), for scale.

It prints µs of this process's CPU per iteration and the queries of one iteration. On
PostgreSQL the server's own CPU is not in these figures (on SQLite it is: same process).
The machine is shared: the load average is printed before and after.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PERSONAS = ["street_clerk", "liaison", "grid_worker"]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def setup(pg: str | None) -> None:
    if pg:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg}"')
            conn.execute(f'CREATE DATABASE "{pg}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg}"
    else:
        var = tempfile.mkdtemp(prefix="fq-auth-bench-")
        os.environ["VAR_DIR"] = var
        os.environ["DATABASE_URL"] = f"sqlite:///{var}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    os.environ["SECRET_KEY"] = "bench-only-secret-key-not-for-production-0123456789"
    os.environ["DEBUG"] = "0"
    # Plain HTTP on the loopback: production would redirect it to https.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DB_CONN_MAX_AGE"] = "600"  # persistent connections, as a production server
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="iterations per measure")
    parser.add_argument("--pg", help="PostgreSQL database to (re)create and use")
    parser.add_argument("--persona", action="append", choices=PERSONAS)
    args = parser.parse_args()
    print(f"load average before: {loadavg()}", flush=True)
    setup(args.pg)

    from django.db import connection
    from django.test import Client, RequestFactory
    from rest_framework.request import Request

    from fengqiao.accounts.access import access_for
    from fengqiao.accounts.roles import Perm
    from fengqiao.api.authentication import TokenAuthentication
    from fengqiao.api.tokens import issue_token
    from tests.factories import make_personas, make_world

    personas = make_personas(make_world())
    factory = RequestFactory()
    authenticators = [TokenAuthentication()]
    print(f"database: {connection.vendor}; {args.n} iterations each", flush=True)

    for name in args.persona or PERSONAS:
        secret = issue_token(getattr(personas, name), actor=None).secret
        header = f"Token {secret}"

        def auth_and_access(header=header) -> None:
            request = Request(
                factory.get("/api/v1/cases/", HTTP_AUTHORIZATION=header),
                authenticators=authenticators,
            )
            access = access_for(request.user)
            access.scope(Perm.CASE_REPORT)
            access.scope(Perm.CASE_VIEW)

        client = Client(HTTP_AUTHORIZATION=header)

        def get_me(client=client) -> None:
            assert client.get("/api/v1/me/").status_code == 200

        for label, fn in [("auth+access", auth_and_access), ("GET /api/v1/me/", get_me)]:
            for _ in range(20):  # warm: first use, last_used_at written
                fn()
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            # Not CaptureQueriesContext: a request through the stack resets the query log.
            with connection.execute_wrapper(count):
                fn()
            start = time.process_time()
            for _ in range(args.n):
                fn()
            cpu = time.process_time() - start
            print(
                f"{name:13s} {label:20s} {cpu / args.n * 1e6:8.1f} µs CPU/iteration, "
                f"{len(queries)} queries",
                flush=True,
            )
    print(f"load average after: {loadavg()}", flush=True)
    if args.pg:
        connection.close()
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.pg}"')


if __name__ == "__main__":
    main()
