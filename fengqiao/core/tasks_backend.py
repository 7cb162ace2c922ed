"""django-tasks-db's backend, with its task row written by `core.fastinsert`.

Every intake queues the reporter's notification, so the task row is on the hot write path;
`DBTaskResult.objects.create` compiles the same INSERT on every call. This backend writes the
identical row (same fields, same defaults, same signal) with the SQL built once per process.
"""

from typing import Any

from django.db import router
from django_tasks_db.backend import DatabaseBackend as LibraryDatabaseBackend
from django_tasks_db.compat import normalize_json

from fengqiao.core import fastinsert


class DatabaseBackend(LibraryDatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        # Imported here, as the library does: backends may be built before the app registry.
        from django_tasks_db.models import DBTaskResult

        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        fastinsert.insert([row], using=router.db_for_write(DBTaskResult))
        return row
