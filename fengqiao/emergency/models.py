"""Emergency command (应急指挥, SCENARIOS S5): an event with its structure (command, office,
groups, task forces: "1办9组8专班"), activated and stood down; emergency plans (预案) with their
response levels and drills; tasks to groups and grids with deadlines in calendar hours,
check-ins, incidents (cases) and the screening campaign linked to the event.

State changes never happen here: they go through `fengqiao.emergency.actions`, each checked
against the tables of `fengqiao.emergency.workflow`.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry
from fengqiao.territory.models import Grid, Region

USER = settings.AUTH_USER_MODEL


class Level(models.TextChoices):
    """Response levels of the national emergency-response law (I is the most serious)."""

    I = "I", _("level I (particularly serious)")  # noqa: E741
    II = "II", _("level II (serious)")
    III = "III", _("level III (major)")
    IV = "IV", _("level IV (general)")


class Plan(models.Model):
    """An emergency plan (应急预案): a document with its version, the region it covers and its
    response levels as data ([{"level", "name", "measures"}]); the text, a file, or both."""

    region = models.ForeignKey(
        Region, verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=20)
    levels = models.JSONField(_("response levels"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)
    file = models.FileField(_("file"), upload_to="emergency/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "title", "version"], name="emergency_plan_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class Drill(models.Model):
    """A drill of a plan: when, the scenario, who took part, what was found, what follows."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="drills")
    held_on = models.DateField(_("date"))
    scenario = models.TextField(_("scenario"))
    participants = models.TextField(_("participants"))
    findings = models.TextField(_("findings"), blank=True)
    follow_ups = models.JSONField(_("follow-up tasks"), default=list, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan} {self.held_on}"


class EventState(models.TextChoices):
    DRAFT = "draft", _("being set up")
    ACTIVE = "active", _("activated")
    STOOD_DOWN = "stood_down", _("stood down")


class Event(models.Model):
    """An emergency event (e.g. epidemic prevention) over a region, at a response level."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=50, help_text=_("e.g. epidemic prevention"))
    level = models.CharField(_("response level"), max_length=3, choices=Level.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    plan = models.ForeignKey(
        Plan, verbose_name=_("emergency plan"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="events",
    )  # fmt: skip
    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("screening campaign"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    cases = models.ManyToManyField(
        "cases.Case", verbose_name=_("incidents"), blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=EventState.choices, default=EventState.DRAFT
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    stood_down_at = models.DateTimeField(_("stood down"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("emergency event")
        verbose_name_plural = _("emergency events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class BodyKind(models.TextChoices):
    COMMAND = "command", _("command")
    OFFICE = "office", _("office")
    GROUP = "group", _("working group")
    TASK_FORCE = "task_force", _("task force")


class Body(models.Model):
    """One part of the event's structure (指挥部, 办公室, 工作组, 专班) with its duties, leader,
    members (staff accounts) and contacts."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bodies")
    kind = models.CharField(_("kind"), max_length=12, choices=BodyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    duties = models.TextField(_("duties"))
    leader = models.ForeignKey(
        USER, verbose_name=_("leader"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    members: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        USER, verbose_name=_("members"), blank=True, related_name="+"
    )
    contacts = models.CharField(_("contacts"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("command body")
        verbose_name_plural = _("command bodies")
        ordering = ["event", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="emergency_body_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class TaskState(models.TextChoices):
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("accepted")
    DONE = "done", _("done")


class Task(models.Model):
    """A task of the event to one group (body) or one grid, due a number of calendar hours after
    it was given (not working days: an emergency does not stop at weekends)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    body = models.ForeignKey(
        Body, verbose_name=pgettext_lazy("emergency", "group"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tasks",
    )  # fmt: skip
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    hours = models.PositiveIntegerField(_("hours to do it"))
    deadline = models.DateTimeField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=10, choices=TaskState.choices, default=TaskState.ASSIGNED
    )
    assigned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    accepted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("emergency task")
        verbose_name_plural = _("emergency tasks")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(body__isnull=False, grid__isnull=True)
                | Q(body__isnull=True, grid__isnull=False),
                name="emergency_task_one_assignee",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return self.state != TaskState.DONE and self.deadline < timezone.now()

    @property
    def assignee_name(self) -> str:
        return self.body.name if self.body_id and self.body else getattr(self.grid, "name", "")


class CheckIn(models.Model):
    """A group member or grid worker reports in (time, optionally where, a note)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="checkins")
    task = models.ForeignKey(
        Task, verbose_name=_("task"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="checkins",
    )  # fmt: skip
    user = models.ForeignKey(
        USER,
        verbose_name=pgettext_lazy("check-in", "by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    place = models.CharField(_("place"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"


class EventLog(TimelineEntry):
    """One entry of an event's history (its tasks' included). Append-only, one hash chain per
    event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="log")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="log"
    )

    class Meta:
        verbose_name = _("emergency event history")
        verbose_name_plural = _("emergency event history")
        ordering = ["event", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "chain_seq"], name="emergency_log_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action}"
