"""Scratch databases for tests that run real processes (workers, servers, backups): a fresh,
migrated database of the same kind as the suite's (SQLite file, or a new PostgreSQL database on
the suite's server), and helpers to run `fengqiao` commands and SQL against it."""

import atexit
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg

ROOT = Path(__file__).resolve().parent.parent


def suite_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def _pg_admin(url: str) -> Any:
    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


_template: dict[str, str] = {}


def _drop_template() -> None:
    if "pg" in _template:
        with _pg_admin(os.environ["DATABASE_URL"]) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_template["pg"]}" WITH (FORCE)')


def _migrated_template(env: dict[str, str], tmp_path: Path) -> str:
    """Migrate once per test session; each scratch database is a copy of that one."""
    if suite_is_postgres():
        if "pg" not in _template:
            name = f"fq_scratch_tpl_{uuid.uuid4().hex[:10]}"
            with _pg_admin(os.environ["DATABASE_URL"]) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            _template["pg"] = name
            atexit.register(_drop_template)
            fq({**env, "DATABASE_URL": _pg_url(name)}, "migrate", "--no-input", "-v0")
        return _template["pg"]
    if "sqlite" not in _template:
        path = tmp_path / "template.sqlite3"
        fq({**env, "DATABASE_URL": f"sqlite:///{path}"}, "migrate", "--no-input", "-v0")
        _template["sqlite"] = str(path)
    return _template["sqlite"]


def _pg_url(name: str) -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def scratch_env(tmp_path: Path, **extra: str) -> Iterator[dict[str, str]]:
    """The environment of processes sharing one fresh, migrated database and media folder."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DEBUG": "1",
        "SECRET_KEY": "test-only-secret-key",
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    name = ""
    template = _migrated_template(env, tmp_path)
    if suite_is_postgres():
        name = f"fq_scratch_{uuid.uuid4().hex[:10]}"
        with _pg_admin(os.environ["DATABASE_URL"]) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        env["DATABASE_URL"] = _pg_url(name)
    else:
        path = tmp_path / "scratch.sqlite3"
        shutil.copyfile(template, path)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    try:
        yield env
    finally:
        if name:
            with _pg_admin(os.environ["DATABASE_URL"]) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fq_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "fengqiao", *args]


def fq(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run one `fengqiao` command to its end; its standard output. The timeout only stops a
    hung command: a full migrate takes over two minutes on a loaded two-core machine."""
    done = subprocess.run(
        fq_command(*args),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"fengqiao {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start a long-running `fengqiao` command (worker, server); output goes to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            fq_command(*args), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def sql(env: dict[str, str], query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query on the scratch database (`%s` placeholders)."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(query.replace("%s", "?"), params).fetchall()
    cfg = dj_database_url.parse(url)
    with psycopg.connect(
        host=cfg["HOST"], port=cfg["PORT"], user=cfg["USER"], dbname=cfg["NAME"], autocommit=True
    ) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []
