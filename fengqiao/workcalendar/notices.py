"""Loading the State Council's holiday notice of a year, and what is still provisional.

A notice file is UTF-8 CSV with a header row and one row per day the notice names::

    date,kind,name
    2027-01-01,off,元旦
    2027-02-05,off,春节
    2027-02-20,work,春节调休上班

`date` is ISO (YYYY-MM-DD), every date in the same year; `kind` is `off` (a holiday or a bridging
day off) or `work` (a make-up workday, 调休上班); `name` is what the day is called. Days the
notice does not name are Monday–Friday workdays. Loading a year again replaces its days. The
same days can be entered in the admin (holiday notices, with their days inline).

Loading a notice makes the year's calendar final and recomputes, in the background, the
deadlines that were computed while the year was provisional (fengqiao.cases.recompute,
fengqiao.mediation.recompute).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.core.models import AuditEntry
from fengqiao.workcalendar.calendar import WorkCalendar, is_provisional_year
from fengqiao.workcalendar.models import CalendarOverride, HolidayNotice
from fengqiao.workcalendar.statutory import statutory_holidays

KINDS = {"off": False, "work": True}
HEADER = ["date", "kind", "name"]
# From this many days before a year starts, its deadlines are already being computed: warn.
LOOKAHEAD_DAYS = 60
# A notice's entry records its days ("days": [[date, is workday], ...] before and after).
AUDIT_KEYS = {"days": gettext_lazy("days off and make-up workdays")}


@dataclass(frozen=True)
class NoticeDay:
    date: date
    is_workday: bool
    name: str


def parse_notice(text: str) -> tuple[list[NoticeDay], list[str]]:
    """Read a notice file; returns its days and the errors (line number and reason) found."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    errors: list[str] = []
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        return [], [_("Line 1: the header must be “date,kind,name”.")]
    days: list[NoticeDay] = []
    seen: set[date] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            errors.append(_("Line %(n)d: expected 3 columns.") % {"n": number})
            continue
        raw_date, raw_kind, name = (cell.strip() for cell in row)
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(_("Line %(n)d: date: not a date (YYYY-MM-DD).") % {"n": number})
            continue
        if raw_kind.lower() not in KINDS:
            errors.append(_("Line %(n)d: kind: must be “off” or “work”.") % {"n": number})
            continue
        if not name or len(name) > 100:
            errors.append(_("Line %(n)d: name: required, at most 100 characters.") % {"n": number})
            continue
        if day in seen:
            errors.append(_("Line %(n)d: date: named twice.") % {"n": number})
            continue
        seen.add(day)
        days.append(NoticeDay(day, KINDS[raw_kind.lower()], name))
    if not errors and not days:
        errors.append(_("The file names no day."))
    return days, errors


def notice_errors(year: int, days: list[NoticeDay]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not 1900 <= year <= 2099:
        errors.setdefault("year", []).append(_("The year must lie between 1900 and 2099."))
    elsewhere = sorted({d.date.year for d in days} - {year})
    if elsewhere:
        errors.setdefault("days", []).append(
            _("Every day must lie in %(year)d; found days of %(others)s.")
            % {"year": year, "others": ", ".join(map(str, elsewhere))}
        )
    if not any(not d.is_workday for d in days):
        errors.setdefault("days", []).append(_("A notice names at least one day off."))
    return errors


def load_notice(actor: Any, year: int, days: list[NoticeDay], title: str = "") -> HolidayNotice:
    """Store the notice of `year` with its days (replacing any loaded before and any hand-made
    override on those dates), audited, and queue the recompute of the deadlines computed while
    the year was provisional. All or nothing."""
    errors = notice_errors(year, days)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        notice = HolidayNotice.objects.select_for_update().filter(year=year).first()
        before = audit.snapshot(notice) if notice else {}
        old_days = sorted(
            (d.isoformat(), w)
            for d, w in CalendarOverride.objects.filter(
                date__in=[d.date for d in days]
            ).values_list("date", "is_workday")
        )
        if notice is None:
            notice = HolidayNotice(year=year)
        notice.title = title or notice.title or _("Holiday notice of %(year)d") % {"year": year}
        notice.loaded_by = actor if getattr(actor, "is_authenticated", False) else None
        notice.save()
        notice_days_replaced(notice, days)
        # Saved again once its days exist: the reference-data snapshots taken after this drop
        # (the days' bulk insert sends no signal).
        notice.save(update_fields=["loaded_at"])
        after = audit.snapshot(notice)
        changes = audit.diff(before, after)
        changes["days"] = [old_days, sorted((d.date.isoformat(), d.is_workday) for d in days)]
        action = AuditEntry.Action.UPDATE if before else AuditEntry.Action.IMPORT
        audit.record(actor, action, notice, changes)
        queue_recompute(year)
    return notice


def notice_days_replaced(notice: HolidayNotice, days: list[NoticeDay]) -> None:
    """Make `days` the notice's days: its earlier days and hand-made overrides of the same dates
    go (the notice is the authority for its dates)."""
    CalendarOverride.objects.filter(notice=notice).delete()
    CalendarOverride.objects.filter(date__in=[d.date for d in days]).delete()
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d.date, is_workday=d.is_workday, name=d.name, notice=notice)
        for d in days
    )


def notice_changed(notice: HolidayNotice) -> None:
    """Queue the recompute after the admin saved a notice and its days."""
    queue_recompute(notice.year)


# The background tasks that recount what was counted in working days over a year (the cases'
# deadlines, the mediations' time limits): registered by those apps in their AppConfig.ready,
# since they stand above the calendar.
_RECOMPUTE_TASKS: list[Any] = []


def register_recompute(year_task: Any) -> None:
    """Register a task taking the year whose calendar became final."""
    if year_task not in _RECOMPUTE_TASKS:
        _RECOMPUTE_TASKS.append(year_task)


def recompute_tasks() -> tuple[Any, ...]:
    return tuple(_RECOMPUTE_TASKS)


def queue_recompute(year: int) -> None:
    """Queue, on commit, the recount of what was counted over `year` in working days while its
    holidays were provisional (every registered recompute task)."""
    for year_task in _RECOMPUTE_TASKS:
        enqueue_with_transaction(year_task, year)


@dataclass(frozen=True)
class MissingNotice:
    """A year whose deadlines are being computed on derived (provisional) holidays."""

    year: int
    holidays: dict[date, str]


def missing_notices(today: date, cal: WorkCalendar | None = None) -> list[MissingNotice]:
    """This year and, from LOOKAHEAD_DAYS before it starts, the next, when their notice is
    neither loaded nor in chinese-calendar's data."""
    if cal is None:
        notice_years: set[int] = set(
            HolidayNotice.objects.filter(days__isnull=False).values_list("year", flat=True)
        )
    else:
        notice_years = set(cal.notice_years)
    years = sorted({today.year, (today + timedelta(days=LOOKAHEAD_DAYS)).year})
    return [
        MissingNotice(y, statutory_holidays(y))
        for y in years
        if is_provisional_year(y, notice_years)
    ]
