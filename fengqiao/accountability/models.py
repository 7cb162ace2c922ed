"""The leading group (平安建设领导小组) per year, its member units and their liaisons; the yearly
responsibility letter (目标管理责任书) of each member unit with its tasks; progress reports with
evidence; the assessment scheme (考核) as data and its frozen results.

State changes never happen here: they go through `fengqiao.accountability.actions`, each checked
against the tables of `fengqiao.accountability.workflow`.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry
from fengqiao.org.models import Unit
from fengqiao.territory.models import Region

USER = settings.AUTH_USER_MODEL


class LeadingGroup(models.Model):
    """The leading group of a district for one year."""

    region = models.ForeignKey(
        Region, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(pgettext_lazy("responsibility system", "year"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("leading group")
        verbose_name_plural = _("leading groups")
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="leading_group_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class Post(models.TextChoices):
    HEAD = "head", _("head")
    DEPUTY_HEAD = "deputy_head", _("deputy head")
    OFFICE = "office", _("office")


class GroupMember(models.Model):
    """A head, deputy head or office member of the group (an account)."""

    group = models.ForeignKey(
        LeadingGroup, verbose_name=_("leading group"), on_delete=models.CASCADE,
        related_name="members",
    )  # fmt: skip
    user = models.ForeignKey(USER, verbose_name=_("account"), on_delete=models.PROTECT)
    post = models.CharField(_("post"), max_length=12, choices=Post.choices)
    title = models.CharField(
        _("position held"), max_length=100, blank=True, help_text=_("e.g. 区委书记")
    )
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("leading group member")
        verbose_name_plural = _("leading group members")
        ordering = ["group", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "post"], name="group_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_post_display()} {self.user}"


class MemberUnit(models.Model):
    """A member unit of the group in that year, with its liaisons."""

    group = models.ForeignKey(
        LeadingGroup, verbose_name=_("leading group"), on_delete=models.CASCADE,
        related_name="member_units",
    )  # fmt: skip
    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT)
    liaisons: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        USER, verbose_name=_("liaisons"), blank=True, related_name="liaison_of_member_units"
    )
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("member unit")
        verbose_name_plural = _("member units")
        ordering = ["group", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "unit"], name="member_unit_once")]

    def __str__(self) -> str:
        return self.unit.name


class LetterState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SIGNED = "signed", _("signed by both sides")


class Letter(models.Model):
    """The yearly responsibility letter of one member unit."""

    member_unit = models.OneToOneField(
        MemberUnit, verbose_name=_("member unit"), on_delete=models.PROTECT, related_name="letter"
    )
    number = models.CharField(_("letter number"), max_length=40, blank=True)
    preamble = models.TextField(_("preamble"), blank=True)
    terms = models.TextField(_("assessment and rewards"), blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=LetterState.choices, default=LetterState.DRAFT
    )
    group_signatory = models.CharField(_("signed for the group by"), max_length=50, blank=True)
    group_signed_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    group_signed_at = models.DateTimeField(_("group signed"), null=True, blank=True)
    unit_signatory = models.CharField(_("signed for the unit by"), max_length=50, blank=True)
    unit_signed_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    unit_signed_at = models.DateTimeField(_("unit signed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("responsibility letter")
        verbose_name_plural = _("responsibility letters")
        ordering = ["member_unit__group", "member_unit__sort", "id"]

    def __str__(self) -> str:
        return f"{self.member_unit.group.year} {self.member_unit}"

    @property
    def group(self) -> LeadingGroup:
        return self.member_unit.group


class TargetKind(models.TextChoices):
    NUMBER = "number", _("a number")
    YES_NO = "yes_no", _("yes or no")


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("state", "open")
    SUBMITTED = "submitted", _("report under review")
    IN_PROGRESS = "in_progress", pgettext_lazy("state", "in progress")
    RETURNED = "returned", _("returned")
    DONE = "done", pgettext_lazy("state", "completed")


class LetterTask(models.Model):
    """One task of a letter: what, the measures, the target, the deadline and its weight."""

    letter = models.ForeignKey(
        Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="tasks"
    )
    seq = models.PositiveSmallIntegerField(_("no."))
    title = models.CharField(_("task"), max_length=200)
    measures = models.TextField(pgettext_lazy("responsibility system", "measures"), blank=True)
    target_kind = models.CharField(_("target kind"), max_length=8, choices=TargetKind.choices)
    target_number = models.DecimalField(
        _("target value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField(_("unit of the target"), max_length=20, blank=True)
    deadline = models.DateField(_("deadline"))
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN
    )
    achieved_number = models.DecimalField(
        _("achieved"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("letter task")
        verbose_name_plural = _("letter tasks")
        ordering = ["letter", "seq", "id"]
        constraints = [models.UniqueConstraint(fields=["letter", "seq"], name="task_seq_once")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.title}"

    @property
    def target_text(self) -> str:
        if self.target_kind == TargetKind.YES_NO:
            return str(_("done (yes/no)"))
        value = self.target_number.normalize() if self.target_number is not None else ""
        return f"{value:f}{self.target_unit}" if value != "" else ""

    def clean(self) -> None:
        if self.target_kind == TargetKind.NUMBER and self.target_number is None:
            raise ValidationError({"target_number": _("A numeric target needs its value.")})


class TaskEvent(TimelineEntry):
    """One entry of a task's (or its letter's) timeline. Append-only."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(
        LetterTask, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = _("letter event")
        verbose_name_plural = _("letter events")
        ordering = ["letter", "at", "id"]
        # One hash chain per letter (fengqiao.core.chain): a position is taken once.
        constraints = [
            models.UniqueConstraint(fields=["letter", "chain_seq"], name="task_event_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.action}"


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted by the office")
    RETURNED = "returned", _("returned")


class ProgressReport(models.Model):
    """What a member unit reports on a task, reviewed by the office."""

    task = models.ForeignKey(
        LetterTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reports"
    )
    text = models.TextField(_("progress"))
    achieved_number = models.DecimalField(
        _("achieved so far"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    complete = models.BooleanField(_("the task is complete"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.SUBMITTED
    )
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note / reason for return"), blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["task", "submitted_at", "id"]

    def __str__(self) -> str:
        return f"{self.task} {self.submitted_at:%Y-%m-%d}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"accountability/{filename}"


class Evidence(models.Model):
    """A file attached to a progress report (image or PDF, type from the content)."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("responsibility system", "evidence")
        verbose_name_plural = pgettext_lazy("responsibility system", "evidence")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.original_name


# -- assessment --------------------------------------------------------------------------


class SubjectKind(models.TextChoices):
    UNIT = "unit", _("member units")
    STREET = "street", _("streets and towns")


class Scheme(models.Model):
    """An assessment scheme of a group for a period: its indicators and adjustment rules."""

    group = models.ForeignKey(
        LeadingGroup, verbose_name=_("leading group"), on_delete=models.PROTECT,
        related_name="schemes",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    subject_kind = models.CharField(_("who is assessed"), max_length=8, choices=SubjectKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-period_start", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError(
                {
                    "period_end": pgettext_lazy(
                        "responsibility system", "The period ends before it starts."
                    )
                }
            )


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", _("computed from the platform's figures")
    REVIEWED = "reviewed", _("scored by reviewers")


class SchemeIndicator(models.Model):
    """One indicator: computed by a named provider (scored linearly between `zero_at` and
    `full_at`) or scored by reviewers (0 to `weight` points)."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    provider = models.CharField(
        _("computed by"), max_length=40, blank=True,
        help_text=_("name of a registered provider (fengqiao.accountability.providers)"),
    )  # fmt: skip
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    # Linear score: full points at `full_at`, none at `zero_at` (full_at < zero_at: lower is better).
    full_at = models.DecimalField(
        _("full points at"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    zero_at = models.DecimalField(
        _("no points at"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    criteria = models.TextField(_("scoring criteria"), blank=True)
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("assessment indicator")
        verbose_name_plural = _("assessment indicators")
        ordering = ["scheme", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_indicator_once")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .providers import PROVIDERS

        if self.kind == IndicatorKind.COMPUTED:
            p = PROVIDERS.get(self.provider)
            if p is None:
                raise ValidationError({"provider": _("No provider has this name.")})
            if self.scheme_id and self.scheme.subject_kind not in p.subjects:
                raise ValidationError({"provider": _("This provider cannot score these subjects.")})
            if self.full_at is None or self.zero_at is None or self.full_at == self.zero_at:
                raise ValidationError(
                    {"full_at": _("Give two different values for full and no points.")}
                )
        if self.weight is not None and self.weight <= Decimal(0):
            raise ValidationError({"weight": _("The weight must be positive.")})


class RuleKind(models.TextChoices):
    BONUS = "bonus", _("bonus")
    DEDUCTION = "deduction", _("deduction")
    VETO = "veto", _("one-vote veto")


class AdjustmentRule(models.Model):
    """A bonus or deduction (points per occurrence, capped), or a one-vote veto item."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="rules"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. 发生重大案事件"))
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    points = models.DecimalField(
        _("points per occurrence"), max_digits=6, decimal_places=2, default=0
    )
    cap = models.DecimalField(
        _("at most (points)"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("bonus or deduction rule")
        verbose_name_plural = _("bonus and deduction rules")
        ordering = ["scheme", "kind", "id"]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """Abstract: a score or entry is about a member unit's unit or a street."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    street = models.ForeignKey(
        Region, verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        abstract = True

    @property
    def subject_name(self) -> str:
        if self.unit is not None:
            return self.unit.name
        return self.street.name if self.street is not None else ""


class Occurrence(Subject):
    """One bonus, deduction or veto event recorded for a subject (e.g. a major incident)."""

    rule = models.ForeignKey(
        AdjustmentRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="occurrences"
    )
    happened_on = models.DateField(_("date"))
    reason = models.TextField(_("what happened"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("bonus or deduction")
        verbose_name_plural = _("bonuses and deductions")
        ordering = ["rule", "happened_on", "id"]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_name}"


class ReviewScore(Subject):
    """A reviewer's score of a reviewed indicator for one subject (the latest one counts)."""

    indicator = models.ForeignKey(
        SchemeIndicator, verbose_name=_("indicator"), on_delete=models.PROTECT,
        related_name="review_scores",
    )  # fmt: skip
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("scored"), auto_now_add=True)

    class Meta:
        verbose_name = _("reviewer score")
        verbose_name_plural = _("reviewer scores")
        ordering = ["indicator", "at", "id"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.subject_name} {self.score}"


class Run(models.Model):
    """One computation of a scheme's results: version n. A frozen run never changes;
    computing again makes the next version."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="runs"
    )
    version = models.PositiveIntegerField(_("version"))
    computed_at = models.DateTimeField(_("computed"), auto_now_add=True)
    computed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["scheme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "version"], name="run_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A frozen result never changes: computing again makes a new version.
        if self.pk and Run.objects.filter(pk=self.pk, frozen_at__isnull=False).exists():
            raise ValueError("a frozen assessment result cannot change")
        super().save(*args, **kwargs)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class Score(Subject):
    """A subject's total in one run, its rank and the breakdown of every part (JSON copy, so a
    frozen result keeps what it was computed from)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="scores")
    total = models.DecimalField(_("total"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    vetoed = models.BooleanField(_("one-vote veto"), default=False)
    breakdown = models.JSONField(_("breakdown"), default=list)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["run", "rank", "id"]

    def __str__(self) -> str:
        return f"{self.run} {self.subject_name} {self.total}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Run.objects.filter(pk=self.run_id, frozen_at__isnull=False).exists():
            raise ValueError("a frozen assessment result cannot change")
        super().save(*args, **kwargs)
