from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "fengqiao.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django_tasks.signals import task_finished, task_started

        from fengqiao.ops import leases

        # A worker takes a lease on every task it starts and renews it while the task runs.
        task_started.connect(leases.on_task_started, dispatch_uid="ops.lease.start")
        task_finished.connect(leases.on_task_finished, dispatch_uid="ops.lease.finish")
