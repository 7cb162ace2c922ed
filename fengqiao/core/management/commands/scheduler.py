from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from fengqiao.core import periodic


class Command(BaseCommand):
    help = "Enqueue the periodic tasks of settings.PERIODIC_TASKS at their intervals (run one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for path in periodic.tick({}, 0.0):
                self.stdout.write(_("enqueued %(task)s") % {"task": path})
            return
        periodic.run_forever()
