"""Serializers of the case API: output shapes, and the request body of every transition."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fengqiao.api import fields as strict
from fengqiao.cases import reference
from fengqiao.cases.intake_limits import MAX_DESCRIPTION, MAX_PEOPLE_INVOLVED
from fengqiao.cases.models import (
    Attachment,
    CaseKind,
    CaseState,
    Category,
    Channel,
    Diversion,
    FollowUpVisit,
    InboxItem,
    Note,
    Party,
    Priority,
    RiskLevel,
    Satisfaction,
    SupervisionLevel,
    Task,
)
from fengqiao.org.models import Unit


class CaseRefSerializer(serializers.Serializer):
    id = strict.IntegerField()
    name = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(allow_blank=True, help_text=_("The case kind it belongs to."))

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "family", "kind", "public"]


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "code", "name", "public"]


class CaseListItemSerializer(serializers.Serializer):
    id = strict.IntegerField()
    tracking_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    category = CategorySerializer()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_display = serializers.CharField(source="get_state_display")
    channel = serializers.CharField(source="channel.code")
    community = CaseRefSerializer(allow_null=True)
    handling_unit = CaseRefSerializer(allow_null=True)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    is_overdue = strict.BooleanField()
    supervision_level = serializers.ChoiceField(choices=SupervisionLevel.choices)
    lon = strict.FloatField(allow_null=True)
    lat = strict.FloatField(allow_null=True)
    handle_due = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    version = strict.IntegerField()


class CasePageSerializer(serializers.Serializer):
    results = CaseListItemSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text=_("Pass as `cursor` for the next page; null on the last page.")
    )


class ReporterSerializer(serializers.Serializer):
    reporter_name = serializers.CharField(allow_blank=True)
    reporter_phone = serializers.CharField(allow_blank=True)
    reporter_email = serializers.CharField(allow_blank=True)
    masked = strict.BooleanField()


class PartyOutSerializer(serializers.Serializer):
    id = strict.IntegerField()
    party_type = serializers.ChoiceField(choices=Party.PartyType.choices)
    role = serializers.ChoiceField(choices=Party.PartyRole.choices)
    name = serializers.CharField()
    id_type = serializers.CharField(allow_blank=True)
    id_number = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    sex = serializers.CharField(allow_blank=True)
    ethnicity = serializers.CharField(allow_blank=True)
    education = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    is_vulnerable = strict.BooleanField()
    notes = serializers.CharField(allow_blank=True)
    masked = strict.BooleanField()


class TaskSerializer(serializers.ModelSerializer):
    unit = CaseRefSerializer()
    assignee = strict.IntegerField(
        source="assignee_id",
        allow_null=True,
        help_text=_("The grid worker (user id) the station handed the task to, or null."),
    )
    role = serializers.CharField(help_text="lead | co")
    state = serializers.CharField(
        help_text="dispatched | acknowledged | in_progress | done | waived | returned"
    )

    class Meta:
        model = Task
        fields = [
            "id", "unit", "role", "state", "active", "instructions", "due", "dispatched_at",
            "acknowledged_at", "started_at", "completed_at", "result", "waive_reason",
            "assignee",
        ]  # fmt: skip


class HistorySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True, source="actor.get_full_name", default=None)
    action = serializers.CharField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    note = serializers.CharField(
        allow_blank=True, help_text=_("Internal: empty unless you work on the case.")
    )
    public_reply = serializers.CharField(
        allow_blank=True, help_text=_("What the reporter and the public are told.")
    )
    public = strict.BooleanField()


class CaseCoreSerializer(CaseListItemSerializer):
    description = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    grid = CaseRefSerializer(allow_null=True)
    location_flag = serializers.CharField(allow_blank=True)
    people_involved = strict.IntegerField()
    handling_level = serializers.CharField(allow_blank=True)
    needs_triage = strict.BooleanField()
    acknowledge_due = serializers.DateTimeField(allow_null=True)
    verify_due = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)


class CaseDetailSerializer(CaseCoreSerializer):
    reporter = ReporterSerializer()
    parties = PartyOutSerializer(many=True)
    tasks = TaskSerializer(many=True)
    history = HistorySerializer(many=True)
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(), help_text=_("The transitions you may make now.")
    )


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_full_name", allow_null=True, default=None)

    class Meta:
        model = Note
        fields = ["id", "task", "author", "text", "public", "created_at"]


class NoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    public = strict.BooleanField(default=False)
    task = strict.IntegerField(required=False, allow_null=True, default=None)
    expected_version = strict.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "public", "uploaded_at", "url"]

    def get_url(self, obj: Attachment) -> str:
        """Where the API gives the file (after the same scope check as this list)."""
        return reverse("api-case-attachment-file", args=[obj.case_id, obj.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A JPEG, PNG, GIF or WebP image or a PDF."))
    public = strict.BooleanField(default=False)
    expected_version = strict.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )


class InboxItemSerializer(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="case.tracking_number")
    case_title = serializers.CharField(source="case.title")
    unit = CaseRefSerializer(allow_null=True)
    kind = serializers.CharField(help_text=", ".join(InboxItem.Kind.values))

    class Meta:
        model = InboxItem
        fields = [
            "id", "case", "tracking_number", "case_title", "kind", "text", "unit", "created_at",
            "read_at",
        ]  # fmt: skip


class PartyInSerializer(serializers.Serializer):
    party_type = serializers.ChoiceField(choices=Party.PartyType.choices, required=False)
    role = serializers.ChoiceField(choices=Party.PartyRole.choices, required=False)
    name = serializers.CharField(max_length=100)
    id_type = serializers.ChoiceField(choices=Party.IdType.choices, required=False)
    id_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Party.Sex.choices, required=False)
    ethnicity = serializers.CharField(max_length=20, required=False, allow_blank=True)
    education = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_vulnerable = strict.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_field({"type": "string", "minLength": 1})
class ReferenceSlugField(serializers.SlugRelatedField):
    """A code of reference data, looked up in the process's snapshot instead of a query."""

    def __init__(self, lookup: Callable[[str], Any], **kwargs: Any) -> None:
        self.lookup = lookup
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        found = self.lookup(data)
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found


def _active_category(code: str) -> Category | None:
    found = reference.category(code)
    return found if found is not None and found.code == code and found.active else None


_BOUNDS = settings.COORDINATE_BOUNDS


class CaseCreateSerializer(serializers.Serializer):
    """Intake on someone's behalf; the service validates coordinates, phone, citizen IDs."""

    channel = ReferenceSlugField(
        reference.active_channel, queryset=Channel.objects.filter(active=True)
    )
    kind = serializers.ChoiceField(choices=CaseKind.choices, required=False)
    category = ReferenceSlugField(_active_category, queryset=Category.objects.filter(active=True))
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=MAX_DESCRIPTION)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # The bounds of settings.COORDINATE_BOUNDS (the service also refuses (0, 0)).
    lon = strict.FloatField(
        required=False, allow_null=True, min_value=_BOUNDS[0], max_value=_BOUNDS[2]
    )
    lat = strict.FloatField(
        required=False, allow_null=True, min_value=_BOUNDS[1], max_value=_BOUNDS[3]
    )
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    reporter_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    people_involved = strict.IntegerField(
        min_value=1, max_value=MAX_PEOPLE_INVOLVED, required=False
    )
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    parties = PartyInSerializer(many=True, required=False)


class CaseOnTheSpotSerializer(CaseCreateSerializer):
    """A matter the reporter settled where it arose (就地化解): the case is created resolved."""

    outcome = serializers.CharField(max_length=4000, help_text=_("What was done on the spot."))


def _version() -> serializers.IntegerField:
    return strict.IntegerField(
        min_value=1, help_text=_("The case's version when you loaded it (409 if it changed).")
    )


def _text(required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=4000)
    return serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


def _reply() -> serializers.CharField:
    return serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Public reply: written for the reporter, shown on the tracking page, in Open311 "
            "status_notes and in the reporter's notification. Reasons and notes stay internal."
        ),
    )


def _ids(queryset: QuerySet[Any]) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=queryset)


class ChildCaseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(active=True), required=False
    )


def _transition_fields() -> dict[str, dict[str, Any]]:
    units = Unit.objects.filter(active=True)
    return {
        "accept": {"note": _text(False), "public_reply": _reply()},
        "dispatch": {
            "lead_unit": _ids(units),
            "co_units": serializers.PrimaryKeyRelatedField(
                queryset=units, many=True, required=False
            ),
            "instructions": _text(False),
        },
        "start": {"note": _text(False), "public_reply": _reply()},
        "add_progress": {"text": _text(), "public": strict.BooleanField(default=False)},
        "suspend": {"reason": _text(), "public_reply": _reply()},
        "resume": {"note": _text(False), "public_reply": _reply()},
        "request_extension": {
            "days": strict.IntegerField(min_value=1, max_value=30),
            "reason": _text(),
        },
        "decide_extension": {
            "extension": strict.IntegerField(),
            "approve": strict.BooleanField(),
            "note": _text(False),
        },
        "resolve": {
            "outcome": _text(False),
            "success": strict.BooleanField(default=True),
            "note": _text(False),
            "public_reply": _reply(),
        },
        "close": {
            "outcome": serializers.CharField(
                max_length=4000,
                required=False,
                allow_blank=True,
                default="",
                help_text=_(
                    "What was done, as the resident will read it. Optional: a resolved case "
                    "keeps its resolution (a different outcome is refused; write a remark as "
                    "the closing note, or reopen). Required for a case without one (diverted)."
                ),
            ),
            "note": _text(False),
            "public_reply": _reply(),
        },
        "return_case": {"reason": _text(), "public_reply": _reply()},
        "escalate": {"reason": _text(), "public_reply": _reply()},
        "divert": {
            "target": serializers.ChoiceField(choices=Diversion.Target.choices),
            "reference": serializers.CharField(max_length=100, required=False, default=""),
            "note": _text(False),
            "public_reply": _reply(),
        },
        "update_diversion": {
            "diversion": strict.IntegerField(),
            "status": serializers.ChoiceField(choices=Diversion.Status.choices),
            "result": _text(False),
        },
        "cancel": {"reason": _text(), "public_reply": _reply()},
        "merge": {
            "into": serializers.CharField(max_length=20, help_text=_("Tracking number.")),
            "reason": _text(False),
            "public_reply": _reply(),
        },
        "split": {"children": ChildCaseSerializer(many=True)},
        "reopen": {"reason": _text(), "public_reply": _reply()},
        "record_visit": {
            "method": serializers.ChoiceField(
                choices=[FollowUpVisit.Method.PHONE, FollowUpVisit.Method.IN_PERSON]
            ),
            "satisfaction": serializers.ChoiceField(choices=Satisfaction.choices),
            "note": _text(False),
            "reopen_case": strict.BooleanField(default=False),
        },
        "raise_supervision": {
            "level": serializers.ChoiceField(
                choices=[SupervisionLevel.YELLOW, SupervisionLevel.RED]
            ),
            "reason": _text(),
        },
        "update_details": {
            "title": serializers.CharField(max_length=200, required=False),
            "description": serializers.CharField(required=False, allow_blank=True),
            "address": serializers.CharField(max_length=200, required=False, allow_blank=True),
            "people_involved": strict.IntegerField(
                min_value=1, max_value=MAX_PEOPLE_INVOLVED, required=False
            ),
            "risk_level": serializers.ChoiceField(choices=RiskLevel.choices, required=False),
            "priority": serializers.ChoiceField(choices=Priority.choices, required=False),
        },
    }


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


TRANSITION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {}
for _name, _fields in _transition_fields().items():
    TRANSITION_SERIALIZERS[_name] = type(
        f"{_camel(_name)}TransitionSerializer",
        (serializers.Serializer,),
        {**_fields, "expected_version": _version()},
    )

TASK_ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "acknowledge": ("acknowledge_task", {}),
    "start": ("start_task", {}),
    "complete": ("complete_task", {"result": _text()}),
    "waive": ("waive_task", {"reason": _text()}),
    # The station hands its task to one of its grid workers (null takes it back).
    "assign": (
        "assign_task",
        {
            "assignee": strict.IntegerField(
                allow_null=True,
                min_value=1,
                help_text=_(
                    "The user id of an active grid worker of the task's unit (a service "
                    "station); null takes the task back."
                ),
            )
        },
    ),
}
TASK_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    action: type(
        f"{_camel(action)}TaskSerializer",
        (serializers.Serializer,),
        {**fields, "expected_version": _version()},
    )
    for action, (_service, fields) in TASK_ACTIONS.items()
}
