"""Aggregates for the monitoring room.

`CaseFact` holds what each case contributes to the indicators: one row per (case, measure,
event), with the day the event counts on and the case's dimensions copied in. It is derived
data, rebuilt per case by `fengqiao.analytics.facts.refresh_case_facts`, so it can always be
recomputed exactly from the cases. Indicators read its sums (`Rollup`) where a rollup answers
exactly, and otherwise sum the facts over their indexes; they never scan the cases table.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
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
            # Places below the rollups (street, community, custom periods): a path prefix.
            models.Index(
                fields=["measure", "region_path", "day"],
                opclasses=["", "varchar_pattern_ops", ""],
                name="fact_measure_path_day",
            ),
            models.Index(fields=["grid_id", "day"], name="fact_grid_day"),
            models.Index(fields=["handling_unit_id", "day"], name="fact_unit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.measure} {self.day} {self.value}"


@dataclass(frozen=True)
class RollupSpec:
    """One rollup of the facts: per `grain` ("m": month, "d": day), per place cut at `depth`
    components of the region path, and per `dim` ("", "category" or "channel")."""

    grain: str
    depth: int
    dim: str = ""


# What the rollups hold. Measured at 1M synthetic cases (12,500 communities, 100,000 grids):
# keys finer than a district per day, or with category and channel together, barely compress
# (about one row per fact), so those questions go to the facts over their indexes instead.
ROLLUPS: tuple[RollupSpec, ...] = (
    RollupSpec("m", 2),  # city (province: sums of cities)
    RollupSpec("m", 3),  # district
    RollupSpec("m", 4),  # street / town
    RollupSpec("m", 2, "category"),
    RollupSpec("m", 2, "channel"),
    RollupSpec("m", 3, "category"),
    RollupSpec("m", 3, "channel"),
    RollupSpec("d", 2),  # custom periods at city or province scope
)


def path_depth(path: str) -> int:
    """How many regions a path names ("/1/2/3/" → 3)."""
    return max(0, path.count("/") - 1)


def cut_path(path: str, depth: int) -> str:
    """The first `depth` regions of a path (the path itself when it is not deeper). A path
    prefix naming at most `depth` regions selects a fact exactly when it selects its cut."""
    if path_depth(path) <= depth:
        return path
    return "/".join(path.split("/")[: depth + 1]) + "/"


ROLLUP_KEY = ("grain", "start", "depth", "area_path", "dim", "dim_id", "kind", "measure")


class Rollup(models.Model):
    """The facts summed per ROLLUPS spec: `n` counts fact rows, `total` sums their values.

    Kept exactly in step with CaseFact: whenever the facts of a case are replaced, the
    difference old → new is added in the same transaction (facts.apply_counter_deltas), and
    `facts.rebuild_counters` recomputes them. `start` is the day (grain "d") or the first day of
    the month (grain "m"); `area_path` the fact's region path cut at `depth`; `dim_id` the
    category or channel id for that dim, else 0.
    """

    grain = models.CharField(max_length=1)
    start = models.DateField()
    depth = models.PositiveSmallIntegerField()
    area_path = models.CharField(max_length=255, blank=True, default="")
    dim = models.CharField(max_length=8, blank=True, default="")
    dim_id = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=16)
    measure = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(ROLLUP_KEY), name="rollup_key")]
        indexes = [
            # Every query names grain, depth, dim and measures, then a path prefix and a range
            # of starts (and sometimes a kind).
            models.Index(
                fields=["grain", "depth", "dim", "measure", "area_path", "start", "kind"],
                opclasses=["", "", "", "", "varchar_pattern_ops", "", ""],
                name="rollup_lookup",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain}{self.start} {self.area_path} {self.measure} {self.total}"


class FactCursor(models.Model):
    """How far the incremental refresh has read the case history (one row per name)."""

    name = models.CharField(max_length=40, unique=True)
    last_history_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_history_id}"


class ExportJob(models.Model):
    """A ledger export running in the background, with its progress and file.

    The file belongs to the user who asked for it (only they can download it) and is deleted
    after EXPORT_EXPIRY_HOURS (the job stays, marked expired, so an old link says so)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

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
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ledger} {self.state}"

    def expired(self, now=None) -> bool:
        """Whether the file is gone or past its time (a cleanup task deletes such files)."""
        if self.state == self.State.EXPIRED:
            return True
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class Rounding(models.TextChoices):
    HALF_UP = "half_up", _("round half up (ROUND_HALF_UP)")
    TRUNCATE = "truncate", _("truncate (ROUND_DOWN)")


class IndicatorDisplay(models.Model):
    """How one indicator of the registry (fengqiao.analytics.indicators) is shown: decimals and
    rounding, edited by an administrator so that a figure comes out as the district publishes
    it (3872 / 3940 is 98.27 % rounded half up to 2 decimals, 98.2 % truncated to 1). Without a
    row an indicator keeps its style's default (rates 2 decimals, days 1, half up)."""

    indicator = models.CharField(
        _("indicator code"), max_length=40, unique=True, help_text=_("e.g. resolution_rate")
    )
    decimals = models.PositiveSmallIntegerField(
        _("decimals"), default=2, validators=[MaxValueValidator(4)]
    )
    rounding = models.CharField(
        _("rounding"), max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    note = models.CharField(_("why (where it is published so)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("indicator display precision")
        verbose_name_plural = _("indicator display precision")
        ordering = ["indicator"]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.decimals} {self.rounding}"

    def clean(self) -> None:
        from fengqiao.analytics.indicators import INDICATORS

        if self.indicator not in INDICATORS:
            raise ValidationError({"indicator": _("No indicator has this code.")})
