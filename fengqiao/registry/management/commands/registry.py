"""`fengqiao registry rotate_keys [--rehash] [--dry-run]`: re-encrypt every personal field
written with an older key (REGISTRY_KEYS: the first key writes, every listed key reads) and,
with --rehash, recompute the ID-number search hashes (after REGISTRY_HASH_KEY changed)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.registry.rotation import rotate


class Command(BaseCommand):
    help = "Basic data maintenance: rotate_keys re-encrypts personal fields with the current key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate_keys"])
        parser.add_argument("--rehash", action="store_true", help="recompute ID-number hashes")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rotate(rehash=options["rehash"], dry_run=options["dry_run"])
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n}")
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(f"{verb} {sum(counts.values())} rows")
