"""REST API for people's mediation (/api/v1/mediation/): the same scoped queries and services as
the pages. Service errors become the API's error shape with their own status (400 bad input,
403 not permitted, 404 outside scope, 409 a state that does not allow the action)."""

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
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

from . import documents, services
from .figures import mediation_figures
from .models import (
    Agreement,
    Mediation,
    MediationState,
    ReferralSource,
    RightsNotice,
    Session,
    Signature,
    StartMode,
)


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _check(request: Request) -> None:
    if not access_for(request.user).has_perm(Perm.MEDIATION_HANDLE):
        raise PermissionDenied()


def _mediation(request: Request, pk: int) -> Mediation:
    _check(request)
    try:
        return services.get_mediation(request.user, pk)
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
        return services.missing_signatures(obj)


class MediationSerializer(serializers.ModelSerializer):
    mediators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    missing_items = serializers.SerializerMethodField()

    class Meta:
        model = Mediation
        fields = [
            "id", "number", "case", "committee", "committee_name", "state", "start_mode",
            "referral_source", "mediators", "lead_mediator", "registered_at", "accepted_at",
            "due", "ended_at", "violence_warning", "failure_reason", "routes_told", "version",
            "missing_items",
        ]  # fmt: skip

    def get_missing_items(self, obj: Mediation) -> list[str]:
        return documents.missing_items(obj)


class MediationDetailSerializer(MediationSerializer):
    sessions = SessionSerializer(many=True, read_only=True)
    agreement = serializers.SerializerMethodField()

    class Meta(MediationSerializer.Meta):
        fields = [*MediationSerializer.Meta.fields, "sessions", "agreement"]

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


# -- views ---------------------------------------------------------------------------------


class MediationListCreate(generics.ListAPIView):
    """Mediations of the committees the caller mediates for; register a new one."""

    parser_classes = [JSONParser]
    serializer_class = MediationSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self):
        _check(self.request)
        qs = services.visible_mediations(self.request.user).select_related("committee")
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
            m = services.start(request.user, case, **d)
            m = services.accept(request.user, m)
        except CaseError as e:
            return _error(e)
        return Response(MediationDetailSerializer(m).data, status=status.HTTP_201_CREATED)


class MediationDetail(APIView):
    @extend_schema(responses=MediationDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(MediationDetailSerializer(_mediation(request, pk)).data)


class SessionListCreate(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        return Response(SessionSerializer(m.sessions.all(), many=True).data)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        m = _mediation(request, pk)
        body = SessionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        try:
            if d.pop("plan"):
                s = services.plan_session(
                    request.user, m, at=d["at"], place=d["place"], participants=d["participants"]
                )
            else:
                s = services.record_session(request.user, m, **d)
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
            services.deliver_notice(request.user, m, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(MediationDetailSerializer(_mediation(request, pk)).data, status=201)


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
            a = services.record_agreement(request.user, m, **body.validated_data)
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
            a = services.sign(request.user, a, **body.validated_data)
        except CaseError as e:
            return _error(e)
        a.refresh_from_db()
        return Response(AgreementSerializer(a).data)


class DocumentDownload(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
                   (200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"):
                       OpenApiResponse(OpenApiTypes.BINARY)},
        parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH,
                                     enum=sorted(documents.BUILDERS)),
                    OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["pdf", "docx"])],
    )  # fmt: skip
    def get(self, request: Request, pk: int, key: str, fmt: str) -> HttpResponse:
        m = _mediation(request, pk)
        if key not in documents.BUILDERS or fmt not in ("pdf", "docx"):
            raise NotFound()
        content, ctype, _name = documents.document_bytes(m, key, fmt, request.user)
        return HttpResponse(content, content_type=ctype)


class FiguresSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.DictField()
    by_type = serializers.ListField(child=serializers.DictField())
    by_committee = serializers.ListField(child=serializers.DictField())
    by_mediator = serializers.ListField(child=serializers.DictField())


class FiguresView(APIView):
    """Accepted, successful, failed and the success rate with its formula, in the caller's scope."""

    @extend_schema(
        parameters=[OpenApiParameter("date_from", OpenApiTypes.DATE, required=True),
                    OpenApiParameter("date_to", OpenApiTypes.DATE, required=True)],
        responses=FiguresSerializer,
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        access = access_for(request.user)
        if not (access.has_perm(Perm.MEDIATION_HANDLE) or access.has_perm(Perm.STATS_VIEW)):
            raise PermissionDenied()
        errors = []
        dates: dict[str, date] = {}
        for key in ("date_from", "date_to"):
            try:
                dates[key] = date.fromisoformat(request.query_params.get(key, ""))
            except ValueError:
                errors.append(error("invalid", _("Enter a date as YYYY-MM-DD."), key))
        if errors:
            return Response(error_body(errors), status=400)
        return Response(mediation_figures(access, dates["date_from"], dates["date_to"]).as_dict())
