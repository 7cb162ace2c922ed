"""`fengqiao load_holiday_notice YEAR FILE.csv`: load the State Council's notice of a year."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fengqiao.workcalendar.notices import load_notice, notice_errors, parse_notice


class Command(BaseCommand):
    help = (
        "Load a year's holiday notice from a CSV file (date,kind,name; kind is off or work): "
        "all rows or none. Deadlines computed on the year's provisional holidays are recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("file")
        parser.add_argument("--title", default="", help="the notice's title")
        parser.add_argument("--dry-run", action="store_true", help="check the file, load nothing")

    def handle(self, *args, year, file, title, dry_run, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        days, errors = parse_notice(text)
        if not errors:
            errors = [m for msgs in notice_errors(year, days).values() for m in msgs]
        if errors:
            raise CommandError("\n".join(errors))
        off = sum(not d.is_workday for d in days)
        summary = f"{year}: {off} days off, {len(days) - off} make-up workdays"
        if dry_run:
            self.stdout.write(f"{summary} (dry run, nothing loaded)")
            return
        try:
            load_notice(None, year, days, title)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{summary} loaded"))
