"""`fengqiao demo`: load the 七台河市桃山区 demo district and print the demo accounts."""

import os
import unicodedata

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fengqiao.demo import data
from fengqiao.demo.geometry import TilingError
from fengqiao.demo.labels import CREATED_LABELS
from fengqiao.demo.loader import DEFAULT_PASSWORD, LoadResult, load_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_credentials(result: LoadResult) -> str:
    """The demo accounts as an aligned plain-text table (Chinese characters count double)."""
    header = [_("Role"), _("Username"), _("Name"), _("Scope")]
    rows = [header] + [[c.role, c.username, c.name, c.scope] for c in result.credentials]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        _("Password of every demo account (and of grid workers gw001–gw%(last)03d): %(password)s")
        % {"last": data.TOTAL_GRID_WORKERS, "password": result.password}
    )
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Load the demo district 七台河市桃山区 (regions, grids, units, staff, mediators, routing "
        "rules and six months of cases with stories S1 and S2); safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password",
            help="Password of the demo accounts (default: $DEMO_PASSWORD or fengqiao2026).",
        )

    def handle(self, *args, **options) -> None:
        password = options.get("password") or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        try:
            validate_password(password)
        except ValidationError as e:
            raise CommandError(
                _("The demo password is not acceptable: %(reasons)s")
                % {"reasons": " ".join(e.messages)}
            ) from None
        try:
            result = load_demo(password)
        except TilingError as e:
            raise CommandError(_("The demo grids do not tile their communities: %s") % e) from e
        if result.created:
            summary = _(", ").join(
                f"{CREATED_LABELS.get(k, k)} {v}" for k, v in sorted(result.created.items())
            )
            self.stdout.write(_("Demo district loaded: %(summary)s.") % {"summary": summary})
        else:
            self.stdout.write(_("The demo district is already loaded; nothing changed."))
        cases = result.cases
        if cases is not None and cases.total:
            self.stdout.write(
                _(
                    "Demo cases: %(created)d created now, %(total)d in all. Story S1 (construction "
                    "noise, mediated): %(s1)s; story S2 (110 hand-over, joint case): %(s2)s."
                )
                % {
                    "created": cases.created.get("case", 0),
                    "total": cases.total,
                    "s1": cases.s1,
                    "s2": cases.s2,
                }
            )
        self.stdout.write("")
        self.stdout.write(format_credentials(result))
