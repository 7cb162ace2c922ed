"""Enqueueing background tasks so that they run only for work that was committed."""

from typing import Any

from django.conf import settings
from django.db import transaction

# Backends that keep tasks in the application's own database.
SAME_DATABASE_BACKENDS = frozenset(
    {"django_tasks_db.DatabaseBackend", "fengqiao.core.tasks_backend.DatabaseBackend"}
)


def enqueue_with_transaction(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` for the current transaction: it runs only if the transaction commits.

    A backend that keeps tasks in our database gets the task row inside the transaction, so the
    work and its follow-up commit together (one commit, and nothing lost if the process dies right
    after it). Any other backend (Redis) is handed the task once the transaction has committed.
    """
    backend = settings.TASKS.get(task.backend, {}).get("BACKEND", "")
    if backend in SAME_DATABASE_BACKENDS:
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
