"""REST API of the judicial office (司法所) over the mediation committees of its street
(/api/v1/mediation/supervision/ and /api/v1/mediation/<id>/reviews/): the same scoped queries
and the one action (`actions.record_review`) as its pages. Registers, documents, dossiers and
figures are the mediation API's own endpoints, which answer it inside its street."""

from datetime import date

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError

from . import actions
from .figures import mediation_figures
from .models import Mediation, SupervisionReview


def _supervisor(request: Request) -> Access:
    access = access_for(request.user)
    if not access.has_perm(Perm.MEDIATION_SUPERVISE):
        raise PermissionDenied()
    return access


class SupervisedCommitteeSerializer(serializers.Serializer):
    id = strict.IntegerField()
    name = serializers.CharField()
    open = strict.IntegerField()
    overdue = strict.IntegerField()
    reviews = strict.IntegerField()
    accepted = strict.IntegerField(help_text="accepted this year")
    successful = strict.IntegerField(help_text="successful this year")
    success_rate = serializers.CharField(allow_null=True)
    formula = serializers.CharField()


class OverdueSerializer(serializers.Serializer):
    id = strict.IntegerField()
    number = serializers.CharField()
    committee = strict.IntegerField(source="committee_id")
    committee_name = serializers.CharField(source="committee.name")
    title = serializers.CharField(source="case.title")
    state = serializers.CharField()
    due = serializers.DateTimeField(allow_null=True)


class SupervisionSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    committees = SupervisedCommitteeSerializer(many=True)
    overdue = OverdueSerializer(many=True)


class SupervisionView(APIView):
    """The committees of the caller's street with open, overdue and this year's figures, and the
    disputes past their time limit."""

    @extend_schema(operation_id="mediation_supervision", responses=SupervisionSerializer)
    def get(self, request: Request) -> Response:
        access = _supervisor(request)
        lines = actions.committee_lines(access)
        today = timezone.localdate()
        year_start = date(today.year, 1, 1)
        ids = [line.committee.pk for line in lines]
        figures = mediation_figures(access, year_start, today, committee_ids=ids or [0])
        rows = {r.key: r.as_dict() for r in figures.by_committee}
        committees = []
        for line in lines:
            row = rows.get(str(line.committee.pk), {})
            committees.append({
                "id": line.committee.pk, "name": line.committee.name, "open": line.open,
                "overdue": line.overdue, "reviews": line.reviews,
                "accepted": row.get("accepted", 0), "successful": row.get("successful", 0),
                "success_rate": row.get("success_rate"), "formula": row.get("formula", ""),
            })  # fmt: skip
        data = {
            "date_from": year_start,
            "date_to": today,
            "committees": committees,
            "overdue": list(actions.overdue_mediations(access)[:500]),
        }
        return Response(SupervisionSerializer(data).data)


class ReviewSerializer(serializers.ModelSerializer):
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionReview
        fields = ["id", "kind", "note", "at", "by_name"]

    def get_by_name(self, obj: SupervisionReview) -> str:
        return obj.by.get_full_name()


class ReviewInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupervisionReview.Kind.choices)
    note = serializers.CharField()


def _supervised(request: Request, pk: int) -> Mediation:
    access = _supervisor(request)
    m = actions.supervised_mediations(access).filter(pk=pk).first()
    if m is None:
        raise NotFound()
    return m


class ReviewListCreate(APIView):
    """The judicial office's reviews of, and guidance on, one dispute of its street."""

    parser_classes = [JSONParser]

    @extend_schema(operation_id="mediation_reviews", responses=ReviewSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        m = _supervised(request, pk)
        return Response(ReviewSerializer(m.reviews.select_related("by"), many=True).data)

    @extend_schema(
        operation_id="mediation_review_create",
        request=ReviewInSerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        m = _supervised(request, pk)
        body = ReviewInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            review = actions.record_review(request.user, m, **body.validated_data)
        except CaseError as e:
            return Response(
                error_body([error(x.code, x.message, x.field or None) for x in e.errors]),
                status=e.status,
            )
        return Response(ReviewSerializer(review).data, status=201)
