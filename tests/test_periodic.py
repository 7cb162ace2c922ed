"""The scheduler enqueues each periodic task once per interval."""

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from fengqiao.core import periodic


def test_due_tasks_follow_intervals(settings):
    settings.PERIODIC_TASKS = {"a.b": 60, "c.d": 300}
    last = {}
    assert periodic.due_tasks(last, 1000.0) == ["a.b", "c.d"]
    last = {"a.b": 1000.0, "c.d": 1000.0}
    assert periodic.due_tasks(last, 1059.0) == []
    assert periodic.due_tasks(last, 1060.0) == ["a.b"]
    assert periodic.due_tasks(last, 1300.0) == ["a.b", "c.d"]


def test_tick_enqueues_real_task_and_survives_a_broken_one(db, settings):
    settings.PERIODIC_TASKS = {
        "fengqiao.cases.tasks.sweep_deadlines_task": 300,
        "fengqiao.no.such.task": 300,
    }
    last: dict[str, float] = {}
    enqueued = periodic.tick(last, 5000.0)
    assert enqueued == ["fengqiao.cases.tasks.sweep_deadlines_task"]
    assert DBTaskResult.objects.filter(task_path__endswith="sweep_deadlines_task").count() == 1
    assert periodic.tick(last, 5001.0) == []


def test_scheduler_once_command(db, settings, capsys):
    settings.PERIODIC_TASKS = {"fengqiao.cases.tasks.sweep_deadlines_task": 300}
    call_command("scheduler", "--once")
    assert "sweep_deadlines_task" in capsys.readouterr().out
