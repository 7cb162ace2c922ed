"""Background tasks of the webhooks (django-tasks)."""

from django_tasks import task


@task()
def collect_events() -> int:
    """Turn new case and warning history into webhook events and deliveries; run it every
    minute."""
    from fengqiao.webhooks.events import collect_events as collect
    from fengqiao.webhooks.warning_events import collect_warning_events

    return len(collect()) + len(collect_warning_events())


@task()
def deliver_webhook(delivery_id: int) -> bool:
    """Attempt one delivery now (if it is still pending and due)."""
    from fengqiao.webhooks.delivery import attempt

    return attempt(delivery_id) is not None


@task()
def deliver_due_webhooks() -> int:
    """Retry every delivery whose back-off has passed; run it every minute."""
    from fengqiao.webhooks.delivery import deliver_due

    return deliver_due()
