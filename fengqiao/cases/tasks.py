"""Background tasks of the cases app (django-tasks)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from fengqiao.cases import notifications
from fengqiao.ops import retry, throttle


@task()
def deliver_notification(
    recipient: dict[str, Any],
    subject: str,
    body: str,
    channels: list[str] | None = None,
    attempt: int = 1,
) -> list[str]:
    """Send one notification through every channel that reaches the recipient (or the
    `channels` still owed). A channel whose provider fails is retried alone, with back-off,
    up to RETRY_MAX_ATTEMPTS; then it becomes a dead letter administrators can replay."""
    person = notifications.Recipient.from_dict(recipient)
    owed: dict[str, Any] = {"recipient": recipient, "subject": subject, "body": body}
    wanted = channels if channels is not None else notifications.reaching(person)
    # A backend that cannot defer (tests' immediate backend) sends at once.
    if "sms" in wanted and deliver_notification.get_backend().supports_defer:
        wait = throttle.hold_back(person.phone)
        if wait is not None:
            # Too many SMS to this phone just now: it goes when the window has passed.
            wanted = [name for name in wanted if name != "sms"]
            later = deliver_notification.using(run_after=timezone.now() + timedelta(seconds=wait))
            later.enqueue(**owed, channels=["sms"], attempt=attempt)
    sent, failed = notifications.send_each(person, subject, body, wanted)
    if failed:
        if attempt >= retry.max_attempts():
            for name, error in failed.items():
                retry.give_up(name, deliver_notification, attempt, error, **owed, channels=[name])
        else:
            retry.retry_later(deliver_notification, attempt, **owed, channels=sorted(failed))
    return sent


@task()
def sweep_deadlines_task() -> dict[str, Any]:
    """Mark overdue cases and raise supervision cards; run it every few minutes."""
    from fengqiao.cases.actions import sweep_deadlines

    return sweep_deadlines().as_dict()


@task()
def index_case_task(case_id: int) -> None:
    """Re-index one case's text for full-text search."""
    from fengqiao.cases.actions import index_case

    index_case(case_id)
