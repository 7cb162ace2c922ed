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
