"""REST API of risk (/api/v1/risk/): assessments, warnings, warning rules and their dry run.
The same scoped queries and actions as the pages; action errors become the API's error shape
(400 bad input, 403 not permitted, 404 outside scope, 409 state or version)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination
from fengqiao.cases.errors import CaseError

from . import actions, rule_edit, rules
from .models import Assessment, Level, RuleKind, TargetKind, Warning, WarningRule, WarningState


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _get(fn: Any, request: Request, pk: int) -> Any:
    try:
        return fn(request.user, pk)
    except CaseError:
        raise DrfNotFound() from None


class AssessmentSerializer(serializers.ModelSerializer):
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True)
    person_name = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "target_kind",
            "title",
            "case",
            "party",
            "person_name",
            "place_name",
            "project_name",
            "region_path",
            "grid",
            "factors",
            "level",
            "measures",
            "responsible_unit",
            "responsible_unit_name",
            "review_date",
            "state",
            "created_at",
            "assessed_at",
            "version",
        ]

    def get_person_name(self, obj: Assessment) -> str:
        # A person's name is sensitive: masked unless the reader's role needs it (logged then).
        from fengqiao.accounts.access import access_for
        from fengqiao.accounts.roles import Perm
        from fengqiao.core.masking import log_sensitive_read, mask_name

        user = self.context["request"].user
        access = access_for(user)
        if (
            obj.person_name
            and access.has_perm(Perm.SENSITIVE_VIEW)
            and access.has_perm(Perm.RISK_HANDLE)
        ):
            log_sensitive_read(user, obj, "person_name", "risk API")
            return obj.person_name
        return mask_name(obj.person_name)


class AssessmentCreateSerializer(serializers.Serializer):
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    title = serializers.CharField(max_length=200)
    case = strict.IntegerField(required=False, allow_null=True, min_value=1)
    party = strict.IntegerField(required=False, allow_null=True, min_value=1)
    person_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    person_id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    place_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    project_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    region = serializers.CharField(required=False, allow_blank=True, max_length=20)
    factors = serializers.ListField(child=serializers.DictField(), required=False, max_length=50)
    level = serializers.ChoiceField(choices=Level.choices)
    measures = serializers.CharField(max_length=4000)
    responsible_unit = strict.IntegerField(min_value=1)
    review_date = serializers.DateField()


class ReassessSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    measures = serializers.CharField(max_length=4000)
    factors = serializers.ListField(child=serializers.DictField(), required=False, max_length=50)
    review_date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    expected_version = strict.IntegerField(required=False, min_value=1)


class RiskNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)
    expected_version = strict.IntegerField(required=False, min_value=1)


class WarningSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True, default="")
    target_unit_name = serializers.CharField(source="target_unit.name", read_only=True, default="")

    class Meta:
        model = Warning
        fields = [
            "id",
            "kind",
            "level",
            "title",
            "evidence",
            "rule",
            "rule_name",
            "case",
            "assessment",
            "region_path",
            "grid",
            "target_unit",
            "target_unit_name",
            "state",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "handled_at",
            "handled_by",
            "closed_at",
            "closed_by",
            "version",
        ]


class WarningActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["acknowledge", "handle", "close"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    expected_version = strict.IntegerField(required=False, min_value=1)


class RuleSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = WarningRule
        fields = [
            "id",
            "name",
            "kind",
            "params",
            "level",
            "region",
            "target_unit",
            "enabled",
            "updated_at",
            "version",
        ]


class RuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    params = serializers.DictField(required=False)
    level = serializers.ChoiceField(choices=Level.choices)
    region = serializers.CharField(max_length=20)
    target_unit = strict.IntegerField(required=False, allow_null=True, min_value=1)
    enabled = strict.BooleanField(required=False)
    expected_version = strict.IntegerField(required=False, min_value=1)


class DryRunSerializer(serializers.Serializer):
    days = strict.IntegerField(min_value=1, max_value=rules.MAX_DRY_RUN_DAYS)


class HitSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    subject = serializers.CharField()
    evidence = serializers.DictField()


class AssessmentListCreate(generics.ListAPIView):
    serializer_class = AssessmentSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        qs = actions.visible_assessments(self.request.user).select_related("responsible_unit")
        state = self.request.query_params.get("state")
        return (qs.filter(state=state) if state in ("open", "closed") else qs).order_by("-id")

    @extend_schema(
        operation_id="risk_assessment_list",
        parameters=[OpenApiParameter("state", str, enum=["open", "closed"])],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def post(self, request: Request) -> Response:
        body = AssessmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            a = actions.create_assessment(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(
            AssessmentSerializer(a, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class AssessmentDetail(APIView):
    @extend_schema(responses=AssessmentSerializer)
    def get(self, request: Request, pk: int) -> Response:
        a = _get(actions.get_assessment, request, pk)
        return Response(AssessmentSerializer(a, context={"request": request}).data)


class AssessmentReassess(APIView):
    @extend_schema(request=ReassessSerializer, responses=AssessmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _get(actions.get_assessment, request, pk)
        body = ReassessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        try:
            a = actions.reassess(request.user, pk, d, d.pop("expected_version", None))
        except CaseError as e:
            return _error(e)
        return Response(AssessmentSerializer(a, context={"request": request}).data)


class AssessmentClose(APIView):
    @extend_schema(request=RiskNoteSerializer, responses=AssessmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _get(actions.get_assessment, request, pk)
        body = RiskNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            a = actions.close_assessment(request.user, pk, d["note"], d.get("expected_version"))
        except CaseError as e:
            return _error(e)
        return Response(AssessmentSerializer(a, context={"request": request}).data)


class WarningList(generics.ListAPIView):
    serializer_class = WarningSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        qs = actions.visible_warnings(self.request.user).select_related("rule", "target_unit")
        state = self.request.query_params.get("state")
        return (qs.filter(state=state) if state in WarningState.values else qs).order_by("-id")

    @extend_schema(
        operation_id="risk_warning_list",
        parameters=[OpenApiParameter("state", str, enum=WarningState.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WarningDetail(APIView):
    @extend_schema(responses=WarningSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(WarningSerializer(_get(actions.get_warning, request, pk)).data)


class WarningAction(APIView):
    @extend_schema(request=WarningActionSerializer, responses=WarningSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _get(actions.get_warning, request, pk)
        body = WarningActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            w = actions.move_warning(
                request.user, pk, d["action"], d.get("note", ""), d.get("expected_version")
            )
        except CaseError as e:
            return _error(e)
        return Response(WarningSerializer(w).data)


class RuleListCreate(generics.ListAPIView):
    serializer_class = RuleSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        from fengqiao.accounts.access import access_for
        from fengqiao.accounts.roles import Perm

        return (
            access_for(self.request.user)
            .visible(WarningRule.objects.select_related("region"), Perm.RISK_RULES)
            .order_by("id")
        )

    @extend_schema(operation_id="risk_rule_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RuleInputSerializer, responses={201: RuleSerializer})
    def post(self, request: Request) -> Response:
        body = RuleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            r = rule_edit.save_rule(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(RuleSerializer(r).data, status=status.HTTP_201_CREATED)


class RuleDetail(APIView):
    @extend_schema(responses=RuleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RuleSerializer(_get(rule_edit.rule_from, request, pk)).data)

    @extend_schema(request=RuleInputSerializer, responses=RuleSerializer)
    def put(self, request: Request, pk: int) -> Response:
        _get(rule_edit.rule_from, request, pk)
        body = RuleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        try:
            r = rule_edit.save_rule(request.user, d, pk, d.get("expected_version"))
        except CaseError as e:
            return _error(e)
        return Response(RuleSerializer(r).data)


class RuleDryRun(APIView):
    """What the rule would have raised over the last `days` days (nothing is raised)."""

    @extend_schema(request=DryRunSerializer, responses=HitSerializer(many=True))
    def post(self, request: Request, pk: int) -> Response:
        rule = _get(rule_edit.rule_from, request, pk)
        body = DryRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        hits = rules.dry_run(rule, body.validated_data["days"])
        return Response(HitSerializer(hits, many=True).data)
