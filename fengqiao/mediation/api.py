"""REST API for people's mediation (/api/v1/mediation/): the same scoped queries and actions as
the pages. Service errors become the API's error shape with their own status (400 bad input,
403 not permitted, 404 outside scope, 409 a state that does not allow the action)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination as LimitOffsetPagination
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError
from fengqiao.cases.models import Diversion

from . import actions, documents
from .models import (
    Agreement,
    FollowUp,
    JudicialConfirmation,
    Mediation,
    MediationState,
    PerformanceItem,
    ReferralSource,
    RightsNotice,
    Session,
    Signature,
    StartMode,
)
from .workflow import allowed_names


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _font_missing() -> Response:
    """503 with the reason (mediation.W001), never a 500."""
    message = _("The font for Chinese PDF documents is not installed on this server; the DOCX "
                "version can be downloaded meanwhile.")  # fmt: skip
    return Response(error_body([error("font_unavailable", message)]), status=503)


def _check(request: Request) -> None:
    if not access_for(request.user).has_perm(Perm.MEDIATION_HANDLE):
        raise PermissionDenied()


def _check_read(request: Request) -> None:
    """Reading: mediators, and the judicial office over the committees it supervises."""
    access = access_for(request.user)
    if not (access.has_perm(Perm.MEDIATION_HANDLE) or access.has_perm(Perm.MEDIATION_SUPERVISE)):
        raise PermissionDenied()


def _mediation(request: Request, pk: int, read: bool = False) -> Mediation:
    _check_read(request) if read else _check(request)
    try:
        return actions.get_mediation(request.user, pk)
    except CaseError:
        raise NotFound() from None


# -- serializers ---------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    held = strict.BooleanField(read_only=True)

    class Meta:
        model = Session
        fields = ["id", "at", "place", "participants", "minutes", "evidence", "evidence_note",
                  "held"]  # fmt: skip


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = ["party", "method", "at"]


class ItemSerializer(serializers.Serializer):
    id = strict.IntegerField()
    obligor = strict.IntegerField(source="obligor_id")
    what = serializers.CharField()
    due_date = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)
    proof_note = serializers.CharField()
    reminders_sent = strict.IntegerField()


class AgreementSerializer(serializers.ModelSerializer):
    signatures = SignatureSerializer(many=True, read_only=True)
    items = ItemSerializer(many=True, read_only=True)
    confirmation_due = serializers.DateField(read_only=True, allow_null=True)
    missing_signatures = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id", "form", "parties_facts", "main_facts", "disputed_points", "responsibilities",
            "agreed_items", "performance_method", "copies", "mediator_signed_at", "seal_at",
            "recorded_at", "effective_at", "confirmation_due", "signatures", "items",
            "missing_signatures",
        ]  # fmt: skip

    def get_missing_signatures(self, obj: Agreement) -> list[str]:
        return actions.missing_signatures(obj)


class MediationSerializer(serializers.ModelSerializer):
    mediators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    missing_items = serializers.SerializerMethodField()

    class Meta:
        model = Mediation
        fields = [
            "id", "number", "case", "committee", "committee_name", "state", "start_mode",
            "referral_source", "mediators", "lead_mediator", "registered_at", "accepted_at",
            "due", "original_due", "extension_consent", "is_overdue", "ended_at",
            "violence_warning", "failure_reason", "terminated_by", "routes_told", "version",
            "missing_items",
        ]  # fmt: skip

    def get_missing_items(self, obj: Mediation) -> list[str]:
        return documents.missing_items(obj)


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RightsNotice
        fields = ["id", "party", "method", "delivered_at", "delivered_by"]


class FollowUpSerializer(serializers.ModelSerializer):
    """One follow-up visit (回访记录)."""

    class Meta:
        model = FollowUp
        fields = ["id", "visit_date", "way", "visitors", "visited", "performance",
                  "performance_note", "opinions", "note", "at"]  # fmt: skip


class MediationDetailSerializer(MediationSerializer):
    sessions = SessionSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    followups = FollowUpSerializer(many=True, read_only=True)
    agreement = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(MediationSerializer.Meta):
        fields = [*MediationSerializer.Meta.fields, "sessions", "notices", "followups",
                  "agreement", "allowed_actions"]  # fmt: skip

    def get_allowed_actions(self, obj: Mediation) -> list[str]:
        """The actions the caller may take now (fengqiao.mediation.workflow)."""
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(allowed_names(obj, access_for(request.user)))

    @extend_schema_field(AgreementSerializer(allow_null=True))
    def get_agreement(self, obj: Mediation) -> dict[str, Any] | None:
        a = Agreement.objects.filter(mediation=obj).first()
        return AgreementSerializer(a).data if a else None


class StartSerializer(serializers.Serializer):
    case = strict.IntegerField()
    committee = strict.IntegerField()
    mode = serializers.ChoiceField(choices=StartMode.choices)
    referral_source = serializers.ChoiceField(
        choices=ReferralSource.choices, required=False, default=""
    )
    referral_reference = serializers.CharField(required=False, default="", allow_blank=True)
    application_text = serializers.CharField(required=False, default="", allow_blank=True)
    summary = serializers.CharField(required=False, default="", allow_blank=True)


class SessionCreateSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(allow_blank=True)
    participants = serializers.CharField(allow_blank=True)
    minutes = serializers.CharField(allow_blank=True, required=False, default="")
    evidence = serializers.ListField(child=strict.IntegerField(), required=False, default=list)
    evidence_note = serializers.CharField(required=False, default="", allow_blank=True)
    plan = strict.BooleanField(
        required=False, default=False, help_text="plan a coming session (time and place only)"
    )
    planned = strict.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="id of the planned session these minutes record",
    )  # fmt: skip


class ItemInSerializer(serializers.Serializer):
    obligor = strict.IntegerField()
    what = serializers.CharField()
    due_date = serializers.DateField()


class AgreementCreateSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Agreement.Form.choices)
    agreed_items = serializers.CharField(allow_blank=True)
    parties_facts = serializers.CharField(required=False, default="", allow_blank=True)
    main_facts = serializers.CharField(required=False, default="", allow_blank=True)
    disputed_points = serializers.CharField(required=False, default="", allow_blank=True)
    responsibilities = serializers.CharField(required=False, default="", allow_blank=True)
    performance_method = serializers.CharField(required=False, default="", allow_blank=True)
    items = ItemInSerializer(many=True, required=False, default=list)


class SignInSerializer(serializers.Serializer):
    who = serializers.ChoiceField(choices=["party", "mediator", "seal"])
    party = strict.IntegerField(required=False, allow_null=True, default=None)
    method = serializers.ChoiceField(
        choices=Signature.Method.choices, required=False, default="signed"
    )


class NoticeInSerializer(serializers.Serializer):
    party = strict.IntegerField()
    method = serializers.ChoiceField(choices=RightsNotice.Method.choices)
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


def _detail(request: Request, m: Mediation) -> dict[str, Any]:
    return MediationDetailSerializer(m, context={"request": request}).data


# -- views ---------------------------------------------------------------------------------


class MediationListCreate(generics.ListAPIView):
    """Mediations of the committees the caller mediates for; register a new one."""

    parser_classes = [JSONParser]
    serializer_class = MediationSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self):
        _check_read(self.request)
        qs = actions.visible_mediations(self.request.user).select_related("committee")
        state = self.request.query_params.get("state")
        return (qs.filter(state=state) if state else qs).order_by("-id")

    @extend_schema(
        operation_id="mediation_list",
        parameters=[OpenApiParameter("state", str, enum=[s.value for s in MediationState])],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=StartSerializer, responses={201: MediationDetailSerializer})
    def post(self, request: Request) -> Response:
        _check(request)
        body = StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        case = d.pop("case")
        try:
            m = actions.start(request.user, case, **d)
            m = actions.accept(request.user, m)
        except CaseError as e:
            return _error(e)
        return Response(_detail(request, m), status=status.HTTP_201_CREATED)


class MediationDetail(APIView):
    @extend_schema(responses=MediationDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, _mediation(request, pk, read=True)))


class SessionListCreate(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk, read=True)
        return Response(SessionSerializer(m.sessions.all(), many=True).data)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        body = SessionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        try:
            if d.pop("plan"):
                s = actions.plan_session(
                    request.user, m, at=d["at"], place=d["place"], participants=d["participants"]
                )
            else:
                s = actions.record_session(request.user, m, **d)
        except CaseError as e:
            return _error(e)
        return Response(SessionSerializer(s).data, status=status.HTTP_201_CREATED)


class NoticeCreate(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=NoticeInSerializer, responses={201: MediationDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        body = NoticeInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            actions.deliver_notice(request.user, m, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(_detail(request, _mediation(request, pk)), status=201)


class AgreementView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=AgreementSerializer)
    def get(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        a = Agreement.objects.filter(mediation=m).first()
        if a is None:
            raise NotFound()
        return Response(AgreementSerializer(a).data)

    @extend_schema(request=AgreementCreateSerializer, responses={201: AgreementSerializer})
    def post(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        body = AgreementCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            a = actions.record_agreement(request.user, m, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(AgreementSerializer(a).data, status=status.HTTP_201_CREATED)


class AgreementSign(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=SignInSerializer, responses={200: AgreementSerializer})
    def post(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        a = Agreement.objects.filter(mediation=m).first()
        if a is None:
            raise NotFound()
        body = SignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            a = actions.sign(request.user, a, **body.validated_data)
        except CaseError as e:
            return _error(e)
        a.refresh_from_db()
        return Response(AgreementSerializer(a).data)


# -- actions on a mediation ----------------------------------------------------------------
# One endpoint per action of fengqiao.mediation.workflow; each answers with the mediation as it
# is afterwards (its `allowed_actions` say what may come next). Idempotency-Key: see
# fengqiao.api.idempotency (every POST).

ROUTE_CHOICES = sorted(actions.ROUTES)


class VersionedSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="the mediation's version the caller saw; 409 if it changed since",
    )  # fmt: skip


class AssignInSerializer(VersionedSerializer):
    mediators = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    lead = serializers.IntegerField()


class PartyReasonInSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class ReasonInSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class InvestigationInSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(allow_blank=True)
    persons = serializers.CharField(required=False, default="", allow_blank=True)
    findings = serializers.CharField(allow_blank=True)


class NoteInSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)


class FollowUpInSerializer(serializers.Serializer):
    """回访记录 with the fields of the format."""

    visit_date = serializers.DateField(required=False)
    way = serializers.ChoiceField(choices=FollowUp.Way.choices)
    visitors = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    visited = serializers.CharField(max_length=200)
    performance = serializers.ChoiceField(choices=FollowUp.Performance.choices)
    performance_note = serializers.CharField(required=False, default="", allow_blank=True)
    opinions = serializers.CharField(required=False, default="", allow_blank=True)
    note = serializers.CharField()


class FailureInSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    routes_told = serializers.ListField(
        child=serializers.ChoiceField(choices=ROUTE_CHOICES), required=False,
        default=lambda: list(ROUTE_CHOICES),
    )  # fmt: skip
    divert_to = serializers.ChoiceField(
        choices=Diversion.Target.choices, required=False, default=Diversion.Target.COURT
    )


class TerminateInSerializer(VersionedSerializer, FailureInSerializer):
    party = serializers.IntegerField(help_text="the party who ends the mediation (art. 23)")


class ExtendInSerializer(VersionedSerializer):
    new_due = serializers.DateField(help_text="the new time limit (once only)")
    consent = serializers.CharField(allow_blank=True, help_text="how the parties agreed")


class PerformedInSerializer(serializers.Serializer):
    proof_note = serializers.CharField(required=False, default="", allow_blank=True)
    proof_attachment = serializers.IntegerField(required=False, allow_null=True, default=None)


class ConfirmationInSerializer(serializers.Serializer):
    applied_at = serializers.DateField()
    court = serializers.CharField(allow_blank=True)
    result = serializers.ChoiceField(
        choices=JudicialConfirmation.Result.choices, required=False,
        default=JudicialConfirmation.Result.PENDING,
    )  # fmt: skip
    result_at = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class EmptyInSerializer(VersionedSerializer):
    pass


def _agreement_of(m: Mediation) -> Agreement:
    a = Agreement.objects.filter(mediation=m).first()
    if a is None:
        raise NotFound()
    return a


def _run_action(request: Request, pk: int, body_class, run, created: bool = False) -> Response:
    m = _mediation(request, pk)
    body = body_class(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        run(request.user, m, dict(body.validated_data))
    except CaseError as e:
        return _error(e)
    return Response(_detail(request, _mediation(request, pk)), status=201 if created else 200)


# The runners of the action views: (caller, mediation, validated body) -> the action's call.


def _run_accept(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.accept(user, m, **d)


def _run_assign(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.assign(user, m, **d)


def _run_refuse(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.refuse(user, m, **d)


def _run_withdraw(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.withdraw(user, m, **d)


def _run_record_investigation(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.record_investigation(user, m, **d)


def _run_report_violence_risk(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.report_violence_risk(user, m, **d)


def _run_record_failure(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.record_failure(user, m, **d)


def _run_terminate(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.terminate(user, m, **d)


def _run_extend_time_limit(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.extend_time_limit(user, m, **d)


def _run_record_followup(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.record_followup(user, m, **d)


def _run_record_judicial_confirmation(user: Any, m: Mediation, d: dict[str, Any]) -> Any:
    return actions.record_judicial_confirmation(user, _agreement_of(m), **d)


def _action_view(name: str, body_class, run, summary: str, created: bool = False):
    """An APIView for one mediation action: POST `body_class`, answer the mediation."""

    @extend_schema(
        operation_id=f"mediation_{name}",
        summary=summary,
        request=body_class,
        responses={201 if created else 200: MediationDetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _run_action(request, pk, body_class, run, created)

    cls_name = "".join(part.title() for part in name.split("_")) + "Action"
    return type(cls_name, (APIView,), {"parser_classes": [JSONParser], "post": post})


AcceptAction = _action_view(
    "accept",
    EmptyInSerializer,
    _run_accept,
    "Accept (受理): the time limit starts",
)
AssignAction = _action_view(
    "assign",
    AssignInSerializer,
    _run_assign,
    "Assign mediators (one of them the lead)",
)
RefuseAction = _action_view(
    "refuse",
    PartyReasonInSerializer,
    _run_refuse,
    "A party refuses mediation (art. 17)",
)
WithdrawAction = _action_view(
    "withdraw",
    ReasonInSerializer,
    _run_withdraw,
    "Withdraw the mediation",
)
InvestigationAction = _action_view(
    "investigation",
    InvestigationInSerializer,
    _run_record_investigation,
    "Record an investigation",
    created=True,
)
ViolenceAction = _action_view(
    "violence",
    NoteInSerializer,
    _run_report_violence_risk,
    "Report a risk of violence to the police (art. 25)",
    created=True,
)
FailureAction = _action_view(
    "failure",
    FailureInSerializer,
    _run_record_failure,
    "Mediation failed: routes told, case diverted (art. 26)",
)
TerminateAction = _action_view(
    "terminate",
    TerminateInSerializer,
    _run_terminate,
    "A party ends the mediation (art. 23); it goes on the failure routes",
)
ExtendAction = _action_view(
    "extend",
    ExtendInSerializer,
    _run_extend_time_limit,
    "Extend the time limit once with the parties' consent",
)
FollowUpAction = _action_view(
    "followup",
    FollowUpInSerializer,
    _run_record_followup,
    "Record a follow-up visit (回访)",
    created=True,
)
ConfirmationAction = _action_view(
    "confirmation", ConfirmationInSerializer,
    _run_record_judicial_confirmation,
    "Record the application for judicial confirmation (art. 33) and its result",
)  # fmt: skip


class ItemPerformed(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="mediation_item_performed",
        request=PerformedInSerializer,
        responses={200: AgreementSerializer},
    )
    def post(self, request: Request, pk: int, item: int) -> Response:
        m = _mediation(request, pk)
        found = PerformanceItem.objects.filter(pk=item, agreement__mediation=m).first()
        if found is None:
            raise NotFound()
        body = PerformedInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            actions.mark_performance(request.user, found, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(AgreementSerializer(_agreement_of(m)).data)
