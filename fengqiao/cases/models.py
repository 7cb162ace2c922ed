"""Cases from every channel to closure: the taxonomy, the case and everything hanging off it.

State changes never happen here: they go through `fengqiao.cases.actions`, which checks the
transition table in `fengqiao.cases.workflow`. Reference data (categories, channels, routing
rules, deadline policies) is edited by administrators; the data migrations preload defaults.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry
from fengqiao.core.tree import PathTree
from fengqiao.org.models import Unit
from fengqiao.territory.models import Grid, Region


class CaseKind(models.TextChoices):
    DISPUTE = "dispute", _("dispute")
    INCIDENT = "incident", _("incident")
    HELP_REQUEST = "help_request", _("help request")
    HAZARD = "hazard", _("hazard")
    COMPLAINT = "complaint", _("complaint")
    CONSULTATION = "consultation", _("consultation")
    SUGGESTION = "suggestion", _("suggestion")


class CaseState(models.TextChoices):
    REGISTERED = "registered", _("registered")
    ACCEPTED = "accepted", _("accepted")
    DISPATCHED = "dispatched", _("dispatched")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_PROGRESS = "in_progress", _("in progress")
    SUSPENDED = "suspended", _("suspended")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    RETURNED = "returned", _("returned")
    ESCALATED = "escalated", _("escalated")
    DIVERTED = "diverted", _("diverted")
    CANCELLED = "cancelled", _("cancelled")
    REOPENED = "reopened", _("reopened")


# The states of an open case (fengqiao.cases.workflow.OPEN, which a test keeps equal): the
# monitoring room's partial indexes below hold only such cases.
OPEN_STATES = sorted(
    {"registered", "accepted", "dispatched", "acknowledged", "in_progress", "suspended"}
    | {"returned", "escalated", "reopened"}
)


class RiskLevel(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


RISK_RANK: dict[str, int] = {
    RiskLevel.LOW: 0,
    RiskLevel.MEDIUM: 1,
    RiskLevel.HIGH: 2,
    RiskLevel.CRITICAL: 3,
}


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class HandlingLevel(models.TextChoices):
    COMMUNITY = "community", _("community / village")
    STREET = "street", _("street / town")
    DISTRICT = "district", _("district")


class LocationFlag(models.TextChoices):
    NONE = "", _("located")
    OUTSIDE_GRIDS = "outside_grids", _("outside every grid")
    NO_LOCATION = "no_location", _("no location given")


class SupervisionLevel(models.TextChoices):
    NONE = "none", _("none")
    YELLOW = "yellow", _("yellow card")
    RED = "red", _("red card")


class LimitUnit(models.TextChoices):
    DAYS = "days", _("working days")
    HOURS = "hours", _("working hours")
    # Emergency and urgent limits: round the clock, nights and days off included.
    CLOCK_HOURS = "clock", _("calendar hours (round the clock)")


class OtherRoute(models.TextChoices):
    """Where a dispute that people's mediation does not take goes instead."""

    LITIGATION = "litigation", _("litigation")
    ARBITRATION = "arbitration", _("arbitration")
    ADMINISTRATIVE = "administrative", _("administrative handling")


class Category(PathTree, models.Model):
    """One node of the administrator-edited case taxonomy (dispute types and the like).

    `path` is the chain of ids from the root ("/3/17/"), so "this category and everything
    below it" is one prefix filter.
    """

    class Family(models.TextChoices):
        JUSTICE = "justice", _("justice-ministry types")
        GOVERNANCE = "governance", _("governance-ledger types")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    kind = models.CharField(_("case kind"), max_length=16, choices=CaseKind.choices, blank=True)
    public = models.BooleanField(_("open to residents"), default=True)
    # People's mediation takes civil disputes (民间纠纷) only; a dispute of another category is
    # refused and the parties are shown `other_route` instead.
    civil_dispute = models.BooleanField(_("civil dispute (people's mediation)"), default=True)
    other_route = models.CharField(
        _("route when not a civil dispute"),
        max_length=16,
        choices=OtherRoute.choices,
        blank=True,
    )
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort order"), default=0)
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["family", "sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """This category's id and its ancestors' ids, root first."""
        return [int(p) for p in self.path.strip("/").split("/") if p]


class Channel(models.Model):
    """Where a case came from (群众上报, 12345热线, 110警情移交 …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    public = models.BooleanField(_("open to the public"), default=False)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class TrackingCounter(models.Model):
    """The last tracking number used per district and year; locked while allocating."""

    district_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "year"], name="tracking_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.district_code}-{self.year}: {self.last}"


class Case(models.Model):
    """Anything reported that needs handling, from intake to closure.

    Deadlines and the supervision level live on the row so lists and sweeps are single indexed
    queries. `version` rises with every change made through a service (optimistic concurrency).
    """

    tracking_number = models.CharField(_("tracking number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Denormalised from the grid (or the handling unit) for scope filters and statistics.
    community = models.ForeignKey(
        Region,
        verbose_name=_("community / village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        Region,
        verbose_name=_("street / town"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    district = models.ForeignKey(
        Region,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_path = models.CharField(max_length=255, db_index=True, blank=True)
    location_flag = models.CharField(
        _("location"), max_length=16, choices=LocationFlag.choices, blank=True, default=""
    )
    channel = models.ForeignKey(Channel, verbose_name=_("channel"), on_delete=models.PROTECT)
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    reporter_email = models.EmailField(_("reporter email"), blank=True)
    people_involved = models.PositiveIntegerField(_("people involved"), default=1)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.REGISTERED
    )
    # The state to go back to when a suspension ends.
    resume_state = models.CharField(max_length=16, choices=CaseState.choices, blank=True)
    handling_level = models.CharField(
        _("handling level"), max_length=10, choices=HandlingLevel.choices, blank=True
    )
    handling_unit = models.ForeignKey(
        Unit,
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    needs_triage = models.BooleanField(_("in the triage queue"), default=False)
    routing_rule = models.ForeignKey(
        "RoutingRule",
        verbose_name=_("routing rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("case", "created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(pgettext_lazy("case", "created"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When the handling clock started: intake, or the latest reopening.
    clock_start = models.DateTimeField(_("clock started"), null=True, blank=True)
    # Limits copied from the matching DeadlinePolicy at intake, so a later policy edit does not
    # move the deadlines of running cases; deadlines are recomputed from them after a pause.
    limit_unit = models.CharField(
        _("limit unit"), max_length=8, choices=LimitUnit.choices, default=LimitUnit.DAYS
    )
    acknowledge_limit = models.PositiveIntegerField(_("acknowledge limit"), default=0)
    handle_limit = models.PositiveIntegerField(_("handle limit"), default=0)
    verify_limit = models.PositiveIntegerField(_("verify limit"), default=0)
    extension_days = models.PositiveIntegerField(_("extension (working days)"), default=0)
    acknowledge_due = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    handle_due = models.DateTimeField(_("handle by"), null=True, blank=True, db_index=True)
    verify_due = models.DateTimeField(_("verify by"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    # Finished pauses of the clock: [[start ISO, end ISO], ...].
    pauses = models.JSONField(_("pauses"), default=list, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    supervision_level = models.CharField(
        _("supervision"),
        max_length=8,
        choices=SupervisionLevel.choices,
        default=SupervisionLevel.NONE,
    )
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_success = models.BooleanField(_("resolved successfully"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    current_history = models.ForeignKey(
        "CaseHistory", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "handling_unit"], name="case_state_unit"),
            models.Index(fields=["district", "created_at"], name="case_district_created"),
            models.Index(fields=["is_overdue", "state"], name="case_overdue_state"),
            models.Index(fields=["category", "created_at"], name="case_category_created"),
            models.Index(fields=["grid", "created_at"], name="case_grid_created"),
            models.Index(fields=["created_at", "id"], name="case_created_id"),
            # The repeat-reporter and repeat-address warning rules on every intake: the newest
            # few cases of one phone (address) within N days, read from the index's end.
            models.Index(fields=["reporter_phone", "created_at"], name="case_phone_created"),
            models.Index(fields=["address", "created_at"], name="case_address_created"),
            # A community's cases newest first (scopes compare a community's path by equality).
            models.Index(fields=["region_path", "created_at", "id"], name="case_path_created"),
            # The overdue list newest first (and searches within it): the few overdue cases
            # in date order, instead of walking every case's date to find them. The region
            # path rides along so that a street's overdue cases (a path prefix) are read from
            # the index alone; only overdue cases are in it, so an intake never writes to it.
            models.Index(
                fields=["-created_at", "-id", "region_path"],
                name="case_overdue_path",
                condition=models.Q(is_overdue=True),
            ),
            # The monitoring room's short lists of open cases (overdue and red-card by due
            # date, high-risk newest first) at any scope: a wide scope walks these small
            # indexes in list order and tests the path in the index; a narrow one reads its
            # few open cases by path. Only open cases are in them (a new case: case_open_path,
            # and case_open_risk when high-risk).
            models.Index(
                fields=["handle_due", "id", "region_path"],
                name="case_open_overdue",
                condition=models.Q(is_overdue=True, state__in=OPEN_STATES),
            ),
            models.Index(
                fields=["handle_due", "id", "region_path"],
                name="case_open_red",
                condition=models.Q(supervision_level="red", state__in=OPEN_STATES),
            ),
            models.Index(
                fields=["-created_at", "-id", "region_path"],
                name="case_open_risk",
                condition=models.Q(risk_level__in=["critical", "high"], state__in=OPEN_STATES),
            ),
            models.Index(
                fields=["region_path", "handle_due"],
                name="case_open_path",
                condition=models.Q(state__in=OPEN_STATES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.title}"

    @property
    def lead_task(self) -> "Task | None":
        return self.tasks.filter(role=Task.Role.LEAD).exclude(state=Task.State.RETURNED).first()


class Party(models.Model):
    """A person or organisation in a case (申请人 / 被申请人 / other)."""

    class PartyType(models.TextChoices):
        PERSON = "person", _("person")
        ORGANISATION = "organisation", _("organisation")

    class PartyRole(models.TextChoices):
        APPLICANT = "applicant", _("applicant")
        RESPONDENT = "respondent", _("respondent")
        OTHER = "other", _("other party")

    class IdType(models.TextChoices):
        NONE = "", _("none")
        CITIZEN_ID = "citizen_id", _("citizen ID card")
        PASSPORT = "passport", _("passport")
        CREDIT_CODE = "credit_code", _("unified social credit code")
        OTHER = "other", _("other document")

    class Sex(models.TextChoices):
        UNKNOWN = "", _("unknown")
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties"
    )
    party_type = models.CharField(
        _("party type"), max_length=16, choices=PartyType.choices, default=PartyType.PERSON
    )
    role = models.CharField(
        _("role"), max_length=16, choices=PartyRole.choices, default=PartyRole.APPLICANT
    )
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(
        _("ID type"), max_length=16, choices=IdType.choices, blank=True, default=""
    )
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True, default="")
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    education = models.CharField(_("education"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_vulnerable = models.BooleanField(_("vulnerable person"), default=False)
    # Health, family situation and the like: sensitive personal information (PIPL art. 28).
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return self.name


class CaseHistory(TimelineEntry):
    """One entry of a case's timeline. Append-only: rows are never updated or deleted."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="history"
    )
    public = models.BooleanField(_("shown to the reporter"), default=False)
    # Written for the resident and chosen explicitly: the only text of an entry that the public
    # surfaces show (tracking page, Open311 status_notes, notifications, webhooks). `note` (the
    # reason or note a staff member types with a transition) stays internal.
    public_reply = models.TextField(_("public reply"), blank=True)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")
        ordering = ["case", "at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_history_case_at")]
        # One chain per case (fengqiao.core.chain): a position is taken once.
        constraints = [
            models.UniqueConstraint(fields=["case", "chain_seq"], name="case_history_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"


class Task(models.Model):
    """The work of one unit on a case: the lead unit's task or a co-handling unit's task."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead unit")
        CO = "co", _("co-handling unit")

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("dispatched")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        WAIVED = "waived", _("waived")
        RETURNED = "returned", _("returned")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="tasks"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="case_tasks"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DISPATCHED
    )
    # False once the task belongs to an earlier round (the case was returned, escalated or
    # reopened since): only active tasks count when the case is resolved.
    active = models.BooleanField(_("current"), default=True)
    instructions = models.TextField(_("instructions"), blank=True)
    due = models.DateTimeField(_("due"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dispatched_at = models.DateTimeField(_("dispatched"))
    # A station hands its task to one of its grid workers, who then works it from the phone.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_case_tasks",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    waive_reason = models.TextField(_("reason (waived or returned)"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["case", "role", "id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="case_task_unit_state"),
            models.Index(fields=["assignee", "active"], name="case_task_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.unit} ({self.role})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.WAIVED)


class Note(models.Model):
    """A progress or investigation note on a case, optionally about one task."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes"
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"))
    public = models.BooleanField(_("shown to the reporter"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """An image or PDF on a case; the type is detected from the content, never from the name."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    public = models.BooleanField(_("shown to the reporter"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["case", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RoutingRule(models.Model):
    """Where new cases go: the first active rule (by order) that matches wins.

    Empty conditions match anything; a category matches its descendants, a region its subtree.
    Without a target unit the rule resolves to the governance center (or, at community level,
    the service station) of the case's region at the target level.
    """

    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), null=True, blank=True, on_delete=models.CASCADE
    )
    min_risk = models.CharField(
        _("at least risk"), max_length=8, choices=RiskLevel.choices, blank=True
    )
    target_level = models.CharField(
        _("handling level"), max_length=10, choices=HandlingLevel.choices
    )
    target_unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name or f"#{self.order}"


class DeadlinePolicy(models.Model):
    """Time limits to acknowledge, handle and verify; the most specific matching row wins."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("case kind"), max_length=16, choices=CaseKind.choices, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    level = models.CharField(
        _("handling level"), max_length=10, choices=HandlingLevel.choices, blank=True
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    acknowledge_limit = models.PositiveIntegerField(_("acknowledge within"))
    handle_limit = models.PositiveIntegerField(_("handle within"))
    verify_limit = models.PositiveIntegerField(_("verify within"))
    unit = models.CharField(
        _("unit"),
        max_length=8,
        choices=LimitUnit.choices,
        help_text=_(
            "Which unit the three limits are in: working days, working hours (the working "
            "periods of workdays) or calendar hours (round the clock, for emergency and urgent "
            "limits)."
        ),
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["kind", "priority", "id"]

    def __str__(self) -> str:
        return self.name or f"{self.kind or '*'}/{self.priority or '*'}"


class SupervisionCard(models.Model):
    """A yellow or red card raised on an overdue (or otherwise chased) case."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="supervision_cards"
    )
    level = models.CharField(
        pgettext_lazy("case", "level"),
        max_length=8,
        choices=[
            (SupervisionLevel.YELLOW, _("yellow card")),
            (SupervisionLevel.RED, _("red card")),
        ],
    )
    raised_at = models.DateTimeField(_("raised"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("to unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision card")
        verbose_name_plural = _("supervision cards")
        ordering = ["case", "raised_at", "id"]
        constraints = [
            # The sweep may run twice at once: one card per level per case.
            models.UniqueConstraint(
                fields=["case", "level"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_card_per_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"


class InboxItem(models.Model):
    """Something a person or a unit must look at: a new dispatch, a deadline, a card …"""

    class Kind(models.TextChoices):
        DISPATCHED = "dispatched", _("new dispatch")
        DEADLINE_NEAR = "deadline_near", _("deadline near")
        OVERDUE = "overdue", _("overdue")
        REOPENED = "reopened", _("reopened")
        SUPERVISION = "supervision", _("supervision card")
        RETURNED = "returned", _("returned")
        TRIAGE = "triage", _("waiting for triage")
        MERGED = "merged", _("merged")
        EXTENSION = "extension", _("extension requested")
        UNSATISFIED = "unsatisfied", _("reporter unsatisfied")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbox_items",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbox_items",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="inbox_items"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "read_at"], name="inbox_unit_unread"),
            models.Index(fields=["user", "read_at"], name="inbox_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class FollowUpVisit(models.Model):
    """Contact after closure (phone, in person) or the reporter's own rating online."""

    class Method(models.TextChoices):
        PHONE = "phone", _("phone")
        IN_PERSON = "in_person", _("in person")
        ONLINE = "online", _("online rating by the reporter")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="visits"
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    visited_at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices)
    note = models.TextField(_("note"), blank=True)
    reopened = models.BooleanField(pgettext_lazy("timeline", "case reopened"), default=False)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["case", "visited_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.satisfaction}"


class Diversion(models.Model):
    """A tracked hand-off to a court, letters and visits, the police or arbitration."""

    class Target(models.TextChoices):
        COURT = "court", _("court")
        PETITIONS = "petitions", _("letters and visits")
        POLICE = "police", _("police")
        ARBITRATION = "arbitration", _("arbitration")

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        RECEIVED = "received", _("received")
        CONCLUDED = "concluded", _("concluded")
        REFUSED = "refused", _("refused")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="diversions"
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    reference = models.CharField(_("their reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SENT
    )
    result = models.TextField(_("result"), blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("diversion")
        verbose_name_plural = _("diversions")
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        # Shown in the hand-off update form: where it went, their reference and where it stands.
        reference = f" {self.reference}" if self.reference else ""
        return f"→ {self.get_target_display()}{reference} · {self.get_status_display()}"


class Extension(models.Model):
    """A request for more time, made before the deadline and decided by a supervisor."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("extension", "pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="extensions"
    )
    days = models.PositiveIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["case", "requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.days}"
