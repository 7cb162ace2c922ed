"""Background tasks of the cases app (django-tasks)."""

from django_tasks import task

from fengqiao.cases import notifications


@task()
def deliver_notification(recipient: dict, subject: str, body: str) -> list[str]:
    """Send one notification through every channel that reaches the recipient."""
    return notifications.send(notifications.Recipient.from_dict(recipient), subject, body)


@task()
def sweep_deadlines_task() -> dict:
    """Mark overdue cases and raise supervision cards; run it every few minutes."""
    from fengqiao.cases.actions import sweep_deadlines

    return sweep_deadlines().as_dict()


@task()
def index_case_task(case_id: int) -> None:
    """Re-index one case's text for full-text search."""
    from fengqiao.cases.actions import index_case

    index_case(case_id)
