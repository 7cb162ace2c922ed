"""Working days and working hours per Chinese statutory holidays and 调休 make-up workdays.

Usage::

    from fengqiao.workcalendar import calendar as wc

    wc.is_workday(date(2025, 10, 1))                 # False (National Day)
    due = wc.deadline(dispatched_at, 5, "days")      # end of the 5th working day after that day
    due = wc.deadline(dispatched_at, 4, "hours", pauses=[(suspended_at, resumed_at)])
    left = wc.remaining_working_time(timezone.now(), due)   # timedelta of working time, < 0 if late

Which days are workdays: a `CalendarOverride` row (edited by administrators, or a day of a loaded
`HolidayNotice`) always wins; then chinese-calendar's data; for a year that library does not know
and whose notice is not loaded, Monday–Friday less the statutory holidays derived from the law
(`statutory.py`). Such a year is *provisional*: administrators are warned (home page, `fengqiao
check`) until they load its notice (`fengqiao load_holiday_notice` or the admin), and the deadlines
computed meanwhile are then recomputed (fengqiao.cases.recompute).

Counting rules (all datetimes timezone-aware, returned in settings.TIME_ZONE; dates are local):

* ``days``: counting starts on the day after the start day, so the deadline is the END of the
  Nth working day after the start day (23:59:59.999999 local). 0 days ("same day") is the end of
  the start day if it is a workday, else the end of the next workday.
* ``hours``: only the working periods of workdays count (settings.WORKING_PERIODS,
  "08:30-12:00,13:30-17:30" by default); the result is an exact instant.
* ``clock``: calendar hours, round the clock, every day (emergency and urgent limits); only
  pauses stop the clock; the result is an exact instant.
* pauses (suspension intervals) stop the clock: the deadline moves out by the working time they
  cover (whole workdays for ``days``; a partial day still moves a ``days`` deadline to the end of
  the day it lands on). A pause still open (end None) before the clock runs out → None.
* working_days_between(a, b) counts the workdays d with a < d <= b (negative when b < a), so
  working_days_between(start.date(), add_working_days(start, n).date()) == n.

Each module-level function loads the overrides with one query. To compute many deadlines, load a
calendar once and call its methods: ``cal = WorkCalendar.load(); cal.deadline(...)``.
"""

import functools
import logging
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fengqiao.workcalendar.statutory import statutory_holidays

log = logging.getLogger(__name__)

Unit = Literal["days", "hours", "clock"]
UNITS = ("days", "hours", "clock")
Pause = tuple[datetime, datetime | None]
Period = tuple[time, time]

ONE_DAY = timedelta(days=1)
EPSILON = timedelta(microseconds=1)
# Longest run of days off we accept before concluding the calendar is broken (no endless loops).
MAX_DAYS_OFF = 400

_warned_years: set[int] = set()
_warn_lock = threading.Lock()


def parse_periods(raw: str) -> tuple[Period, ...]:
    """Parse "08:30-12:00,13:30-17:30" into ordered, non-overlapping (start, end) times."""
    periods: list[Period] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_s, end_s = part.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"WORKING_PERIODS: {part!r} is not of the form HH:MM-HH:MM"
            ) from None
        if start >= end:
            raise ImproperlyConfigured(f"WORKING_PERIODS: {part!r} ends before it starts")
        if periods and start < periods[-1][1]:
            raise ImproperlyConfigured(f"WORKING_PERIODS: {part!r} overlaps or is out of order")
        periods.append((start, end))
    if not periods:
        raise ImproperlyConfigured("WORKING_PERIODS must list at least one period")
    return tuple(periods)


@functools.cache
def library_knows(year: int) -> bool:
    """Whether chinese-calendar carries the State Council's notice for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def statutory_is_workday(d: date, notice_years: Collection[int] = ()) -> bool:
    """chinese-calendar's answer. For a year outside its data: Monday–Friday when the year's
    notice is loaded (its days are overrides); otherwise Monday–Friday less the statutory
    holidays derived from the law (provisional, with one warning per year and process)."""
    if library_knows(d.year):
        return chinese_calendar.is_workday(d)
    if d.year in notice_years:
        return d.weekday() < 5
    if d.year not in _warned_years:
        with _warn_lock:
            if d.year not in _warned_years:
                _warned_years.add(d.year)
                log.warning(
                    "no holiday notice for %s: counting its statutory holidays derived from the "
                    "law (provisional) until an administrator loads the notice",
                    d.year,
                )
    return d.weekday() < 5 and d not in statutory_holidays(d.year)


def is_provisional_year(year: int, notice_years: Collection[int] = ()) -> bool:
    """A year whose days off are derived, not known: no notice loaded, no library data."""
    return year not in notice_years and not library_knows(year)


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


class WorkCalendar:
    """Workdays and working time from a fixed set of overrides. Pure: no queries after load()."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        periods: Sequence[Period] | None = None,
        tz: str | ZoneInfo | None = None,
        notice_years: Collection[int] = (),
    ) -> None:
        self.overrides = dict(overrides or {})
        self.notice_years = frozenset(notice_years)
        self.periods = (
            tuple(periods)
            if periods is not None
            else parse_periods(getattr(settings, "WORKING_PERIODS", "08:30-12:00,13:30-17:30"))
        )
        tz = tz or settings.TIME_ZONE
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._days: dict[date, bool] = {}

    @classmethod
    def load(cls) -> "WorkCalendar":
        """A calendar with every override and loaded notice from the database (one query; a
        few rows a year). A notice counts once it names its days."""
        from fengqiao.workcalendar.models import CalendarOverride

        rows = list(CalendarOverride.objects.values_list("date", "is_workday", "notice__year"))
        return cls(
            {day: workday for day, workday, _year in rows},
            notice_years={year for _d, _w, year in rows if year is not None},
        )

    # -- days -------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        if isinstance(d, datetime):
            d = self.local(d).date()
        known = self._days.get(d)
        if known is None:
            known = (
                self.overrides[d]
                if d in self.overrides
                else statutory_is_workday(d, self.notice_years)
            )
            self._days[d] = known
        return known

    def is_provisional(self, d: date) -> bool:
        """Whether `d` being a workday or not is only derived: its year has no notice yet."""
        if isinstance(d, datetime):
            d = self.local(d).date()
        return is_provisional_year(d.year, self.notice_years)

    def provisional_years(self, first: date, last: date) -> list[int]:
        """The years from `first` to `last` (inclusive) counted without their notice."""
        return [y for y in range(first.year, last.year + 1) if self.is_provisional(date(y, 1, 1))]

    def next_workday(self, d: date) -> date:
        """The first workday strictly after `d`."""
        for _ in range(MAX_DAYS_OFF):
            d += ONE_DAY
            if self.is_workday(d):
                return d
        raise RuntimeError(f"no workday within {MAX_DAYS_OFF} days after {d}: check the calendar")

    def workday_on_or_after(self, d: date) -> date:
        return d if self.is_workday(d) else self.next_workday(d)

    def working_days_between(self, a: date, b: date) -> int:
        """The number of workdays d with a < d <= b; negative when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count, d = 0, a
        while d < b:
            d += ONE_DAY
            count += self.is_workday(d)
        return count

    def local(self, moment: datetime) -> datetime:
        return _aware(moment, "moment").astimezone(self.tz)

    def start_of_day(self, d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=self.tz)

    def end_of_day(self, d: date) -> datetime:
        """23:59:59.999999 local on `d`: the deadline of a limit counted in days."""
        return datetime.combine(d, time.max, tzinfo=self.tz)

    # -- deadlines --------------------------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        result = self.deadline(start, days, "days")
        assert result is not None  # no pauses, so always computable
        return result

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        result = self.deadline(start, hours, "hours")
        assert result is not None
        return result

    def deadline(
        self,
        start: datetime,
        amount: float,
        unit: Unit = "days",
        pauses: Iterable[Pause] = (),
    ) -> datetime | None:
        """When a limit of `amount` working days/hours from `start` runs out, or None if paused."""
        if unit not in UNITS:
            raise ValueError(f"unit must be 'days', 'hours' or 'clock', not {unit!r}")
        if amount < 0:
            raise ValueError("amount must not be negative")
        if unit == "days" and int(amount) != amount:
            raise ValueError("a limit in days must be a whole number")
        begin = _aware(start, "start")
        merged = _merge_pauses(pauses)
        if unit in ("hours", "clock"):
            result = self._advance(begin, timedelta(hours=amount), unit, merged)
            return None if result is None else result.astimezone(self.tz)
        first_day = begin.astimezone(self.tz).date()
        if amount == 0:
            # "Same day": whatever is left of the start day (or all of the next workday).
            day = self.workday_on_or_after(first_day)
            budget = self._measure(begin, self.start_of_day(day + ONE_DAY), unit)
        else:
            begin = self.start_of_day(first_day + ONE_DAY).astimezone(UTC)
            budget = timedelta(days=int(amount))
        result = self._advance(begin, budget, unit, merged)
        if result is None:
            return None
        # A limit in days ends at the end of the day on which the clock ran out.
        return self.end_of_day((result.astimezone(self.tz) - EPSILON).date())

    def remaining_working_time(
        self, now: datetime, due: datetime, unit: Unit = "hours"
    ) -> timedelta:
        """Working time from `now` until `due` (negative once overdue).

        With unit "hours" only working periods count; with "days" each workday counts 24 hours,
        so ``.total_seconds() / 86400`` is the number of working days left; with "clock" every
        hour counts.
        """
        a, b = _aware(now, "now"), _aware(due, "due")
        if a <= b:
            return self._measure(a, b, unit)
        return -self._measure(b, a, unit)

    # -- the working clock ------------------------------------------------------------------

    def _intervals(self, d: date, unit: Unit) -> list[tuple[datetime, datetime]]:
        """The working time of day `d` as UTC intervals (empty on a day off). Calendar hours
        ("clock") run round the clock, workday or not."""
        if unit != "clock" and not self.is_workday(d):
            return []
        if unit in ("days", "clock"):
            return [
                (
                    self.start_of_day(d).astimezone(UTC),
                    self.start_of_day(d + ONE_DAY).astimezone(UTC),
                )
            ]
        return [
            (
                datetime.combine(d, s, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(d, e, tzinfo=self.tz).astimezone(UTC),
            )
            for s, e in self.periods
        ]

    def _measure(self, a: datetime, b: datetime, unit: Unit) -> timedelta:
        total = timedelta(0)
        d, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while d <= last:
            for s, e in self._intervals(d, unit):
                s, e = max(s, a), min(e, b)
                if s < e:
                    total += e - s
            d += ONE_DAY
        return total

    def _advance(
        self, begin: datetime, budget: timedelta, unit: Unit, pauses: list[Pause]
    ) -> datetime | None:
        """The instant at which `budget` of unpaused working time after `begin` is used up."""
        if budget <= timedelta(0):
            return begin
        remaining = budget
        d = begin.astimezone(self.tz).date()
        days_off = 0
        while True:
            intervals = self._intervals(d, unit)
            days_off = 0 if intervals else days_off + 1
            if days_off > MAX_DAYS_OFF:
                raise RuntimeError(f"no workday within {MAX_DAYS_OFF} days: check the calendar")
            for s, e in intervals:
                s = max(s, begin)
                if s >= e:
                    continue
                try:
                    for seg_start, seg_end in _unpaused(s, e, pauses):
                        length = seg_end - seg_start
                        if remaining <= length:
                            return seg_start + remaining
                        remaining -= length
                except _OpenPause:
                    return None
            d += ONE_DAY


class _OpenPause(Exception):
    """The clock reached a pause that has not ended: no deadline yet."""


def _merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    items: list[Pause] = []
    for i, pause in enumerate(pauses):
        p_start, p_end = pause
        s = _aware(p_start, f"pauses[{i}] start")
        e = None if p_end is None else _aware(p_end, f"pauses[{i}] end")
        if e is not None and e < s:
            raise ValueError(f"pauses[{i}] ends before it starts")
        items.append((s, e))
    items.sort(key=lambda p: p[0])
    merged: list[Pause] = []
    for s, e in items:
        if merged:
            ps, pe = merged[-1]
            if pe is None:
                break  # an open pause swallows everything after it
            if s <= pe:
                merged[-1] = (ps, None if e is None else max(pe, e))
                continue
        merged.append((s, e))
    return merged


def _unpaused(a: datetime, b: datetime, pauses: list[Pause]) -> Iterator[tuple[datetime, datetime]]:
    """The parts of [a, b) outside every pause; raises _OpenPause on reaching an open pause."""
    cursor = a
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= cursor:
            continue
        if p_start >= b:
            break
        if p_start > cursor:
            yield cursor, p_start
        if p_end is None:
            raise _OpenPause
        cursor = max(cursor, p_end)
        if cursor >= b:
            return
    if cursor < b:
        yield cursor, b


# -- module-level helpers: one query each for the overrides -------------------------------------


def is_workday(d: date, cal: WorkCalendar | None = None) -> bool:
    return (cal or WorkCalendar.load()).is_workday(d)


def next_workday(d: date, cal: WorkCalendar | None = None) -> date:
    """The first workday strictly after `d`."""
    return (cal or WorkCalendar.load()).next_workday(d)


def add_working_days(start: datetime, days: int, cal: WorkCalendar | None = None) -> datetime:
    """End (23:59:59.999999 local) of the `days`-th workday after the start day; 0 = same day."""
    return (cal or WorkCalendar.load()).add_working_days(start, days)


def add_working_hours(start: datetime, hours: float, cal: WorkCalendar | None = None) -> datetime:
    """The instant `hours` of working-period time after `start`."""
    return (cal or WorkCalendar.load()).add_working_hours(start, hours)


def working_days_between(a: date, b: date, cal: WorkCalendar | None = None) -> int:
    """The number of workdays d with a < d <= b (negative when b < a)."""
    return (cal or WorkCalendar.load()).working_days_between(a, b)


def deadline(
    start: datetime,
    amount: float,
    unit: Unit = "days",
    pauses: Iterable[Pause] = (),
    cal: WorkCalendar | None = None,
) -> datetime | None:
    """When a limit runs out, pauses excluded; None while a pause is still open."""
    return (cal or WorkCalendar.load()).deadline(start, amount, unit, pauses)


def remaining_working_time(
    now: datetime, due: datetime, unit: Unit = "hours", cal: WorkCalendar | None = None
) -> timedelta:
    """Working time left until `due` (negative once overdue): for "deadline near" warnings."""
    return (cal or WorkCalendar.load()).remaining_working_time(now, due, unit)
