"""Working days and hours: real 2024–2026 statutory facts, overrides, pauses, properties."""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fengqiao.core.models import AuditEntry
from fengqiao.workcalendar import calendar as wc
from fengqiao.workcalendar.calendar import WorkCalendar, parse_periods
from fengqiao.workcalendar.models import CalendarOverride

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time.max, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    """The statutory calendar with no overrides, default working periods."""
    return WorkCalendar({}, periods=parse_periods("08:30-12:00,13:30-17:30"), tz=TZ)


# -- statutory facts ---------------------------------------------------------------------------


def test_national_day_2025_and_its_make_up_workdays(cal):
    for day in range(1, 9):
        assert not cal.is_workday(date(2025, 10, day)), f"2025-10-0{day} is a holiday"
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, make-up workday
    assert cal.is_workday(date(2025, 10, 11))  # Saturday, make-up workday
    assert not cal.is_workday(date(2025, 9, 27))  # an ordinary Saturday
    assert cal.is_workday(date(2025, 10, 9))
    assert cal.next_workday(date(2025, 9, 30)) == date(2025, 10, 9)
    assert cal.next_workday(date(2025, 9, 26)) == date(2025, 9, 28)


def test_days_across_national_day_2025(cal):
    # Dispatched on the last workday before the holiday: the 1st working day is 9 October.
    assert cal.add_working_days(at(2025, 9, 30, 10), 1) == eod(2025, 10, 9)
    # 9 Oct (Thu), 10 Oct (Fri), 11 Oct (Saturday make-up), 13 Oct (Mon).
    assert cal.add_working_days(at(2025, 9, 30, 10), 4) == eod(2025, 10, 13)
    # From Friday 26 September, the Sunday make-up day is the first working day.
    assert cal.add_working_days(at(2025, 9, 26, 15), 1) == eod(2025, 9, 28)
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert cal.working_days_between(date(2025, 10, 9), date(2025, 9, 30)) == -1
    assert cal.working_days_between(date(2025, 10, 1), date(2025, 10, 1)) == 0


def test_spring_festival_2026(cal):
    assert cal.is_workday(date(2026, 2, 14))  # Saturday make-up workday
    assert all(not cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_workday(date(2026, 2, 28))  # Saturday make-up workday
    assert cal.add_working_days(at(2026, 2, 13, 9), 1) == eod(2026, 2, 14)
    assert cal.add_working_days(at(2026, 2, 13, 9), 2) == eod(2026, 2, 24)
    # Filed during the holiday: counting starts with the day after, the first workday is the 24th.
    assert cal.add_working_days(at(2026, 2, 17, 9), 1) == eod(2026, 2, 24)


def test_spring_festival_2024_make_up_sundays(cal):
    assert cal.is_workday(date(2024, 2, 4))
    assert cal.is_workday(date(2024, 2, 18))
    assert not cal.is_workday(date(2024, 2, 10))
    assert cal.add_working_days(at(2024, 2, 3, 9), 1) == eod(2024, 2, 4)
    # 9 Feb (Fri, New Year's Eve) is worked in 2024; the next workday is the make-up Sunday.
    assert cal.is_workday(date(2024, 2, 9))
    assert cal.add_working_days(at(2024, 2, 9, 16), 1) == eod(2024, 2, 18)


def test_same_day_limit(cal):
    assert cal.add_working_days(at(2025, 9, 30, 10), 0) == eod(2025, 9, 30)
    assert cal.add_working_days(at(2025, 10, 3, 10), 0) == eod(2025, 10, 9)
    assert cal.add_working_days(at(2025, 9, 27, 10), 0) == eod(2025, 9, 28)


def test_result_is_in_local_time_whatever_the_input_zone(cal):
    utc_start = datetime(2025, 9, 30, 2, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Shanghai
    due = cal.add_working_days(utc_start, 1)
    assert due == eod(2025, 10, 9)
    assert due.tzinfo == TZ
    # 20:00 UTC on 30 Sept is already 1 October (a holiday) in Shanghai.
    late = datetime(2025, 9, 30, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert cal.add_working_days(late, 0) == eod(2025, 10, 9)


# -- working hours -----------------------------------------------------------------------------


def test_working_hours_skip_lunch_evening_and_holidays(cal):
    assert cal.add_working_hours(at(2025, 9, 29, 10), 3) == at(2025, 9, 29, 14, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 16), 4) == at(2025, 9, 30, 11)
    assert cal.add_working_hours(at(2025, 9, 30, 16, 30), 2) == at(2025, 10, 9, 9, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 7), 1) == at(2025, 9, 29, 9, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 12, 30), 0.5) == at(2025, 9, 29, 14)
    # Exactly used up at the end of a period: the period's end, not the next morning.
    assert cal.add_working_hours(at(2025, 9, 29, 13, 30), 4) == at(2025, 9, 29, 17, 30)
    assert cal.add_working_hours(at(2025, 10, 4, 9), 1) == at(2025, 10, 9, 9, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 10), 0) == at(2025, 9, 29, 10)


def test_working_periods_come_from_settings(settings):
    settings.WORKING_PERIODS = "09:00-17:00"
    cal = WorkCalendar({}, tz=TZ)
    assert cal.add_working_hours(at(2025, 9, 29, 16), 2) == at(2025, 9, 30, 10)


@pytest.mark.parametrize(
    "raw", ["", "08:30", "8:30-25:00", "12:00-08:00", "08:00-12:00,11:00-13:00", "a-b"]
)
def test_bad_working_periods_are_rejected(raw):
    with pytest.raises(ImproperlyConfigured, match="WORKING_PERIODS"):
        parse_periods(raw)


def test_remaining_working_time(cal):
    due = cal.add_working_hours(at(2025, 9, 30, 16, 30), 2)  # 9 Oct 09:30
    assert cal.remaining_working_time(at(2025, 9, 30, 17), due) == timedelta(minutes=90)
    assert cal.remaining_working_time(at(2025, 10, 9, 10), due) == -timedelta(minutes=30)
    days_due = cal.add_working_days(at(2025, 9, 30, 10), 2)  # end of 10 Oct
    left = cal.remaining_working_time(at(2025, 10, 9, 12), days_due, "days")
    assert left.total_seconds() / 86400 == pytest.approx(1.5)


# -- pauses (suspensions) ----------------------------------------------------------------------


def test_pause_of_whole_working_days_moves_a_days_deadline(cal):
    start = at(2025, 9, 29, 10)  # Mon; 5 days: 30 Sep, 9, 10, 11 (Sat make-up), 13 Oct
    assert cal.add_working_days(start, 5) == eod(2025, 10, 13)
    # Suspended 30 Sep 00:00 – 10 Oct 00:00: covers 30 Sep and 9 Oct, two working days.
    paused = cal.deadline(start, 5, "days", [(at(2025, 9, 30), at(2025, 10, 10))])
    assert paused == eod(2025, 10, 15)


def test_partial_day_pause_moves_a_days_deadline_to_the_end_of_the_day_it_lands_on(cal):
    start = at(2025, 9, 29, 10)
    paused = cal.deadline(start, 1, "days", [(at(2025, 9, 30, 9), at(2025, 9, 30, 11))])
    assert paused == eod(2025, 10, 9)


def test_pause_on_the_start_day_does_not_count_for_days(cal):
    start = at(2025, 9, 29, 10)
    assert cal.deadline(start, 1, "days", [(at(2025, 9, 29, 11), at(2025, 9, 29, 15))]) == eod(
        2025, 9, 30
    )


def test_pause_over_a_holiday_costs_nothing(cal):
    start = at(2025, 9, 30, 10)
    pauses = [(at(2025, 10, 2), at(2025, 10, 6))]
    assert cal.deadline(start, 1, "days", pauses) == eod(2025, 10, 9)


def test_pause_in_working_hours(cal):
    start = at(2025, 9, 29, 8, 30)
    # 4 h: 3.5 h until lunch, then 14:00; with 09:00–10:00 paused: 15:00.
    assert cal.deadline(start, 4, "hours") == at(2025, 9, 29, 14)
    assert cal.deadline(start, 4, "hours", [(at(2025, 9, 29, 9), at(2025, 9, 29, 10))]) == at(
        2025, 9, 29, 15
    )
    # Overlapping and unordered pauses are merged: 09:00–11:00 in all.
    pauses = [(at(2025, 9, 29, 10), at(2025, 9, 29, 11)), (at(2025, 9, 29, 9), at(2025, 9, 29, 10))]
    assert cal.deadline(start, 4, "hours", pauses) == at(2025, 9, 29, 16)


def test_open_pause_makes_the_deadline_unknown_unless_it_began_after_expiry(cal):
    start = at(2025, 9, 29, 10)
    assert cal.deadline(start, 2, "days", [(at(2025, 9, 30, 9), None)]) is None
    assert cal.deadline(start, 1, "days", [(at(2025, 10, 9, 9), None)]) == eod(2025, 9, 30)
    assert cal.deadline(start, 1, "hours", [(at(2025, 9, 29, 10, 30), None)]) is None


def test_bad_arguments_raise_clear_errors(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(datetime(2025, 9, 29, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(at(2025, 9, 29), -1)
    with pytest.raises(ValueError, match="unit"):
        cal.deadline(at(2025, 9, 29), 1, "weeks")
    with pytest.raises(ValueError, match="whole number"):
        cal.deadline(at(2025, 9, 29), 1.5, "days")
    with pytest.raises(ValueError, match=r"pauses\[0\] ends before it starts"):
        cal.deadline(at(2025, 9, 29), 1, "days", [(at(2025, 9, 30), at(2025, 9, 29))])


# -- overrides and years without data ----------------------------------------------------------


@pytest.mark.django_db
def test_override_turns_a_weekday_into_a_holiday(django_assert_num_queries):
    CalendarOverride.objects.create(date=date(2025, 6, 10), is_workday=False, name="local day off")
    assert wc.is_workday(date(2025, 6, 9))
    assert not wc.is_workday(date(2025, 6, 10))
    assert wc.next_workday(date(2025, 6, 9)) == date(2025, 6, 11)
    assert wc.add_working_days(at(2025, 6, 9, 10), 1) == eod(2025, 6, 11)
    assert wc.working_days_between(date(2025, 6, 9), date(2025, 6, 11)) == 1
    with django_assert_num_queries(1):
        assert wc.deadline(at(2025, 6, 9, 10), 10, "hours") == at(2025, 6, 11, 14)


@pytest.mark.django_db
def test_override_beats_chinese_calendar_on_a_holiday():
    CalendarOverride.objects.create(date=date(2025, 10, 8), is_workday=True, name="duty day")
    assert wc.is_workday(date(2025, 10, 8))
    assert wc.add_working_days(at(2025, 9, 30, 10), 1) == eod(2025, 10, 8)


@pytest.mark.django_db
def test_year_beyond_the_library_derives_statutory_holidays_and_warns_once(caplog, monkeypatch):
    monkeypatch.setattr(wc, "_warned_years", set())
    CalendarOverride.objects.create(date=date(2031, 10, 1), is_workday=False, name="National Day")
    CalendarOverride.objects.create(date=date(2031, 10, 4), is_workday=True, name="make-up")
    with caplog.at_level(logging.WARNING, logger="fengqiao.workcalendar.calendar"):
        cal = WorkCalendar.load()
        assert cal.is_workday(date(2031, 9, 30))  # Tuesday
        assert not cal.is_workday(date(2031, 10, 1))  # Wednesday, overridden
        assert cal.is_workday(date(2031, 10, 4))  # Saturday, overridden
        assert not cal.is_workday(date(2031, 10, 5))  # Sunday
        # 2 and 3 October are derived statutory holidays (provisional), no longer workdays.
        assert not cal.is_workday(date(2031, 10, 2)) and cal.is_provisional(date(2031, 10, 2))
        assert wc.add_working_days(at(2031, 9, 30, 9), 1) == eod(2031, 10, 4)
        assert wc.is_workday(date(2031, 3, 3))
        assert not wc.is_workday(date(2031, 1, 1))
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) == 1


def test_admin_edits_overrides_with_an_audit_entry(personas, client_for):
    url = "/admin/workcalendar/calendaroverride/add/"
    data = {"date": "2025-06-10", "name": "台风停工", "note": "", "is_workday": ""}
    for persona in (personas.outsider, personas.station_clerk):
        refused = client_for(persona).post(url, data)
        assert refused.status_code in (302, 403)
    assert not CalendarOverride.objects.exists()

    admin = client_for(personas.admin)
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/admin/workcalendar/calendaroverride/"
    override = CalendarOverride.objects.get(date=date(2025, 6, 10))
    assert not override.is_workday
    entry = AuditEntry.objects.get(object_type="workcalendar.calendaroverride")
    assert entry.actor == personas.admin
    assert not wc.is_workday(date(2025, 6, 10))
    # A second override for the same date is refused with a field error, nothing changed.
    again = admin.post(url, {**data, "name": "dup", "is_workday": "on"})
    assert again.status_code == 200
    assert CalendarOverride.objects.count() == 1


# -- properties --------------------------------------------------------------------------------

PURE = WorkCalendar({}, periods=parse_periods("08:30-12:00,13:30-17:30"), tz=TZ)
starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 31)).map(
    lambda d: d.replace(tzinfo=TZ)
)


@hsettings(max_examples=150, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=30))
def test_add_working_days_properties(start, n):
    due = PURE.add_working_days(start, n)
    later = PURE.add_working_days(start, n + 1)
    assert due <= later
    if n > 0 or PURE.is_workday(start.date()):
        assert due < later  # only "same day" on a day off equals the next workday's end
    assert PURE.is_workday(due.date())
    assert due.timetz() == time.max.replace(tzinfo=TZ)
    if n > 0 or PURE.is_workday(start.date()):
        assert PURE.working_days_between(start.date(), due.date()) == n


@hsettings(max_examples=150, deadline=None)
@given(
    start=starts,
    n=st.integers(min_value=1, max_value=20),
    offset=st.integers(min_value=0, max_value=19),
    k=st.integers(min_value=1, max_value=10),
    through_days_off=st.booleans(),
)
def test_pause_of_k_whole_working_days_adds_k_working_days(start, n, offset, k, through_days_off):
    assume(offset < n)
    # The pause starts at the beginning of one of the counted working days.
    first = start.date()
    for _ in range(offset + 1):
        first = PURE.next_workday(first)
    last = first
    for _ in range(k - 1):
        last = PURE.next_workday(last)
    end_day = PURE.next_workday(last) if through_days_off else last + timedelta(days=1)
    pause = (PURE.start_of_day(first), PURE.start_of_day(end_day))
    assert PURE.deadline(start, n, "days", [pause]) == PURE.add_working_days(start, n + k)


@hsettings(max_examples=100, deadline=None)
@given(start=starts, hours=st.integers(min_value=1, max_value=60), k=st.integers(1, 5))
def test_pause_of_k_whole_working_days_in_hours(start, hours, k):
    base = PURE.add_working_hours(start, hours)
    first = PURE.next_workday(start.date())
    assume(PURE.start_of_day(first) < base)
    last = first
    for _ in range(k - 1):
        last = PURE.next_workday(last)
    pause = (PURE.start_of_day(first), PURE.start_of_day(last + timedelta(days=1)))
    expected = PURE.add_working_hours(start, hours + 7.5 * k)
    assert PURE.deadline(start, hours, "hours", [pause]) == expected
