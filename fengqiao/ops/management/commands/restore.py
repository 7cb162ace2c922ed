from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.ops import backup


class Command(BaseCommand):
    help = "Replace the database and the stored files with those of a backup archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="a fengqiao-backup-*.tar.gz made by `fengqiao backup`")
        parser.add_argument(
            "--yes", action="store_true", help="do it: the current data is replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("restore replaces the database and stored files: add --yes")
        try:
            manifest = backup.restore(Path(options["archive"]))
        except (backup.BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {backup.describe(manifest)}")
