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
