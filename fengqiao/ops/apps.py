from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OpsConfig(AppConfig):
    name = "fengqiao.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django_tasks.signals import task_finished, task_started

        from fengqiao.ops import leases

        # The task queue's own app names itself in English only (a plain string).
        if apps.is_installed("django_tasks_db"):
            queue = apps.get_app_config("django_tasks_database")
            queue.verbose_name = pgettext_lazy("application", "Tasks Database Backend")

        # A worker takes a lease on every task it starts and renews it while the task runs.
        task_started.connect(leases.on_task_started, dispatch_uid="ops.lease.start")
        task_finished.connect(leases.on_task_finished, dispatch_uid="ops.lease.finish")
