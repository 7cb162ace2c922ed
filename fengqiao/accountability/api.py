"""REST API of responsibility letters and assessment (/api/v1/accountability/): the same scoped
queries and actions as the pages. Idempotency-Key is honoured on every POST (fengqiao.api
.idempotency); action errors become the API's error shape with their status."""

from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
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

from . import actions
from .models import (
    Evidence,
    Letter,
    LetterTask,
    MemberUnit,
    ProgressReport,
    Run,
    Scheme,
    Score,
    TargetKind,
)
from .workflow import LETTER_TRANSITIONS, TASK_TRANSITIONS, VIEW, allowed, capacities


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _get(request: Request, model: type[Model], pk: Any) -> Any:
    return access_for(request.user).get(model._default_manager.all(), pk, VIEW, missing=NotFound)


class LetterTaskSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = LetterTask
        fields = ["id", "seq", "title", "measures", "target_kind", "target_number", "target_unit",
                  "deadline", "weight", "state", "achieved_number", "done_at", "overdue",
                  "allowed_actions"]  # fmt: skip

    def get_overdue(self, obj: LetterTask) -> bool:
        return actions.overdue(LetterTask.objects.filter(pk=obj.pk)).exists()

    def get_allowed_actions(self, obj: LetterTask) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        held = capacities(request.user, obj.letter.member_unit)
        return sorted(allowed(TASK_TRANSITIONS, obj.state, held))


class LetterSerializer(serializers.ModelSerializer):
    year = strict.IntegerField(source="member_unit.group.year", read_only=True)
    unit = strict.IntegerField(source="member_unit.unit_id", read_only=True)
    unit_name = serializers.CharField(source="member_unit.unit.name", read_only=True)

    class Meta:
        model = Letter
        fields = ["id", "year", "unit", "unit_name", "number", "state", "group_signatory",
                  "group_signed_at", "unit_signatory", "unit_signed_at", "version"]  # fmt: skip


class LetterDetailSerializer(LetterSerializer):
    tasks = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(LetterSerializer.Meta):
        fields = [*LetterSerializer.Meta.fields, "preamble", "terms", "tasks", "allowed_actions"]

    @extend_schema_field(LetterTaskSerializer(many=True))
    def get_tasks(self, obj: Letter) -> list[dict]:
        return LetterTaskSerializer(obj.tasks.order_by("seq"), many=True, context=self.context).data  # type: ignore[return-value]

    def get_allowed_actions(self, obj: Letter) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(
            allowed(LETTER_TRANSITIONS, obj.state, capacities(request.user, obj.member_unit))
        )


class ProgressReportSerializer(serializers.ModelSerializer):
    evidence: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = ProgressReport
        fields = ["id", "task", "text", "achieved_number", "complete", "state", "submitted_at",
                  "reviewed_at", "review_note", "evidence"]  # fmt: skip


class AssessmentScoreSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(source="subject_name", read_only=True)
    breakdown = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = Score
        fields = ["id", "unit", "street", "subject", "total", "rank", "vetoed", "breakdown"]


class AssessmentRunSerializer(serializers.ModelSerializer):
    frozen = strict.BooleanField(read_only=True)

    class Meta:
        model = Run
        fields = ["id", "scheme", "version", "computed_at", "frozen", "frozen_at", "note"]


class AssessmentSchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scheme
        fields = ["id", "group", "name", "subject_kind", "period_start", "period_end"]


# -- input ---------------------------------------------------------------------------------


class LetterTaskIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    measures = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    target_number = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    target_unit = serializers.CharField(required=False, default="", allow_blank=True, max_length=20)
    deadline = serializers.DateField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))


class LetterSignIn(serializers.Serializer):
    side = serializers.ChoiceField(choices=["group", "unit"])
    signatory = serializers.CharField(max_length=50)


class ProgressReportIn(serializers.Serializer):
    text = serializers.CharField(max_length=10000)
    complete = strict.BooleanField(required=False, default=False)
    achieved_number = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )


class ProgressReviewIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return"])
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class AssessmentNoteIn(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class FreezeIn(serializers.Serializer):
    pass


# -- views ---------------------------------------------------------------------------------


class LetterList(generics.ListAPIView):
    """Responsibility letters the caller may see (office and leaders: all; a liaison: its own)."""

    serializer_class = LetterSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        return (
            actions.visible(self.request.user, Letter.objects.all())
            .select_related("member_unit__group", "member_unit__unit")
            .order_by("id")
        )


class LetterDetail(APIView):
    @extend_schema(responses=LetterDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        letter = _get(request, Letter, pk)
        return Response(LetterDetailSerializer(letter, context={"request": request}).data)


def _letter(request: Request, pk: int) -> Response:
    letter = _get(request, Letter, pk)
    return Response(LetterDetailSerializer(letter, context={"request": request}).data)


class LetterTasks(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=LetterTaskIn, responses={201: LetterTaskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _get(request, Letter, pk)
        body = LetterTaskIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            task = actions.add_task(request.user, pk, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(
            LetterTaskSerializer(task, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class LetterSign(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=LetterSignIn, responses={200: LetterDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _get(request, Letter, pk)
        body = LetterSignIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            actions.sign(request.user, pk, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return _letter(request, pk)


class TaskReports(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=ProgressReportSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        task = _get(request, LetterTask, pk)
        return Response(ProgressReportSerializer(task.reports.all(), many=True).data)

    @extend_schema(request=ProgressReportIn, responses={201: ProgressReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task = _get(request, LetterTask, pk)
        body = ProgressReportIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = actions.report_progress(request.user, task, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return Response(ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportReview(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=ProgressReviewIn, responses={200: ProgressReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = _get(request, ProgressReport, pk)
        body = ProgressReviewIn(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            report = actions.review(
                request.user, report, accept=d["decision"] == "accept", note=d["note"]
            )
        except CaseError as e:
            return _error(e)
        return Response(ProgressReportSerializer(report).data)


class SchemeList(generics.ListAPIView):
    serializer_class = AssessmentSchemeSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        return actions.visible(self.request.user, Scheme.objects.all()).order_by("id")


class SchemeRuns(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=AssessmentRunSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        scheme = _get(request, Scheme, pk)
        return Response(AssessmentRunSerializer(scheme.runs.order_by("-version"), many=True).data)

    @extend_schema(
        request=AssessmentNoteIn,
        responses={201: AssessmentRunSerializer},
        summary="Compute a new version",
    )
    def post(self, request: Request, pk: int) -> Response:
        _get(request, Scheme, pk)
        body = AssessmentNoteIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = actions.compute(request.user, pk, note=body.validated_data["note"])
        except CaseError as e:
            return _error(e)
        return Response(AssessmentRunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunScores(APIView):
    @extend_schema(
        responses=AssessmentScoreSerializer(many=True),
        summary="Scores with their breakdown, by rank",
    )
    def get(self, request: Request, pk: int) -> Response:
        run = _get(request, Run, pk)
        scores = actions.visible(request.user, Score.objects.filter(run=run)).select_related(
            "unit", "street"
        )
        return Response(AssessmentScoreSerializer(scores.order_by("rank", "id"), many=True).data)


class RunFreeze(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=FreezeIn, responses={200: AssessmentRunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        run = _get(request, Run, pk)
        try:
            run = actions.freeze(request.user, run)
        except CaseError as e:
            return _error(e)
        return Response(AssessmentRunSerializer(run).data)


class LetterCreateIn(serializers.Serializer):
    number = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)
    preamble = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    terms = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class SubjectIn(serializers.Serializer):
    unit = strict.IntegerField(required=False, allow_null=True, default=None,
                               help_text="the member unit's unit (unit schemes)")  # fmt: skip
    street = strict.IntegerField(required=False, allow_null=True, default=None,
                                 help_text="the street (street schemes)")  # fmt: skip


class ReviewScoreIn(SubjectIn):
    indicator = strict.IntegerField(help_text="a reviewed indicator of the scheme")
    score = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal(0))
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class OccurrenceIn(SubjectIn):
    rule = strict.IntegerField(help_text="a bonus, deduction or veto rule of the scheme")
    happened_on = serializers.DateField()
    reason = serializers.CharField(max_length=10000)


class Created(serializers.Serializer):
    id = strict.IntegerField()


class MemberUnitLetter(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=LetterCreateIn, responses={201: LetterDetailSerializer},
                   summary="Draft the member unit's letter (the office)")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        mu = _get(request, MemberUnit, pk)
        body = LetterCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            letter = actions.create_letter(request.user, mu, **body.validated_data)
        except CaseError as e:
            return _error(e)
        data = LetterDetailSerializer(letter, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class SchemeReviewScores(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=ReviewScoreIn, responses={201: Created},
                   summary="A reviewer's score of a reviewed indicator")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        scheme = _get(request, Scheme, pk)
        body = ReviewScoreIn(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        ind = scheme.indicators.filter(pk=d.pop("indicator")).first()
        if ind is None:
            return Response(
                error_body([error("does_not_exist", "no such indicator", "indicator")]), status=400
            )
        try:
            row = actions.score_indicator(request.user, ind, **d)
        except CaseError as e:
            return _error(e)
        return Response({"id": row.pk}, status=status.HTTP_201_CREATED)


class SchemeOccurrences(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=OccurrenceIn, responses={201: Created},
                   summary="Record a bonus, deduction or one-vote veto event")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        scheme = _get(request, Scheme, pk)
        body = OccurrenceIn(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        rule = scheme.rules.filter(pk=d.pop("rule")).first()
        if rule is None:
            return Response(
                error_body([error("does_not_exist", "no such rule", "rule")]), status=400
            )
        try:
            row = actions.record_occurrence(request.user, rule, **d)
        except CaseError as e:
            return _error(e)
        return Response({"id": row.pk}, status=status.HTTP_201_CREATED)


class EvidenceFile(APIView):
    @extend_schema(responses={(200, ct): OpenApiResponse(OpenApiTypes.BINARY) for ct, _e, _t in SIGNATURES},
                   summary="An evidence file of a progress report")  # fmt: skip
    def get(self, request: Request, pk: int) -> HttpResponse:
        return serve_file(_get(request, Evidence, pk))
