"""A task for the worker tests (tests/test_ops_leases.py), importable by a worker process."""

import time
from pathlib import Path

from django_tasks import task


@task()
def slow_once(marker: str, seconds: float) -> int:
    """Log a start line; the first run then sleeps `seconds` (long enough to be killed in), a
    later run does not. Idempotent: it only ever appends to its own marker file."""
    path = Path(marker)
    runs = path.read_text().count("start") if path.exists() else 0
    with path.open("a") as f:
        f.write("start\n")
    if runs == 0:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
    with path.open("a") as f:
        f.write("done\n")
    return runs + 1
