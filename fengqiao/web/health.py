"""Health endpoints for load balancers, and a plain 503 page when the database is away.

`/health/live` answers as long as the process serves requests (no database). `/health/ready`
checks that the database answers, that every migration is applied and that the oldest task
waiting in the database queue is younger than HEALTH_MAX_TASK_BACKLOG_SECONDS.
"""

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache

# Once every migration is applied in this process it stays so until the next deployment
# restarts it, so the migration graph is loaded only until then.
_migrations_done = False


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _pending_migrations() -> int:
    global _migrations_done
    if _migrations_done:
        return 0
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrations_done = pending == 0
    return pending


def _task_backlog_seconds() -> float | None:
    """Age of the oldest due task still waiting in the database queue (None: no such queue)."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return None
    if not str(settings.TASKS["default"]["BACKEND"]).endswith(".DatabaseBackend"):
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max

    # Due since it was queued, or since the time it was planned for.
    due_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min(due_since))["oldest"]
    now = timezone.now()
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status=503
        )
    checks["database"] = "ok"
    try:
        pending = _pending_migrations()
        backlog = _task_backlog_seconds()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status=503
        )
    checks["migrations"] = "ok" if pending == 0 else f"{pending} not applied"
    healthy &= pending == 0
    if backlog is not None:
        limit = settings.HEALTH_MAX_TASK_BACKLOG_SECONDS
        checks["task_backlog_seconds"] = round(backlog, 1)
        if backlog > limit:
            checks["task_backlog"] = f"oldest waiting task older than {limit:g} s"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def unavailable_page(request: HttpRequest | None = None) -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


def is_database_outage(exc: BaseException | None) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))


class DatabaseOutageMiddleware:
    """A view that cannot reach the database answers 503 with a plain page, not a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return unavailable_page(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage anywhere (middleware included) is a 503, not a 500."""
    if is_database_outage(sys.exc_info()[1]):
        return unavailable_page(request)
    return HttpResponse(render_to_string("500.html"), status=500)
