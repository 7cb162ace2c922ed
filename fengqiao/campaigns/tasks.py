"""Periodic tasks of campaigns and special operations (django-tasks)."""

from django_tasks import task


@task()
def remind_operation_reports_task() -> int:
    """Remind member units of special operations whose report is overdue (once per period)."""
    from fengqiao.campaigns.operations import remind_missing

    return remind_missing()
