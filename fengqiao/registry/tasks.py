"""Periodic work of the registry: the overdue-visit sweep and the retention rules."""

from django_tasks import task

from fengqiao.registry import retention, visits


@task()
def sweep_visits_task() -> int:
    return visits.sweep_overdue()


@task()
def apply_retention_task() -> int:
    return retention.apply_rules()
