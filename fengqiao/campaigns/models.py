"""Screening campaigns (排查, incl. epidemic door-to-door screening) and special operations
(专项行动) with their indicators and member units' periodic reports.

A campaign's form is data (`form_fields`: [{name, label, type: text|int|bool|choice, choices,
required}]); each household or place screened is one ScreeningRecord, indexed by campaign and
grid / community path so the roll-up is a few aggregate queries. An operation's indicators are
data; a unit's report per period carries one value per indicator, is validated by the
district, and every correction is kept (ReportRevision).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry


class CampaignKind(models.TextChoices):
    DISPUTES = "disputes", _("disputes")
    HAZARDS = "hazards", _("safety hazards")
    EPIDEMIC = "epidemic", _("epidemic")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    CLOSED = "closed", pgettext_lazy("state", "closed")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CampaignKind.choices)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("organised by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    form_fields = models.JSONField(_("form"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignGrid(models.Model):
    """A grid the campaign is assigned to, with how many households or places to screen."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assigned")
    grid = models.ForeignKey("territory.Grid", on_delete=models.PROTECT, related_name="+")
    community_path = models.CharField(max_length=255)
    target = models.PositiveIntegerField(_("to screen"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="campaign_grid_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.grid_id}"


class CampaignEvent(TimelineEntry):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.action}"


class ScreeningRecord(models.Model):
    """One household or place screened in a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="records")
    grid = models.ForeignKey("territory.Grid", on_delete=models.PROTECT, related_name="+")
    community_path = models.CharField(max_length=255)
    # A household or place of the registry when it exists (the roll-up then names the
    # registry's households not screened yet), and the address as written.
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.ForeignKey(
        "registry.Place",
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("household or place"), max_length=200)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    has_finding = models.BooleanField(_("finding"), default=False)
    finding = models.CharField(_("what was found"), max_length=500, blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField(_("screened"))
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    warning = models.ForeignKey(
        "risk.Warning", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("screening record")
        verbose_name_plural = _("screening records")
        ordering = ["-screened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "grid", "address"], name="screening_once_per_household"
            ),
            models.UniqueConstraint(
                fields=["campaign", "household"],
                condition=models.Q(household__isnull=False),
                name="screening_once_per_registry_household",
            ),
            models.UniqueConstraint(
                fields=["campaign", "place"],
                condition=models.Q(place__isnull=False),
                name="screening_once_per_registry_place",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "grid"], name="screening_campaign_grid"),
            models.Index(fields=["campaign", "community_path"], name="screening_campaign_path"),
        ]

    def __str__(self) -> str:
        return self.address


class Period(models.TextChoices):
    WEEK = "week", _("week")
    MONTH = "month", _("month")


class Operation(models.Model):
    """A special operation (断卡, 扫黑除恶, 云剑 …) and how its member units report."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    period = models.CharField(_("reports per"), max_length=8, choices=Period.choices)
    due_days = models.PositiveSmallIntegerField(_("days after the period to report"), default=3)
    units = models.ManyToManyField("org.Unit", verbose_name=_("member units"), related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("special operation")
        verbose_name_plural = _("special operations")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    max_value = models.PositiveIntegerField(_("largest plausible value"), default=100_000)
    sort = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "code"], name="indicator_code_once")
        ]

    def __str__(self) -> str:
        return self.name


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    VALIDATED = "validated", _("validated")
    REJECTED = "rejected", pgettext_lazy("state", "rejected")


class OperationReport(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("period"))
    values = models.JSONField(_("figures"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=ReportState.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-period_start", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "unit", "period_start"], name="operation_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation_id}: {self.unit_id} {self.period_start}"


class ReportRevision(TimelineEntry):
    """Submission, correction (old and new figures in `data`), validation, rejection."""

    report = models.ForeignKey(OperationReport, on_delete=models.CASCADE, related_name="revisions")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.action}"


class ReportReminder(models.Model):
    """A reminder sent for a missing report (one per operation, unit and period)."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "unit", "period_start"], name="report_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation_id}: {self.unit_id} {self.period_start}"
