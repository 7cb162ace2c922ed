"""REST API for the mediation registers and downloads (/api/v1/mediation/): the oral-agreement
register, a committee's mediators, documents and dossiers, the register (ledger) and the figures;
the same scoped queries as the pages (the steps of a mediation are in `api.py`)."""

from datetime import date

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError
from fengqiao.org.models import EmploymentType, Unit, UnitKind

from . import actions, documents, ledger
from .api import ItemSerializer, _check_read, _error, _font_missing, _mediation
from .figures import mediation_figures
from .fonts import FontUnavailable
from .models import (
    Agreement,
    MediationState,
    MediatorPost,
)


class OralAgreementSerializer(serializers.Serializer):
    """One line of the oral-agreement register (口头协议登记表)."""

    mediation = serializers.IntegerField(source="mediation_id")
    number = serializers.CharField(source="mediation.number")
    committee_name = serializers.CharField(source="mediation.committee.name")
    parties = serializers.SerializerMethodField()
    main_facts = serializers.CharField()
    agreed_items = serializers.CharField()
    performance_method = serializers.CharField()
    mediator_name = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField()
    items = ItemSerializer(many=True, read_only=True)

    def get_parties(self, obj: Agreement) -> list[str]:
        return [p.name for p in obj.mediation.case.parties.all()]

    def get_mediator_name(self, obj: Agreement) -> str:
        return obj.mediator.name if obj.mediator else ""


class OralAgreementRegister(APIView):
    """The oral-agreement register of the committees the caller mediates for."""

    @extend_schema(
        parameters=[OpenApiParameter("date_from", OpenApiTypes.DATE),
                    OpenApiParameter("date_to", OpenApiTypes.DATE)],
        responses=OralAgreementSerializer(many=True),
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        _check_read(request)
        qs = actions.visible_mediations(request.user)
        bounds: dict[str, date] = {}
        errors = []
        for key in ("date_from", "date_to"):
            raw = request.query_params.get(key)
            if raw:
                try:
                    bounds[key] = date.fromisoformat(raw)
                except ValueError:
                    errors.append(error("invalid", _("Enter a date as YYYY-MM-DD."), key))
        if errors:
            return Response(error_body(errors), status=400)
        rows = actions.oral_agreements(qs)
        if "date_from" in bounds:
            rows = [
                a for a in rows if a.recorded_at and a.recorded_at.date() >= bounds["date_from"]
            ]
        if "date_to" in bounds:
            rows = [a for a in rows if a.recorded_at and a.recorded_at.date() <= bounds["date_to"]]
        return Response(OralAgreementSerializer(rows, many=True).data)


class MediatorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(read_only=True)
    post = serializers.ChoiceField(choices=MediatorPost.choices)
    employment_type = serializers.ChoiceField(choices=EmploymentType.choices)
    specialties = serializers.SerializerMethodField()

    def get_specialties(self, obj) -> list[str]:
        return [x.code for x in obj.specialties.all()]


class MediatorInSerializer(serializers.Serializer):
    username = serializers.CharField()
    post = serializers.ChoiceField(choices=MediatorPost.choices, default=MediatorPost.MEMBER)
    employment_type = serializers.ChoiceField(
        choices=EmploymentType.choices, default=EmploymentType.PART_TIME
    )
    specialties = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class CommitteeMediators(APIView):
    """A committee's mediators: members (委员, 3 to 9), hired full-time mediators, volunteers."""

    parser_classes = [JSONParser]

    def _committee(self, request: Request, committee: int) -> Unit:
        unit = (
            Unit.objects.filter(pk=committee, kind=UnitKind.MEDIATION_COMMITTEE)
            .select_related("region")
            .first()
        )
        if unit is None or not actions.may_manage(access_for(request.user), unit):
            raise NotFound()
        return unit

    @extend_schema(responses=MediatorSerializer(many=True))
    def get(self, request: Request, committee: int) -> Response:
        unit = self._committee(request, committee)
        qs = actions.active_mediators(unit).select_related("user").prefetch_related("specialties")
        return Response(MediatorSerializer(qs, many=True).data)

    @extend_schema(request=MediatorInSerializer, responses={201: MediatorSerializer})
    def post(self, request: Request, committee: int) -> Response:
        unit = self._committee(request, committee)
        body = MediatorInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        user = get_user_model().objects.filter(username=d.pop("username")).first()
        if user is None:
            return Response(
                error_body([error("not_found", _("No such account."), "username")]), status=400
            )
        try:
            mediator = actions.add_mediator(request.user, unit, user=user, **d)
        except CaseError as e:
            return _error(e)
        return Response(MediatorSerializer(mediator).data, status=201)


class DocumentDownload(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
                   (200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"):
                       OpenApiResponse(OpenApiTypes.BINARY),
                   503: OpenApiResponse(description="the PDF font is not installed")},
        parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH,
                                     enum=sorted(documents.BUILDERS)),
                    OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["pdf", "docx"])],
    )  # fmt: skip
    def get(self, request: Request, pk: int, key: str, fmt: str) -> HttpResponse:
        m = _mediation(request, pk, read=True)
        if key not in documents.BUILDERS or fmt not in ("pdf", "docx"):
            raise NotFound()
        try:
            content, ctype, _name = documents.document_bytes(m, key, fmt, request.user)
        except FontUnavailable:
            return _font_missing()
        return HttpResponse(content, content_type=ctype)


class DossierDownload(APIView):
    """The whole dossier (卷宗) as one PDF: cover, contents with page numbers, every item."""

    @extend_schema(
        operation_id="mediation_dossier",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
                   503: OpenApiResponse(description="the PDF font is not installed")},
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> HttpResponse:
        m = _mediation(request, pk, read=True)
        try:
            pdf = documents.dossier_pdf(m, request.user)
        except FontUnavailable:
            return _font_missing()
        return HttpResponse(pdf, content_type="application/pdf")


class RegisterLineSerializer(serializers.Serializer):
    """One line of the mediation register (人民调解登记台账), as in the Excel download."""

    id = strict.IntegerField()
    seq = strict.IntegerField()
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=MediationState.choices)
    is_overdue = strict.BooleanField()
    registered_on = serializers.CharField()
    accepted_on = serializers.CharField()
    category = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    parties = serializers.CharField()
    summary = serializers.CharField()
    mediators = serializers.CharField()
    sessions = strict.IntegerField()
    result = serializers.CharField()
    agreement_form = serializers.CharField()
    agreement_effective_on = serializers.CharField()
    performance = serializers.CharField()
    judicial_confirmation = serializers.CharField()
    ended_on = serializers.CharField()


class RegisterView(APIView):
    """The mediation register of the committees in the caller's scope, with filters."""

    @extend_schema(
        operation_id="mediation_register",
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("date_to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("committee", OpenApiTypes.INT),
            OpenApiParameter("state", str, enum=[s.value for s in MediationState]),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
        ],
        responses=RegisterLineSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _check_read(request)
        q = request.query_params
        errors = []
        dates: dict[str, date] = {}
        for key in ("date_from", "date_to"):
            try:
                dates[key] = date.fromisoformat(q.get(key, ""))
            except ValueError:
                errors.append(error("invalid", _("Enter a date as YYYY-MM-DD."), key))
        committee = None
        if q.get("committee"):
            try:
                committee = int(q["committee"])
            except ValueError:
                errors.append(error("invalid", _("Enter a whole number."), "committee"))
        state = q.get("state") or ""
        if state and state not in MediationState.values:
            errors.append(error("choice", _("Unknown state."), "state"))
        overdue = q.get("overdue") or ""
        if overdue not in ("", "true", "false"):
            errors.append(error("invalid", _("Enter true or false."), "overdue"))
        if not errors and dates["date_from"] > dates["date_to"]:
            errors.append(error("range", _("The period ends before it starts."), "date_to"))
        if errors:
            return Response(error_body(errors), status=400)
        rows = ledger.register_rows(request.user, committee, dates["date_from"], dates["date_to"])
        if state:
            rows = rows.filter(state=state)
        if overdue:
            rows = rows.filter(is_overdue=overdue == "true")
        return Response(RegisterLineSerializer(ledger.register_dicts(rows), many=True).data)


class FiguresSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.DictField()
    by_type = serializers.ListField(child=serializers.DictField())
    by_committee = serializers.ListField(child=serializers.DictField())
    by_mediator = serializers.ListField(child=serializers.DictField())


READ_FIGURES = (Perm.MEDIATION_HANDLE, Perm.MEDIATION_SUPERVISE, Perm.STATS_VIEW)


class FiguresView(APIView):
    """Accepted, successful, failed and the success rate with its formula, in the caller's scope."""

    @extend_schema(
        parameters=[OpenApiParameter("date_from", OpenApiTypes.DATE, required=True),
                    OpenApiParameter("date_to", OpenApiTypes.DATE, required=True)],
        responses=FiguresSerializer,
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        access = access_for(request.user)
        if not any(access.has_perm(p) for p in READ_FIGURES):
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
