from django_tasks import task

from fengqiao.mediation import actions


@task()
def performance_reminders_task() -> int:
    """Remind of agreed items falling due or overdue (see actions.send_performance_reminders)."""
    return actions.send_performance_reminders()


@task()
def sweep_time_limits_task() -> dict:
    """Run mediations' time limits as deadlines (see actions.sweep_time_limits)."""
    return actions.sweep_time_limits().as_dict()
