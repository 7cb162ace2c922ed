"""Periodic task of public legal services (django-tasks)."""

from django_tasks import task


@task()
def sweep_questions_task() -> int:
    """Escalate questions unanswered past their time limit to the next level up."""
    from fengqiao.legalservices.actions import sweep

    return sweep()
