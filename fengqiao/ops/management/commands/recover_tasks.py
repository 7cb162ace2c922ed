from typing import Any

from django.core.management.base import BaseCommand

from fengqiao.ops.leases import recover_expired


class Command(BaseCommand):
    help = "Put running tasks whose worker died (lease expired) back into the queue."

    def handle(self, *args: Any, **options: Any) -> None:
        report = recover_expired()
        for task_id in report.requeued:
            self.stdout.write(f"requeued {task_id}")
        for task_id in report.failed:
            self.stdout.write(f"failed {task_id}")
