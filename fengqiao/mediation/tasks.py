from django_tasks import task

from fengqiao.mediation import services


@task()
def performance_reminders_task() -> int:
    """Remind of agreed items falling due or overdue (see services.send_performance_reminders)."""
    return services.send_performance_reminders()


@task()
def sweep_time_limits_task() -> dict:
    """Run mediations' time limits as deadlines (see services.sweep_time_limits)."""
    return services.sweep_time_limits().as_dict()
