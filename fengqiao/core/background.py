"""Enqueueing background tasks so that they run only for work that was committed."""

import functools
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from fengqiao.core import caches


@functools.cache
def _in_our_database(backend_path: str) -> bool:
    """Whether this backend keeps its tasks in the application's own database (django-tasks-db's
    backend or a subclass of it)."""
    from django_tasks_db.backend import DatabaseBackend

    try:
        backend = import_string(backend_path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, DatabaseBackend)


# The answer depends on the TASKS setting, which tests change.
caches.register("core.background", _in_our_database.cache_clear)


def enqueue_with_transaction(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` for the current transaction: it runs only if the transaction commits.

    A backend that keeps tasks in our database gets the task row inside the transaction, so the
    work and its follow-up commit together (one commit, and nothing lost if the process dies right
    after it). Any other backend (Redis) is handed the task once the transaction has committed.
    """
    backend = settings.TASKS.get(task.backend, {}).get("BACKEND", "")
    if _in_our_database(backend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
