from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.ops import backup


class Command(BaseCommand):
    help = "Back up the database and the stored files into one archive (with a manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="folder for the archive (default: BACKUP_DIR)")
        parser.add_argument(
            "--offsite",
            action="store_true",
            help="also copy it to BACKUP_OFFSITE_DIR and/or through BACKUP_OFFSITE_COMMAND",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["output"]) if options["output"] else backup.default_dir()
        try:
            result = backup.create(folder, offsite=options["offsite"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result.archive} ({result.files} stored files)")
        for copy in result.offsite:
            self.stdout.write(f"off-site: {copy}")
