"""Background tasks of operations (django-tasks)."""

from django_tasks import task


@task()
def recover_expired_tasks() -> dict:
    """Put tasks whose worker died back into the queue; run it every TASK_LEASE_SECONDS."""
    from fengqiao.ops.leases import recover_expired

    return recover_expired().as_dict()
