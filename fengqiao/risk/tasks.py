"""Background and periodic tasks of risk (django-tasks)."""

from django_tasks import task


@task()
def evaluate_case_task(case_id: int) -> int:
    """The background warning rules for one new case."""
    from fengqiao.risk.rules import evaluate_background

    return evaluate_background(case_id)


@task()
def periodic_rules_task() -> int:
    """The scheduled warning rules (surge, deadline); PERIODIC_TASKS runs it."""
    from fengqiao.risk.rules import run_periodic

    return run_periodic()


@task()
def notify_warnings_task(warning_ids: list[int], language: str = "") -> None:
    """Tell the staff of the target units of the warnings raised together, in the language of
    the request that raised them (enqueued with the raise: runs only if it committed)."""
    from django.utils import translation

    from fengqiao.risk.actions import notify_warnings

    if language:
        with translation.override(language):
            notify_warnings(warning_ids)
    else:
        notify_warnings(warning_ids)


# Kept for the task rows queued before the batch form (one task per warning).
@task()
def notify_warning_task(warning_id: int, language: str = "") -> None:
    """Tell the staff of a raised warning's target unit, in the language of the request that
    raised it (enqueued with the raise: runs only if it committed)."""
    from django.utils import translation

    from fengqiao.risk.actions import notify_warning

    if language:
        with translation.override(language):
            notify_warning(warning_id)
    else:
        notify_warning(warning_id)
