"""Years without a loaded holiday notice (provisional, derived from the law), loading the notice
(file and admin), the warnings, the recompute of deadlines, and limits in calendar hours."""

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.cases import recompute
from fengqiao.cases.actions import registration
from fengqiao.cases.models import Case, CaseHistory, DeadlinePolicy
from fengqiao.core.models import AuditEntry
from fengqiao.workcalendar import notices
from fengqiao.workcalendar.calendar import WorkCalendar, parse_periods
from fengqiao.workcalendar.checks import holiday_notice_check
from fengqiao.workcalendar.models import CalendarOverride, HolidayNotice
from fengqiao.workcalendar.statutory import statutory_holidays
from tests.case_factories import make_case_world, report, use_immediate_tasks

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = parse_periods("08:30-12:00,13:30-17:30")

# The 2027 arrangement as a notice file (days off and make-up workdays around the festivals).
NOTICE_2027 = """date,kind,name
2027-01-01,off,元旦
2027-01-02,off,元旦
2027-01-03,off,元旦
2027-02-05,off,春节
2027-02-06,off,春节
2027-02-07,off,春节
2027-02-08,off,春节
2027-02-09,off,春节
2027-02-10,off,春节
2027-02-11,off,春节
2027-02-12,off,春节
2027-02-20,work,春节调休上班
2027-04-05,off,清明节
2027-05-01,off,劳动节
2027-05-02,off,劳动节
2027-05-03,off,劳动节
2027-05-04,off,劳动节
2027-05-05,off,劳动节
2027-04-25,work,劳动节调休上班
2027-06-09,off,端午节
2027-09-15,off,中秋节
2027-10-01,off,国庆节
2027-10-02,off,国庆节
2027-10-03,off,国庆节
2027-10-04,off,国庆节
2027-10-05,off,国庆节
2027-10-06,off,国庆节
2027-10-07,off,国庆节
2027-09-26,work,国庆节调休上班
2027-10-09,work,国庆节调休上班
"""


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def eod(y, m, d):
    return datetime.combine(date(y, m, d), time.max, tzinfo=TZ)


# -- provisional years ---------------------------------------------------------------------------


def test_statutory_holidays_of_2027_are_derived_from_fixed_and_lunar_dates():
    days = statutory_holidays(2027)
    assert len(days) == 13
    assert days[date(2027, 1, 1)] == "元旦"
    # 春节: New Year's Eve (5 Feb) to the third day of the first lunar month.
    assert [d for d, n in days.items() if n == "春节"] == [date(2027, 2, d) for d in (5, 6, 7, 8)]
    assert days[date(2027, 4, 5)] == "清明节"  # the Qingming solar term
    assert days[date(2027, 6, 9)] == "端午节"  # 5th day of the 5th lunar month
    assert days[date(2027, 9, 15)] == "中秋节"  # 15th day of the 8th lunar month
    assert {date(2027, 5, 1), date(2027, 5, 2), date(2027, 10, 3)} <= days.keys()


def test_derivation_agrees_with_the_published_notices_of_2025_and_2026():
    cal = WorkCalendar({}, periods=PERIODS, tz=TZ)  # chinese-calendar's data for those years
    for year in (2025, 2026):
        for day in statutory_holidays(year):
            assert not cal.is_workday(day), day


def test_new_year_2027_is_a_provisional_day_off_not_a_workday():
    cal = WorkCalendar({}, periods=PERIODS, tz=TZ)
    assert not cal.is_workday(date(2027, 1, 1))  # Friday: counted as a workday before
    assert cal.is_provisional(date(2027, 1, 1))
    assert not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_workday(date(2027, 1, 4))
    # Across the Spring Festival: Thursday 4 Feb, then Tuesday 9 Feb.
    assert cal.next_workday(date(2027, 2, 4)) == date(2027, 2, 9)
    assert cal.add_working_days(at(2026, 12, 31, 10), 1) == eod(2027, 1, 4)
    assert cal.provisional_years(date(2026, 12, 1), date(2027, 2, 1)) == [2027]


def test_a_loaded_notice_replaces_the_derivation():
    cal = WorkCalendar(
        {date(2027, 2, 9): False, date(2027, 2, 20): True}, periods=PERIODS, tz=TZ,
        notice_years={2027},
    )  # fmt: skip
    assert not cal.is_provisional(date(2027, 3, 1))
    assert not cal.is_workday(date(2027, 2, 9))
    assert cal.is_workday(date(2027, 2, 20))  # Saturday make-up workday
    # Days the notice does not name are Monday–Friday: the derived 中秋 is not assumed.
    assert cal.is_workday(date(2027, 9, 15))


# -- limits in calendar hours --------------------------------------------------------------------


def test_calendar_hours_run_round_the_clock_and_stop_only_for_pauses():
    cal = WorkCalendar({}, periods=PERIODS, tz=TZ)
    # Tuesday 22:00 before National Day 2025: 4 calendar hours is 02:00 on a holiday.
    assert cal.deadline(at(2025, 9, 30, 22), 4, "clock") == at(2025, 10, 1, 2)
    assert cal.deadline(at(2025, 9, 30, 22), 4, "hours") == at(2025, 10, 9, 14)
    pauses = [(at(2025, 9, 30, 23), at(2025, 10, 1, 1))]
    assert cal.deadline(at(2025, 9, 30, 22), 4, "clock", pauses) == at(2025, 10, 1, 4)
    assert cal.remaining_working_time(at(2025, 10, 1, 0), at(2025, 10, 1, 2), "clock") == (
        timedelta(hours=2)
    )


@pytest.mark.django_db
def test_every_policy_names_its_unit_and_urgent_hour_limits_are_calendar_hours():
    emergency = DeadlinePolicy.objects.get(priority="emergency")
    assert emergency.unit == "clock"
    assert DeadlinePolicy.objects.get(priority="urgent").unit == "days"
    assert DeadlinePolicy._meta.get_field("unit").help_text
    assert {"days", "hours", "clock"} == {
        v for v, _l in DeadlinePolicy._meta.get_field("unit").choices
    }


# -- loading a notice, warnings, recompute -------------------------------------------------------


@pytest.fixture
def cw(world, settings):
    use_immediate_tasks(settings)
    return make_case_world(world)


def test_file_format_errors_name_the_line_and_field(tmp_path, db):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2027-13-01,off,x\n2027-01-02,holiday,y\n2028-01-01,off,z\n")
    with pytest.raises(CommandError) as err:
        call_command("load_holiday_notice", "2027", str(bad))
    assert "第2行：日期" in str(err.value) and "第3行：类型" in str(err.value)
    other_year = tmp_path / "other.csv"
    other_year.write_text("date,kind,name\n2028-01-01,off,元旦\n")
    with pytest.raises(CommandError, match="2028"):
        call_command("load_holiday_notice", "2027", str(other_year))
    assert not HolidayNotice.objects.exists() and not CalendarOverride.objects.exists()


def _provisional_case(monkeypatch, when: datetime) -> Case:
    monkeypatch.setattr(registration, "now", lambda: when)
    return report(None).case  # a dispute: 22 working days


def test_loading_the_notice_recomputes_deadlines_with_history(
    cw, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    case = _provisional_case(monkeypatch, at(2027, 1, 11, 10))
    stale = case.handle_due
    # Counted on the derived calendar: only 5 and 8 February (春节) are weekdays off.
    derived = WorkCalendar({}, tz=TZ)
    assert stale == derived.add_working_days(case.created_at, 22)
    assert (
        stale.date()
        != WorkCalendar({}, tz=TZ, notice_years={2027}).add_working_days(case.created_at, 22).date()
    )

    notice_file = tmp_path / "2027.csv"
    notice_file.write_text(NOTICE_2027, encoding="utf-8")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "load_holiday_notice", "2027", str(notice_file), "--title", "2027年通知", stdout=out
        )
    assert "loaded" in out.getvalue()

    notice = HolidayNotice.objects.get(year=2027)
    assert notice.days.count() == len(NOTICE_2027.strip().splitlines()) - 1
    assert AuditEntry.objects.filter(object_type="workcalendar.holidaynotice").exists()
    final = WorkCalendar.load()
    assert not final.is_provisional(date(2027, 1, 1))
    assert not final.is_workday(date(2027, 1, 2)) and final.is_workday(date(2027, 2, 20))
    case.refresh_from_db()
    assert case.handle_due == final.add_working_days(case.created_at, 22)
    assert case.handle_due != stale
    entry = CaseHistory.objects.get(case=case, action=recompute.ACTION)
    assert entry.data["year"] == 2027
    assert entry.data["changes"]["handle_due"] == [
        stale.astimezone(TZ).isoformat(),
        case.handle_due.astimezone(TZ).isoformat(),
    ]
    assert not entry.public
    assert case.current_history_id == entry.pk
    # Idempotent: running it again changes nothing and writes no second entry.
    assert recompute.recompute_deadlines(2027) == 0
    assert CaseHistory.objects.filter(case=case, action=recompute.ACTION).count() == 1


def test_cases_outside_the_year_are_left_alone(cw, monkeypatch, django_capture_on_commit_callbacks):
    case = _provisional_case(monkeypatch, at(2025, 3, 3, 10))
    before = case.handle_due
    with django_capture_on_commit_callbacks(execute=True):
        notices.load_notice(None, 2027, notices.parse_notice(NOTICE_2027)[0])
    case.refresh_from_db()
    assert case.handle_due == before
    assert not CaseHistory.objects.filter(case=case, action=recompute.ACTION).exists()


def test_administrator_is_warned_on_home_page_and_in_check(cw, personas, client_for, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 4))
    warnings = holiday_notice_check()
    assert [w.id for w in warnings] == ["workcalendar.W001"]
    assert "2027" in warnings[0].msg
    page = client_for(personas.admin).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "load_holiday_notice 2027" in html and "2027-02-05" in html
    assert "尚未导入2027年节假日安排通知" in html
    # Not shown to staff who cannot load it.
    assert "load_holiday_notice" not in client_for(personas.station_clerk).get("/").content.decode()

    notices.load_notice(None, 2027, notices.parse_notice(NOTICE_2027)[0])
    assert holiday_notice_check() == []
    assert "load_holiday_notice" not in client_for(personas.admin).get("/").content.decode()


def test_admin_loads_a_notice_with_its_days_and_recomputes(
    cw, personas, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    case = _provisional_case(monkeypatch, at(2027, 1, 11, 10))
    stale = case.handle_due
    url = "/admin/workcalendar/holidaynotice/add/"
    rows = [r.split(",") for r in NOTICE_2027.strip().splitlines()[1:]]
    data = {
        "year": "2027",
        "title": "国务院办公厅关于2027年部分节假日安排的通知",
        "note": "",
        "days-TOTAL_FORMS": str(len(rows)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for i, (day, kind, name) in enumerate(rows):
        data[f"days-{i}-date"] = day
        data[f"days-{i}-name"] = name
        if kind == "work":
            data[f"days-{i}-is_workday"] = "on"
    refused = client_for(personas.station_clerk).post(url, data)
    assert refused.status_code in (302, 403)
    assert not HolidayNotice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(personas.admin).post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = HolidayNotice.objects.get(year=2027)
    assert notice.loaded_by == personas.admin
    assert notice.days.count() == len(rows)
    case.refresh_from_db()
    assert case.handle_due != stale
    assert case.handle_due == WorkCalendar.load().add_working_days(case.created_at, 22)
    assert CaseHistory.objects.filter(case=case, action=recompute.ACTION).exists()
