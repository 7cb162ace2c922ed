"""Background tasks of the API foundation."""

from django_tasks import task

from fengqiao.api.idempotency import purge_expired


@task()
def purge_idempotency_records() -> int:
    """Delete idempotency records older than 24 h."""
    return purge_expired()
