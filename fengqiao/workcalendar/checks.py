"""`fengqiao check`: warn while a year's holidays are derived, not loaded from its notice."""

from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils import timezone

from fengqiao.workcalendar.notices import missing_notices


@register("workcalendar")
def holiday_notice_check(app_configs=None, **kwargs):
    try:
        missing = missing_notices(timezone.localdate())
    except DatabaseError:
        return []  # tables not created yet (before migrate): nothing to say
    return [
        Warning(
            f"The holiday notice of {m.year} is not loaded: its statutory holidays are derived "
            f"from the law ({len(m.holidays)} days, provisional) and make-up workdays are "
            "unknown.",
            hint=(
                f"Load it with `fengqiao load_holiday_notice {m.year} FILE.csv` or in the admin "
                "(holiday notices); deadlines computed meanwhile are then recomputed."
            ),
            id="workcalendar.W001",
        )
        for m in missing
    ]
