from django_tasks import task

from fengqiao.mediation import services


@task()
def performance_reminders_task() -> int:
    """Remind of agreed items falling due or overdue (see services.send_performance_reminders)."""
    return services.send_performance_reminders()
