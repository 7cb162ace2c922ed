"""Periodic work: tasks enqueued at fixed intervals by one `fengqiao scheduler` process.

settings.PERIODIC_TASKS maps a django-tasks task's dotted path to its interval in seconds. The tasks
themselves are idempotent (a deadline sweep run twice raises each card once), so a missed or doubled
tick does no harm; run exactly one scheduler per installation anyway.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def due_tasks(last_run: dict[str, float], now: float) -> list[str]:
    """The dotted paths whose interval has passed since their last run (never run = due)."""
    due = []
    for path, interval in settings.PERIODIC_TASKS.items():
        if now - last_run.get(path, float("-inf")) >= interval:
            due.append(path)
    return due


def tick(last_run: dict[str, float], now: float) -> list[str]:
    """Enqueue every due task once; returns what was enqueued."""
    enqueued = []
    for path in due_tasks(last_run, now):
        try:
            import_string(path).enqueue()
        except Exception:
            # One broken task must not stop the others; it is retried at its next interval.
            log.exception("could not enqueue periodic task %s", path)
        else:
            enqueued.append(path)
        last_run[path] = now
    return enqueued


def run_forever(
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic
) -> None:
    last_run: dict[str, float] = {}
    while True:
        tick(last_run, clock())
        sleep(settings.PERIODIC_TICK_SECONDS)
