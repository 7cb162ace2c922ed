"""Shared body of `import_regions` and `import_grids`."""

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.territory.imports import ImportReport


class ImportCommand(BaseCommand):
    importer: Callable[..., ImportReport]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row, import nothing."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        report = type(self).importer(data, actor=None, dry_run=dry_run, filename=file.name)
        if report.issues:
            self.stdout.write(f"{'row':>6}  {'code':<16} {'field':<16} reason")
            for issue in report.issues:
                self.stdout.write(
                    f"{issue.row:>6}  {issue.code[:16]:<16} {issue.field[:16]:<16} {issue.message}"
                )
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
