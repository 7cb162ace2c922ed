"""Aggregates for the monitoring room.

`CaseFact` holds what each case contributes to the indicators: one row per (case, measure,
event), with the day the event counts on and the case's dimensions copied in. It is derived
data, rebuilt per case by `fengqiao.analytics.facts.refresh_case_facts`, so it can always be
recomputed exactly from the cases; indicators sum it with GROUP BY over indexes and never scan
the cases table.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseFact(models.Model):
    """One contribution of one case to one measure (see facts.MEASURES)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", db_constraint=True
    )
    measure = models.CharField(max_length=24)
    day = models.DateField()
    # Dimensions, copied from the case (plain ids: no joins at query time).
    district_id = models.BigIntegerField(null=True)
    street_id = models.BigIntegerField(null=True)
    community_id = models.BigIntegerField(null=True)
    grid_id = models.BigIntegerField(null=True)
    region_path = models.CharField(max_length=255, blank=True)
    handling_unit_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField()
    category_path = models.CharField(max_length=255, blank=True)
    channel_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    value = models.BigIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["measure", "day"], name="fact_measure_day"),
            models.Index(fields=["case"], name="fact_case"),
            models.Index(
                fields=["measure", "district_id", "day"], name="fact_measure_district_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.measure} {self.day} {self.value}"


# Dimensions of the counters. Missing ids are stored as 0 and a missing path as "" (not NULL) so
# that the unique key also holds for them on both databases.
COUNTER_DIMS = (
    "district_id",
    "street_id",
    "community_id",
    "grid_id",
    "region_path",
    "handling_unit_id",
    "category_id",
    "channel_id",
    "kind",
    "measure",
)


class DailyCounter(models.Model):
    """The facts summed per day and per every dimension a filter or a scope can name.

    `n` counts fact rows and `total` sums their values (equal to `n` except for measures with a
    value, e.g. handling_minutes). Kept exactly in step with CaseFact: whenever the facts of a
    case are replaced, the difference old → new is added here in the same transaction
    (facts.apply_counter_deltas). The region path and handling unit are part of the key so a
    scope (path prefix, grids, units) filters counters exactly as it filters facts.
    """

    day = models.DateField()
    district_id = models.BigIntegerField(default=0)
    street_id = models.BigIntegerField(default=0)
    community_id = models.BigIntegerField(default=0)
    grid_id = models.BigIntegerField(default=0)
    region_path = models.CharField(max_length=255, blank=True, default="")
    handling_unit_id = models.BigIntegerField(default=0)
    category_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    measure = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", *COUNTER_DIMS], name="daily_counter_key")
        ]
        indexes = [
            models.Index(fields=["measure", "day"], name="dcount_measure_day"),
            models.Index(fields=["measure", "district_id", "day"], name="dcount_measure_district"),
            models.Index(fields=["measure", "street_id", "day"], name="dcount_measure_street"),
            models.Index(fields=["measure", "community_id", "day"], name="dcount_measure_comm"),
            models.Index(fields=["grid_id", "day"], name="dcount_grid_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.total}"


class MonthlyCounter(models.Model):
    """The same sums per month, district and kind only (no street, community, grid, unit,
    category or channel).

    At province scale a city's or the province's month is a few hundred of these rows instead
    of the tens of thousands of daily ones (the daily rows barely compress: there are about
    as many as facts). Indicators use them when the period is whole months, every place
    restriction is a district or above, and no category or channel is chosen
    (indicators._monthly_ok). `area_path` is the case's region path cut after its district, so
    a prefix filter by a district, city or province path selects exactly the rows it selects
    on the facts.
    """

    month = models.DateField()  # the first day of the month
    area_path = models.CharField(max_length=255, blank=True, default="")
    district_id = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=16)
    measure = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "area_path", "district_id", "kind", "measure"],
                name="monthly_counter_place_key",
            )
        ]
        indexes = [
            models.Index(fields=["measure", "month"], name="mcount_measure_month"),
            models.Index(fields=["district_id", "month"], name="mcount_district_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.measure} {self.total}"


class FactCursor(models.Model):
    """How far the incremental refresh has read the case history (one row per name)."""

    name = models.CharField(max_length=40, unique=True)
    last_history_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_history_id}"


class ExportJob(models.Model):
    """A ledger export running in the background, with its progress and file."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE
    )
    ledger = models.CharField(_("ledger"), max_length=24)
    params = models.JSONField(_("filters"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True, max_length=255)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ledger} {self.state}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0
