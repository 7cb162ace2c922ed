"""An indicator's display precision and rounding are data: a published figure is reproduced."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fengqiao.analytics.indicators import INDICATORS, compute
from fengqiao.analytics.models import IndicatorDisplay, Rounding

pytestmark = pytest.mark.django_db

RATE = INDICATORS["resolution_rate"]


def test_default_rounding_is_two_decimals_half_up():
    v = compute(RATE, 3872, 3940)
    assert v.value == Decimal("98.27")
    assert v.display(RATE.style) == "98.27%"
    assert "ROUND_HALF_UP" in RATE.rounding and "2" in RATE.rounding


def test_district_truncating_to_one_decimal_shows_the_published_figure():
    IndicatorDisplay.objects.create(
        indicator="resolution_rate", decimals=1, rounding=Rounding.TRUNCATE, note="区年报"
    )
    v = compute(RATE, 3872, 3940)
    assert v.value == Decimal("98.2")
    assert v.display(RATE.style) == "98.2%"
    assert "ROUND_DOWN" in RATE.rounding
    # Other indicators keep their default.
    assert compute(INDICATORS["on_time_rate"], 3872, 3940).value == Decimal("98.27")


def test_half_up_and_truncate_differ_at_a_tie():
    row = IndicatorDisplay.objects.create(indicator="resolution_rate", decimals=0)
    assert compute(RATE, 1, 8).value == Decimal("13")  # 12.5 rounded half up
    row.rounding = Rounding.TRUNCATE
    row.save()
    assert compute(RATE, 1, 8).value == Decimal("12")
    row.decimals = 3
    row.save()
    assert compute(RATE, 2, 3).value == Decimal("66.666")


def test_days_follow_their_row_and_counts_stay_exact():
    days = INDICATORS["avg_handling_days"]
    assert compute(days, 3 * 1440 + 720, 1).value == Decimal("3.5")
    IndicatorDisplay.objects.create(
        indicator="avg_handling_days", decimals=0, rounding=Rounding.TRUNCATE
    )
    assert compute(days, 3 * 1440 + 720, 1).value == Decimal("3")
    IndicatorDisplay.objects.create(indicator="screened", decimals=2)
    assert compute(INDICATORS["screened"], 3940, None).value == 3940


def test_an_unknown_code_or_too_many_decimals_is_refused():
    with pytest.raises(ValidationError):
        IndicatorDisplay(indicator="nope", decimals=1).full_clean()
    with pytest.raises(ValidationError):
        IndicatorDisplay(indicator="resolution_rate", decimals=9).full_clean()


def test_the_api_states_the_rounding_in_use(client_for, personas):
    IndicatorDisplay.objects.create(
        indicator="resolution_rate", decimals=1, rounding=Rounding.TRUNCATE
    )
    resp = client_for(personas.leader).get("/api/v1/analytics/indicators/")
    assert resp.status_code == 200
    row = next(r for r in resp.json() if r["code"] == "resolution_rate")
    assert "ROUND_DOWN" in row["rounding"]
