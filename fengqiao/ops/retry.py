"""Retrying work that failed at a provider: exponential back-off with jitter, a limit, then
the dead-letter list (DeadLetter) that administrators read and replay."""

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from fengqiao.core import audit
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.core.models import AuditEntry
from fengqiao.ops.models import DeadLetter


def backoff(
    attempt: int,
    rng: random.Random | None = None,
    *,
    base: float | None = None,
    ceiling: float | None = None,
    factor: float = 2,
) -> timedelta:
    """The wait after the `attempt`-th failure (1-based): base·factor^(attempt-1), capped, of
    which a random half (equal jitter), so that retries after an outage do not arrive together.
    The base and the cap are RETRY_BASE_SECONDS and RETRY_MAX_SECONDS unless given (webhooks
    pass their own, longer ones)."""
    first = float(settings.RETRY_BASE_SECONDS if base is None else base)
    cap = float(settings.RETRY_MAX_SECONDS if ceiling is None else ceiling)
    top = min(cap, first * factor ** (attempt - 1))
    return timedelta(seconds=top / 2 + (rng or random).uniform(0, top / 2))


def max_attempts() -> int:
    return int(settings.RETRY_MAX_ATTEMPTS)


def retry_later(task: Any, attempt: int, **kwargs: Any) -> None:
    """Enqueue `task` again for attempt `attempt + 1` after the back-off."""
    delay = backoff(attempt)
    if task.get_backend().supports_defer and delay > timedelta(0):
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(attempt=attempt + 1, **kwargs)


def give_up(kind: str, task: Any, attempts: int, error: str, **kwargs: Any) -> DeadLetter:
    return DeadLetter.objects.create(
        kind=kind,
        task_path=task.module_path,
        arguments=kwargs,
        error=error[:4000],
        attempts=attempts,
    )


class NotReplayable(Exception):
    pass


def replay(actor: Any, letter_id: int) -> DeadLetter:
    """Enqueue a dead letter's task again with fresh attempts (once; it is marked replayed)."""
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter_id)
        if letter.replayed_at is not None:
            raise NotReplayable(letter_id)
        letter.replayed_at = timezone.now()
        letter.replayed_by = actor if getattr(actor, "is_authenticated", False) else None
        letter.save(update_fields=["replayed_at", "replayed_by"])
        audit.record(
            actor,
            AuditEntry.Action.UPDATE,
            letter,
            {"replayed_at": [None, str(letter.replayed_at)]},
        )
        task = import_string(letter.task_path)
        arguments = dict(letter.arguments)
        enqueue_with_transaction(task, **arguments)
    return letter
