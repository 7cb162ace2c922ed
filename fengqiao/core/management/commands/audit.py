"""`fengqiao audit verify` and `fengqiao audit purge`: the hash chains of the records."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.core import chain


class Command(BaseCommand):
    help = (
        "verify: walk every hash chain (case history, mediation events, audit trail, read log) "
        "and name the first row edited, deleted or inserted out of order in each broken chain; "
        "exit status 1 on any break. purge: delete audit and read-log days older than "
        "AUDIT_RETENTION_DAYS, closing each chain with a purge anchor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("verify", help="check every chain")
        purge = sub.add_parser("purge", help="delete log days older than the retention period")
        purge.add_argument("--dry-run", action="store_true", help="count only")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "purge":
            done = chain.purge(dry_run=options["dry_run"])
            for kind, count in done.items():
                self.stdout.write(
                    f"{kind}: {count} row(s) {'to purge' if options['dry_run'] else 'purged'}"
                )
            return
        report = chain.verify(progress=lambda label: self.stderr.write(f"checking {label}"))
        for b in report.breaks:
            self.stdout.write(f"BROKEN {b}")
        self.stdout.write(
            f"{report.chains} chain(s), {report.rows} row(s), {len(report.breaks)} break(s)"
        )
        if not report.ok:
            sys.exit(1)
