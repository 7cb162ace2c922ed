"""Reporting periods: month, quarter, year or a custom range of days, and their comparisons."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from fengqiao.analytics.errors import BadFilter


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | custom
    start: date
    end: date  # inclusive

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)d-%(m)02d") % {"y": self.start.year, "m": self.start.month}
        if self.kind == "quarter":
            return _("Q%(q)d %(y)d") % {"y": self.start.year, "q": (self.start.month - 1) // 3 + 1}
        if self.kind == "year":
            return _("year %(y)d") % {"y": self.start.year}
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> "Period":
        """The period of the same kind just before (a custom range: as many days before)."""
        if self.kind == "month":
            return month(shift_months(self.start, -1))
        if self.kind == "quarter":
            return quarter(shift_months(self.start, -3))
        if self.kind == "year":
            return year(self.start.year - 1)
        days = (self.end - self.start).days + 1
        return Period("custom", self.start - timedelta(days=days), self.start - timedelta(days=1))

    def last_year(self) -> "Period":
        """The same period one year earlier (29 February becomes 28 February)."""
        return Period(self.kind, _minus_year(self.start), _minus_year(self.end))

    def months(self) -> list["Period"]:
        out, d = [], date(self.start.year, self.start.month, 1)
        while d <= self.end:
            out.append(month(d))
            d = shift_months(d, 1)
        return out


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def shift_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def month(d: date) -> Period:
    last = calendar.monthrange(d.year, d.month)[1]
    return Period("month", date(d.year, d.month, 1), date(d.year, d.month, last))


def quarter(d: date) -> Period:
    first = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    end = shift_months(first, 3) - timedelta(days=1)
    return Period("quarter", first, end)


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


MAX_CUSTOM_DAYS = 366 * 20
# What parse_period reads, for the OpenAPI schema (ASCII digits only).
_YEAR = "[1-9][0-9]{3}"
_DAY = f"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
PERIOD_PATTERN = f"^({_YEAR}(-(0[1-9]|1[0-2])|-[Qq][1-4])?|{_DAY}\\.\\.{_DAY})$"


def parse_period(value: str | None, today: date) -> Period:
    """'2026-03', '2026-Q1', '2026', '2026-01-01..2026-03-31'; empty: the current month."""
    value = (value or "").strip()
    if not value:
        return month(today)
    try:
        if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", value):
            return month(date(int(m[1]), int(m[2]), 1))
        if m := re.fullmatch(r"([0-9]{4})-[Qq]([1-4])", value):
            return quarter(date(int(m[1]), 3 * int(m[2]) - 2, 1))
        if m := re.fullmatch(r"([0-9]{4})", value):
            return year(int(m[1]))
        if m := re.fullmatch(
            r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", value
        ):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if start <= end and (end - start).days <= MAX_CUSTOM_DAYS:
                return Period("custom", start, end)
    except ValueError:
        pass
    raise BadFilter(
        "period",
        _(
            "Give a month (2026-03), a quarter (2026-Q1), a year (2026) or a range of days "
            "(2026-01-01..2026-03-31)."
        ),
    )
