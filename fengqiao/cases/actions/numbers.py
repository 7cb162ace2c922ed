"""Tracking numbers: 230903-2026-000123, one counter per district and year.

The counter row is locked with `select_for_update` until the intake's transaction ends, so
numbers have no gaps and no duplicates on every database; intakes of one district and year take
their numbers one after the other (the rest of an intake runs concurrently up to that point,
which is why the intake takes its number last).
"""

from django.db import IntegrityError, transaction

from fengqiao.cases.models import Case, TrackingCounter
from fengqiao.core.inputs import is_ascii_digits


def allocate_tracking_number(district_code: str, year: int) -> str:
    """The next number of the district and year, e.g. 230903-2026-000123: unique and rising.
    Call inside the transaction that stores it."""
    counters = TrackingCounter.objects.select_for_update()
    counter = counters.filter(district_code=district_code, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = TrackingCounter.objects.create(
                    district_code=district_code,
                    year=year,
                    last=_highest_used(district_code, year),
                )
        except IntegrityError:
            # Another intake created it first: wait for its lock.
            counter = counters.get(district_code=district_code, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{district_code}-{year}-{counter.last:06d}"


def _highest_used(district_code: str, year: int) -> int:
    """The highest number any case of the district and year carries (cases imported, or
    numbered before this counter existed), 0 if none: the counter continues after it."""
    prefix = f"{district_code}-{year}-"
    used = 0
    for number in Case.objects.filter(tracking_number__startswith=prefix).values_list(
        "tracking_number", flat=True
    ):
        suffix = number[len(prefix) :]
        if is_ascii_digits(suffix):
            used = max(used, int(suffix))
    return used
