"""REST API of screening campaigns and special operations (/api/v1/campaigns/)."""

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination
from fengqiao.cases.errors import CaseError
from fengqiao.risk.models import Level

from . import operations as ops
from . import screening
from .models import Campaign, CampaignKind, Operation, OperationReport, ScreeningRecord


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _get(fn: Any, request: Request, pk: int) -> Any:
    try:
        return fn(request.user, pk)
    except CaseError:
        raise DrfNotFound() from None


class CampaignSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "starts_on",
            "ends_on",
            "form_fields",
            "state",
            "created_at",
            "version",
        ]


class CampaignInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=CampaignKind.choices)
    region = serializers.CharField(max_length=20)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    form_fields = serializers.ListField(
        child=serializers.DictField(), required=False, max_length=40
    )


class RollupRow(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    target = serializers.IntegerField()
    screened = serializers.IntegerField()
    findings = serializers.IntegerField()


class RollupSerializer(serializers.Serializer):
    grid = RollupRow(many=True)
    community = RollupRow(many=True)
    street = RollupRow(many=True)
    district = RollupRow(many=True)
    unfinished = serializers.ListField(child=serializers.DictField())


class GridsInput(serializers.Serializer):
    grids = serializers.DictField(child=strict.IntegerField(min_value=0, max_value=100_000))
    expected_version = strict.IntegerField(required=False, min_value=1)


class CampaignAction(serializers.Serializer):
    action = serializers.ChoiceField(choices=["activate", "close"])
    expected_version = strict.IntegerField(required=False, min_value=1)


class RecordSerializer(serializers.ModelSerializer):
    grid = serializers.CharField(source="grid.code", read_only=True)

    class Meta:
        model = ScreeningRecord
        fields = [
            "id",
            "campaign",
            "grid",
            "household",
            "place",
            "address",
            "answers",
            "has_finding",
            "finding",
            "screened_by",
            "screened_at",
            "case",
            "warning",
        ]


class RecordInput(serializers.Serializer):
    grid = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=200)
    household = strict.IntegerField(
        required=False, min_value=1, help_text="A registry household of the grid."
    )
    place = strict.IntegerField(
        required=False, min_value=1, help_text="A registry place of the grid."
    )
    answers = serializers.DictField(required=False)
    finding = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ToCaseInput(serializers.Serializer):
    category = serializers.CharField(max_length=50)


class ToWarningInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)


class CampaignListCreate(generics.ListAPIView):
    serializer_class = CampaignSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        return (
            screening.visible_campaigns(self.request.user).select_related("region").order_by("-id")
        )

    @extend_schema(operation_id="campaign_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=CampaignInput, responses={201: CampaignSerializer})
    def post(self, request: Request) -> Response:
        body = CampaignInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            c = screening.create_campaign(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(CampaignSerializer(c).data, status=status.HTTP_201_CREATED)


class CampaignDetail(APIView):
    @extend_schema(responses=CampaignSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CampaignSerializer(_get(screening.get_campaign, request, pk)).data)


class CampaignRollup(APIView):
    """Progress and findings by grid, community, street and district; unfinished grids."""

    @extend_schema(responses=RollupSerializer)
    def get(self, request: Request, pk: int) -> Response:
        c = _get(screening.get_campaign, request, pk)
        roll = screening.rollup(request.user, c)
        data = {k: [asdict(r) for r in rows] for k, rows in roll.items()}
        data["unfinished"] = screening.unfinished(request.user, c)
        return Response(data)


class CampaignGrids(APIView):
    @extend_schema(request=GridsInput, responses=CampaignSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _get(screening.get_campaign, request, pk)
        body = GridsInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            c = screening.assign_grids(
                request.user, pk, dict(d["grids"]), d.get("expected_version")
            )
        except CaseError as e:
            return _error(e)
        return Response(CampaignSerializer(c).data)


class CampaignTransition(APIView):
    @extend_schema(request=CampaignAction, responses=CampaignSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _get(screening.get_campaign, request, pk)
        body = CampaignAction(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            c = screening.move_campaign(request.user, pk, d["action"], d.get("expected_version"))
        except CaseError as e:
            return _error(e)
        return Response(CampaignSerializer(c).data)


class RecordListCreate(generics.ListAPIView):
    serializer_class = RecordSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        from fengqiao.accounts.access import access_for
        from fengqiao.accounts.roles import Perm

        c = _get(screening.get_campaign, self.request, self.kwargs["pk"])
        access = access_for(self.request.user)
        qs = ScreeningRecord.objects.none()
        for p in (Perm.SCREENING_RECORD, Perm.CAMPAIGN_MANAGE, Perm.STATS_VIEW):
            qs = qs | access.visible(ScreeningRecord.objects.filter(campaign=c), p)
        return qs.distinct().select_related("grid").order_by("-id")

    @extend_schema(operation_id="campaign_record_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RecordInput, responses={201: RecordSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _get(screening.get_campaign, request, pk)
        body = RecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            r = screening.record_screening(request.user, pk, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(RecordSerializer(r).data, status=status.HTTP_201_CREATED)


class RecordToCase(APIView):
    @extend_schema(request=ToCaseInput, responses=RecordSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = ToCaseInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            r = screening.finding_to_case(request.user, pk, body.validated_data["category"])
        except CaseError as e:
            return _error(e)
        return Response(RecordSerializer(r).data)


class RecordToWarning(APIView):
    @extend_schema(request=ToWarningInput, responses=RecordSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = ToWarningInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            r = screening.finding_to_warning(request.user, pk, body.validated_data["level"])
        except CaseError as e:
            return _error(e)
        return Response(RecordSerializer(r).data)


# -- special operations ------------------------------------------------------------------------


class OperationSerializer(serializers.ModelSerializer):
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = [
            "id",
            "name",
            "starts_on",
            "ends_on",
            "period",
            "due_days",
            "units",
            "active",
            "indicators",
        ]

    def get_indicators(self, obj: Operation) -> list[dict[str, str]]:
        return [{"code": i.code, "name": i.name} for i in obj.indicators.all()]


class OperationFiguresSerializer(serializers.Serializer):
    indicators = serializers.ListField(child=serializers.DictField())
    totals = serializers.DictField(child=serializers.IntegerField())
    periods = serializers.ListField(child=serializers.CharField())
    trend = serializers.DictField()
    by_unit = serializers.DictField()
    pending = serializers.IntegerField()
    missing = serializers.ListField(child=serializers.DictField())


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = OperationReport
        fields = [
            "id",
            "operation",
            "unit",
            "period_start",
            "values",
            "state",
            "submitted_by",
            "submitted_at",
            "validated_by",
            "validated_at",
            "version",
        ]


class ReportInput(serializers.Serializer):
    unit = strict.IntegerField(min_value=1)
    period = serializers.DateField()
    values = serializers.DictField()


class CorrectInput(serializers.Serializer):
    values = serializers.DictField()
    note = serializers.CharField(max_length=1000)
    expected_version = strict.IntegerField(required=False, min_value=1)


class DecideInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=["validate", "reject"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    expected_version = strict.IntegerField(required=False, min_value=1)


class OperationList(generics.ListAPIView):
    serializer_class = OperationSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        return (
            ops.visible_operations(self.request.user)
            .prefetch_related("indicators", "units")
            .order_by("-id")
        )

    @extend_schema(operation_id="operation_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class OperationFigures(APIView):
    """Totals of validated reports, trend by period, by unit, and who has not reported."""

    @extend_schema(responses=OperationFiguresSerializer)
    def get(self, request: Request, pk: int) -> Response:
        op = _get(ops.get_operation, request, pk)
        return Response(ops.figures(request.user, op))


class ReportListCreate(generics.ListAPIView):
    serializer_class = ReportSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        op = _get(ops.get_operation, self.request, self.kwargs["pk"])
        return ops.visible_reports(self.request.user, op).order_by("-period_start", "unit_id")

    @extend_schema(operation_id="operation_report_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ReportInput, responses={201: ReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _get(ops.get_operation, request, pk)
        body = ReportInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            r = ops.submit_report(request.user, pk, d["unit"], d["period"], d["values"])
        except CaseError as e:
            return _error(e)
        return Response(ReportSerializer(r).data, status=status.HTTP_201_CREATED)


class ReportCorrect(APIView):
    @extend_schema(request=CorrectInput, responses=ReportSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = CorrectInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            r = ops.correct_report(
                request.user, pk, d["values"], d["note"], d.get("expected_version")
            )
        except CaseError as e:
            return _error(e)
        return Response(ReportSerializer(r).data)


class ReportDecide(APIView):
    @extend_schema(request=DecideInput, responses=ReportSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = DecideInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            r = ops.decide_report(
                request.user, pk, d["action"], d.get("note", ""), d.get("expected_version")
            )
        except CaseError as e:
            return _error(e)
        return Response(ReportSerializer(r).data)
