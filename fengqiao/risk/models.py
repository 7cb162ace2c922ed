"""Risk assessments (风险评估) and early warnings (预警): rules as data, warnings with a lifecycle.

An assessment is of a case, a person, a place or a planned project (重大决策社会稳定风险评估);
its reassessments are appended to `AssessmentEntry` (never updated). A warning is raised by a
rule (WarningRule, edited by an administrator) or by an assessment at a high level, and moves
raised → acknowledged → handled → closed (`workflow.WARNING_TRANSITIONS`), each step in
`WarningEvent`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry


class Level(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    MAJOR = "major", _("major")


LEVEL_RANK: dict[str, int] = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2, Level.MAJOR: 3}
# An assessment at these levels raises a warning to its responsible unit.
WARNING_LEVELS = frozenset({Level.HIGH, Level.MAJOR})


class TargetKind(models.TextChoices):
    CASE = "case", _("case")
    PERSON = "person", pgettext_lazy("risk", "person")
    PLACE = "place", _("place")
    PROJECT = "project", _("planned project")


class AssessmentState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", pgettext_lazy("state", "closed")


class RiskFactor(models.Model):
    """A factor an assessor weighs (data: an administrator adds and retires them)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("risk factor")
        verbose_name_plural = _("risk factors")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    target_kind = models.CharField(_("assessed"), max_length=8, choices=TargetKind.choices)
    title = models.CharField(_("title"), max_length=200)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_assessments",
    )
    # A person: a party of a case (the vulnerable person of S2), or by name and ID-number hash.
    party = models.ForeignKey(
        "cases.Party",
        verbose_name=_("person (party of a case)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_name = models.CharField(_("person's name"), max_length=100, blank=True)
    person_id_hash = models.CharField(_("ID number (keyed hash)"), max_length=64, blank=True)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    project_name = models.CharField(_("planned project"), max_length=200, blank=True)
    # Where the risk lies: the scope follows it.
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=255, db_index=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    factors = models.JSONField(_("factors"), default=list, blank=True)
    level = models.CharField(pgettext_lazy("risk", "level"), max_length=8, choices=Level.choices)
    measures = models.TextField(_("measures"))
    responsible_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    review_date = models.DateField(_("review by"))
    state = models.CharField(
        _("state"), max_length=8, choices=AssessmentState.choices, default=AssessmentState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    assessed_at = models.DateTimeField(_("last assessed"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-id"]
        indexes = [
            models.Index(fields=["region_path", "state"], name="risk_assessment_path_state"),
            models.Index(fields=["state", "review_date"], name="risk_assessment_review"),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentEntry(TimelineEntry):
    """One step of an assessment's history (assessed, reassessed, closed): append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="entries")
    level = models.CharField(
        pgettext_lazy("risk", "level"), max_length=8, choices=Level.choices, blank=True
    )

    class Meta:
        verbose_name = _("assessment history entry")
        verbose_name_plural = _("assessment history")
        ordering = ["at", "id"]


class RuleKind(models.TextChoices):
    REPEAT_REPORTER = "repeat_reporter", _("repeat reporter within N days")
    REPEAT_ADDRESS = "repeat_address", _("repeat address within N days")
    GROUP_DISPUTE = "group_dispute", _("group dispute (N or more people involved)")
    KEYWORDS = "keywords", _("violent or self-harm cues in the text")
    SURGE = "surge", _("surge in a grid or category against its baseline")
    DEADLINE = "deadline", _("deadline about to be missed on a sensitive case")
    KEY_PERSON = "key_person", _("a key person is a party to the case")


# What raised a warning (Warning.kind): a rule of one of these kinds, a risk assessment, or a
# person by hand.
WARNING_KINDS = {
    **dict(RuleKind.choices),
    "assessment": _("risk assessment"),
    "manual": _("raised by hand"),
}

# When each kind runs: on intake, in the intake's transaction (cheap: no query or one indexed
# count), in the background just after intake, or on the schedule.
SYNC_KINDS = frozenset({RuleKind.REPEAT_REPORTER, RuleKind.GROUP_DISPUTE, RuleKind.KEYWORDS})
BACKGROUND_KINDS = frozenset({RuleKind.REPEAT_ADDRESS, RuleKind.KEY_PERSON})
PERIODIC_KINDS = frozenset({RuleKind.SURGE, RuleKind.DEADLINE})


class WarningRule(models.Model):
    """An early-warning rule: its kind, its parameters (data), the level it raises, where.

    params by kind: repeat_*: days, count; group_dispute: people; keywords: keywords (list);
    surge: dimension ("grid" | "category"), k, weeks (baseline), min_count; deadline: hours,
    risk_levels (list of case risk levels that make a case sensitive).
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    level = models.CharField(pgettext_lazy("risk", "level"), max_length=8, choices=Level.choices)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("applies in"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("target unit (empty: the case's handling unit)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WarningState(models.TextChoices):
    RAISED = "raised", pgettext_lazy("published", "raised")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    HANDLED = "handled", _("handled")
    CLOSED = "closed", pgettext_lazy("state", "closed")


OPEN_WARNING_STATES = [WarningState.RAISED, WarningState.ACKNOWLEDGED, WarningState.HANDLED]


class Warning(models.Model):
    """One warning: what raised it (rule or assessment), the evidence, where, for whom."""

    rule = models.ForeignKey(
        WarningRule, null=True, blank=True, on_delete=models.PROTECT, related_name="warnings"
    )
    kind = models.CharField(_("kind"), max_length=20)
    level = models.CharField(pgettext_lazy("risk", "level"), max_length=8, choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    evidence = models.JSONField(pgettext_lazy("risk", "evidence"), default=dict, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="warnings"
    )
    region_path = models.CharField(max_length=255, blank=True)
    grid = models.ForeignKey(
        "territory.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("target unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The same rule raises one open warning per subject (case, grid and week …).
    dedupe_key = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=WarningState.choices, default=WarningState.RAISED
    )
    raised_at = models.DateTimeField(pgettext_lazy("published", "raised"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(pgettext_lazy("state", "closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["state", "region_path"], name="risk_warning_state_path"),
            models.Index(fields=["target_unit", "state"], name="risk_warning_unit_state"),
            models.Index(fields=["rule", "dedupe_key"], name="risk_warning_dedupe"),
        ]

    def __str__(self) -> str:
        return self.title


class WarningEvent(TimelineEntry):
    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("warning history entry")
        verbose_name_plural = _("warning history")
        ordering = ["at", "id"]
