"""REST API of emergency command (/api/v1/emergency/): the same scoped queries and actions as
the pages. Idempotency-Key is honoured on every POST (fengqiao.api.idempotency); action errors
become the API's error shape with their status."""

from typing import Any

from django.db.models import Model
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.attachments import SIGNATURES
from fengqiao.cases.attachments import serve as serve_file
from fengqiao.cases.errors import CaseError
from fengqiao.mediation.fonts import FontUnavailable

from . import actions, documents, situation
from .models import Body, BodyKind, CheckIn, Drill, Event, EventLog, Level, Plan, Task
from .workflow import (
    EVENT_TRANSITIONS,
    TASK_TRANSITIONS,
    VIEW,
    allowed,
    capacities,
    task_capacities,
)


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _get(request: Request, model: type[Model], pk: Any) -> Any:
    return access_for(request.user).get(model._default_manager.all(), pk, VIEW, missing=NotFound)


# -- output --------------------------------------------------------------------------------


class EmergencyBodySerializer(serializers.ModelSerializer):
    members: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    leader_name = serializers.SerializerMethodField()

    class Meta:
        model = Body
        fields = ["id", "kind", "name", "duties", "leader", "leader_name", "members", "contacts",
                  "sort"]  # fmt: skip

    def get_leader_name(self, obj: Body) -> str:
        return obj.leader.get_full_name() if obj.leader else ""


class EmergencyTaskSerializer(serializers.ModelSerializer):
    overdue = strict.BooleanField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "event", "title", "detail", "body", "grid", "hours", "deadline", "state",
                  "overdue", "assigned_at", "accepted_at", "done_at", "result",
                  "allowed_actions"]  # fmt: skip

    def get_allowed_actions(self, obj: Task) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(allowed(TASK_TRANSITIONS, obj.state, task_capacities(request.user, obj)))


class EmergencyEventSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Event
        fields = ["id", "name", "kind", "level", "region", "region_name", "state", "activated_at",
                  "stood_down_at", "plan", "campaign", "version"]  # fmt: skip


class EmergencyEventDetailSerializer(EmergencyEventSerializer):
    bodies = EmergencyBodySerializer(many=True, read_only=True)
    cases: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    allowed_actions = serializers.SerializerMethodField()

    class Meta(EmergencyEventSerializer.Meta):
        fields = [*EmergencyEventSerializer.Meta.fields, "description", "bodies", "cases",
                  "allowed_actions"]  # fmt: skip

    def get_allowed_actions(self, obj: Event) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(allowed(EVENT_TRANSITIONS, obj.state, capacities(request.user, obj)))


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "event", "task", "user", "at", "place", "lat", "lng", "note"]


class EventLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventLog
        fields = ["id", "at", "actor", "action", "from_state", "to_state", "task", "note"]


class DrillSerializer(serializers.ModelSerializer):
    follow_ups = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Drill
        fields = ["id", "plan", "held_on", "scenario", "participants", "findings", "follow_ups",
                  "recorded_at"]  # fmt: skip


class ResponseLevelSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    name = serializers.CharField(max_length=100)
    measures = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class PlanSerializer(serializers.ModelSerializer):
    levels = ResponseLevelSerializer(many=True, read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = ["id", "region", "title", "version", "levels", "has_file", "created_at"]

    def get_has_file(self, obj: Plan) -> bool:
        return bool(obj.file)


class PlanDetailSerializer(PlanSerializer):
    drills = DrillSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "text", "drills"]


class StreetRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    target = strict.IntegerField()
    screened = strict.IntegerField()
    findings = strict.IntegerField()
    percent = strict.FloatField()


class IncidentSerializer(serializers.Serializer):
    id = strict.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    lat = strict.FloatField(allow_null=True)
    lng = strict.FloatField(allow_null=True)


class SituationSerializer(serializers.Serializer):
    event = strict.IntegerField(source="event.pk")
    at = serializers.DateTimeField()
    structure = serializers.CharField(source="structure_text")
    tasks_total = strict.IntegerField()
    tasks_done = strict.IntegerField()
    tasks_open = strict.IntegerField()
    tasks_overdue = strict.IntegerField()
    done_today = strict.IntegerField()
    checkins_today = strict.IntegerField()
    open_tasks = EmergencyTaskSerializer(many=True)
    screening_by_street = serializers.SerializerMethodField()
    incidents = IncidentSerializer(many=True)

    @extend_schema_field(StreetRowSerializer(many=True))
    def get_screening_by_street(self, obj: situation.Situation) -> list[dict]:
        return StreetRowSerializer(obj.rollup.get("street", []), many=True).data  # type: ignore[return-value]


# -- input ---------------------------------------------------------------------------------


class EventIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.CharField(max_length=50, help_text="e.g. 疫情防控")
    level = serializers.ChoiceField(choices=Level.choices)
    region = strict.IntegerField(help_text="a region the caller commands over")
    description = serializers.CharField(required=False, default="", allow_blank=True,
                                        max_length=10000)  # fmt: skip
    plan = strict.IntegerField(required=False, allow_null=True, default=None)


class BodyIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BodyKind.choices)
    name = serializers.CharField(max_length=100)
    duties = serializers.CharField(max_length=10000)
    leader = strict.IntegerField(required=False, allow_null=True, default=None,
                                 help_text="a staff account")  # fmt: skip
    members = serializers.ListField(child=strict.IntegerField(), required=False, default=list,
                                    max_length=200, help_text="staff accounts")  # fmt: skip
    contacts = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    sort = strict.IntegerField(required=False, default=0, min_value=0, max_value=999)


class EmergencyNoteIn(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class CampaignLinkIn(serializers.Serializer):
    campaign = strict.IntegerField(help_text="a screening campaign the caller sees")


class CaseLinkIn(serializers.Serializer):
    case = strict.IntegerField(help_text="a case the caller sees")


class TaskIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    detail = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    hours = strict.IntegerField(min_value=1, max_value=actions.MAX_HOURS,
                                help_text="calendar hours from now")  # fmt: skip
    body = strict.IntegerField(required=False, allow_null=True, default=None,
                               help_text="a group of the event (or give grid)")  # fmt: skip
    grid = strict.IntegerField(required=False, allow_null=True, default=None,
                               help_text="a grid of the event's region (or give body)")  # fmt: skip


class TaskDoneIn(serializers.Serializer):
    result = serializers.CharField(max_length=10000)


class AcceptIn(serializers.Serializer):
    pass


class CheckInIn(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    place = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    lat = strict.FloatField(required=False, allow_null=True, default=None, min_value=-90,
                            max_value=90)  # fmt: skip
    lng = strict.FloatField(required=False, allow_null=True, default=None, min_value=-180,
                            max_value=180)  # fmt: skip
    task = strict.IntegerField(required=False, allow_null=True, default=None)


class PlanIn(serializers.Serializer):
    region = strict.IntegerField(help_text="a region the caller commands over")
    title = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=20)
    levels = ResponseLevelSerializer(many=True, required=False, default=list,
                                     help_text="at most one entry per level")  # fmt: skip
    text = serializers.CharField(max_length=200000)


class DrillIn(serializers.Serializer):
    held_on = serializers.DateField(help_text="not in the future")
    scenario = serializers.CharField(max_length=10000)
    participants = serializers.CharField(max_length=10000)
    findings = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    follow_ups = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                       default=list, max_length=50)  # fmt: skip


# -- views ---------------------------------------------------------------------------------


def _post(request: Request, serializer: type, run: Any, out: Any, code: int = 200) -> Response:
    body = serializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        made = run(dict(body.validated_data))
    except CaseError as e:
        return _error(e)
    return Response(out(made), status=code)


def _event_out(request: Request) -> Any:
    return lambda e: EmergencyEventDetailSerializer(e, context={"request": request}).data


class EventList(generics.ListCreateAPIView):
    """Emergency events the caller may see (their region subtree, their groups, their grids)."""

    serializer_class = EmergencyEventSerializer
    pagination_class = BoundedLimitOffsetPagination
    parser_classes = [JSONParser]

    def get_queryset(self):
        return actions.visible(self.request.user, Event.objects.all()).select_related("region")

    @extend_schema(request=EventIn, responses={201: EmergencyEventDetailSerializer},
                   summary="Set up an event (draft)")  # fmt: skip
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _post(request, EventIn, lambda d: actions.create_event(request.user, **d),
                     _event_out(request), status.HTTP_201_CREATED)  # fmt: skip


class EventDetail(APIView):
    @extend_schema(responses=EmergencyEventDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_event_out(request)(_get(request, Event, pk)))


class EventBodies(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=BodyIn, responses={201: EmergencyBodySerializer},
                   summary="Add a part of the structure (command, office, group, task force)")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, BodyIn, lambda d: actions.add_body(request.user, event, **d),
                     lambda b: EmergencyBodySerializer(b).data, status.HTTP_201_CREATED)  # fmt: skip


class EventActivate(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=EmergencyNoteIn, responses={200: EmergencyEventDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, EmergencyNoteIn, lambda d: actions.activate(request.user, event, **d),
                     _event_out(request))  # fmt: skip


class EventStandDown(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=EmergencyNoteIn, responses={200: EmergencyEventDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, EmergencyNoteIn, lambda d: actions.stand_down(request.user, event, **d),
                     _event_out(request))  # fmt: skip


class EventCampaign(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=CampaignLinkIn, responses={200: EmergencyEventDetailSerializer},
                   summary="Link the screening campaign of the event")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, CampaignLinkIn,
                     lambda d: actions.link_campaign(request.user, event, d["campaign"]),
                     _event_out(request))  # fmt: skip


class EventCases(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=CaseLinkIn, responses={200: EmergencyEventDetailSerializer},
                   summary="Link an incident (a case) to the event")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, CaseLinkIn,
                     lambda d: actions.link_case(request.user, event, d["case"]),
                     _event_out(request))  # fmt: skip


class EventTasks(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=EmergencyTaskSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        rows = actions.visible(request.user, event.tasks.all()).select_related("event", "body")
        rows = rows.order_by("deadline", "id")
        return Response(EmergencyTaskSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(request=TaskIn, responses={201: EmergencyTaskSerializer},
                   summary="Give a task to a group or a grid, due in calendar hours")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, TaskIn, lambda d: actions.assign_task(request.user, event, **d),
                     lambda t: EmergencyTaskSerializer(t, context={"request": request}).data,
                     status.HTTP_201_CREATED)  # fmt: skip


class TaskAccept(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=AcceptIn, responses={200: EmergencyTaskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task = _get(request, Task, pk)
        return _post(request, AcceptIn, lambda d: actions.accept_task(request.user, task),
                     lambda t: EmergencyTaskSerializer(t, context={"request": request}).data)  # fmt: skip


class TaskComplete(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=TaskDoneIn, responses={200: EmergencyTaskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task = _get(request, Task, pk)
        return _post(request, TaskDoneIn,
                     lambda d: actions.complete_task(request.user, task, **d),
                     lambda t: EmergencyTaskSerializer(t, context={"request": request}).data)  # fmt: skip


class EventCheckIns(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=CheckInSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return Response(CheckInSerializer(event.checkins.all()[:500], many=True).data)

    @extend_schema(request=CheckInIn, responses={201: CheckInSerializer})
    def post(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return _post(request, CheckInIn, lambda d: actions.check_in(request.user, event, **d),
                     lambda c: CheckInSerializer(c).data, status.HTTP_201_CREATED)  # fmt: skip


class EventHistory(APIView):
    @extend_schema(responses=EventLogSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        return Response(EventLogSerializer(actions.history(request.user, event), many=True).data)


class EventSituation(APIView):
    @extend_schema(responses=SituationSerializer,
                   summary="The live figures: tasks, check-ins, screening roll-up, incidents")  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        event = _get(request, Event, pk)
        s = situation.build(request.user, event)
        return Response(SituationSerializer(s, context={"request": request}).data)


def font_missing() -> Response:
    """503 with the reason (mediation.W001), never a 500; the DOCX works meanwhile."""
    message = _("The PDF cannot be made: %(reason)s Download the DOCX instead.") % {
        "reason": "PDF_CJK_FONT"
    }
    return Response(error_body([error("font_unavailable", message)]), status=503)


class EventDailyReport(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["docx", "pdf"])],
        responses={(200, documents.DOCX): OpenApiResponse(OpenApiTypes.BINARY),
                   (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The daily report from the figures (DOCX or PDF, A4)",
    )  # fmt: skip
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponse | Response:
        event = _get(request, Event, pk)
        if fmt not in ("docx", "pdf"):
            raise NotFound()
        s = situation.build(request.user, event)
        try:
            body, ctype = documents.render(s, fmt)
        except FontUnavailable:
            return font_missing()
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = content_disposition_header(
            True, documents.filename(s, fmt)
        )
        return response


class PlanList(generics.ListCreateAPIView):
    """Emergency plans of the caller's area (and of the events they are part of)."""

    serializer_class = PlanSerializer
    pagination_class = BoundedLimitOffsetPagination
    parser_classes = [JSONParser]

    def get_queryset(self):
        return actions.visible(self.request.user, Plan.objects.all())

    @extend_schema(request=PlanIn, responses={201: PlanDetailSerializer},
                   summary="Record a plan (a version of it) with its response levels")  # fmt: skip
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _post(request, PlanIn, lambda d: actions.create_plan(request.user, **d),
                     lambda p: PlanDetailSerializer(p).data, status.HTTP_201_CREATED)  # fmt: skip


class PlanDetail(APIView):
    @extend_schema(responses=PlanDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PlanDetailSerializer(_get(request, Plan, pk)).data)


class PlanDrills(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=DrillIn, responses={201: DrillSerializer}, summary="Record a drill")
    def post(self, request: Request, pk: int) -> Response:
        plan = _get(request, Plan, pk)
        return _post(request, DrillIn, lambda d: actions.record_drill(request.user, plan, **d),
                     lambda x: DrillSerializer(x).data, status.HTTP_201_CREATED)  # fmt: skip


class PlanFile(APIView):
    @extend_schema(responses={(200, ct): OpenApiResponse(OpenApiTypes.BINARY) for ct, _e, _t in SIGNATURES},
                   summary="The plan's attached file")  # fmt: skip
    def get(self, request: Request, pk: int) -> HttpResponse:
        plan = _get(request, Plan, pk)
        if not plan.file:
            raise NotFound()
        return serve_file(plan)
