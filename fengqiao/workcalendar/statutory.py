"""The statutory holidays of a year, derived from the law when no notice gives the real days.

《全国年节及纪念日放假办法》 (as revised in 2024, in force from 2025) gives every citizen 13 days
off: 元旦 1 January; 春节 New Year's Eve to the third day of the first lunar month (4 days);
清明 the day of the Qingming solar term; 劳动节 1–2 May; 端午 the fifth day of the fifth lunar
month; 中秋 the fifteenth day of the eighth lunar month; 国庆 1–3 October.

The State Council's notice for the year then adds bridging days and make-up workdays (调休),
which no rule predicts: the days derived here are provisional until that notice is loaded.
Lunar dates come from `lunardate`; the solar term from chinese-calendar's own table.
"""

import functools
from datetime import date, timedelta

import chinese_calendar
from lunardate import LunarDate

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
TOMB_SWEEPING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"


def _lunar(year: int, month: int, day: int) -> date:
    return LunarDate(year, month, day).to_solar_date()


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    for day, name in terms:
        if name == "清明":
            return day
    raise ValueError(f"no Qingming solar term found in April {year}")


@functools.cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The 13 statutory days off of `year` (date → festival name), without bridging days."""
    days: dict[date, str] = {date(year, 1, 1): NEW_YEAR}
    first_month = _lunar(year, 1, 1)
    for offset in range(-1, 3):  # 除夕 to 初三
        days[first_month + timedelta(days=offset)] = SPRING_FESTIVAL
    days[_qingming(year)] = TOMB_SWEEPING
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = LABOUR_DAY
    days[_lunar(year, 5, 5)] = DRAGON_BOAT
    days[_lunar(year, 8, 15)] = MID_AUTUMN
    for day in (1, 2, 3):
        days[date(year, 10, day)] = NATIONAL_DAY
    return dict(sorted(days.items()))
