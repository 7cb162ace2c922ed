"""Background work of the registry: the overdue-visit sweep, the retention rules and the
spreadsheet imports."""

from django_tasks import task

from fengqiao.registry import retention, visits
from fengqiao.registry.importing import jobs


@task()
def sweep_visits_task() -> int:
    return visits.sweep_overdue()


@task()
def apply_retention_task() -> int:
    return retention.apply_rules()


@task()
def import_task(job_id: int) -> None:
    """Run one spreadsheet import (see importing.jobs.run_job)."""
    jobs.run_job(job_id)


@task()
def purge_import_uploads_task() -> int:
    return jobs.purge_uploads()
