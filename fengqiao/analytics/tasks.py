"""Background tasks of the monitoring room (django-tasks)."""

from django_tasks import task


@task()
def refresh_facts_task() -> int:
    """Bring the indicator aggregates up to date with the case history; run it every minute."""
    from fengqiao.analytics.facts import refresh_from_history

    return refresh_from_history()


@task()
def export_ledger_task(job_id: int) -> None:
    """Write one ledger export (see ledgers.run_export)."""
    from fengqiao.analytics.ledgers import run_export

    run_export(job_id)


@task()
def purge_expired_exports_task() -> int:
    """Delete ledger exports older than EXPORT_EXPIRY_HOURS (periodic)."""
    from fengqiao.analytics.ledgers import purge_expired_exports

    return purge_expired_exports()


@task()
def monthly_report_task(region_id: int, period: str, fmt: str = "pdf") -> str:
    """Write the period report of a region to MEDIA_ROOT/reports/ (scheduled monthly)."""
    from fengqiao.analytics.reports import scheduled_report

    return scheduled_report(region_id, period, fmt)
