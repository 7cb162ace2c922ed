"""REST API of public legal services (/api/v1/legal/): the network, the scoped questions and
their actions for lawyers and staff, the figures; and, without an account, the resident's
asking, tracking, follow-up and rating (rate-limited per client IP like the public pages).
Idempotency-Key is honoured on every POST (fengqiao.api.idempotency)."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.api import fields as strict
from fengqiao.api.authentication import TokenScopePermission
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError
from fengqiao.core.masking import mask_phone

from . import actions
from .figures import figures, filter_questions, questions_for
from .limits import public_limit
from .models import Lawyer, Message, MessageKind, Question, ServicePoint, Topic
from .workflow import EVENT_LABELS, VIEW, allowed, capacities, sees_phone

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?[2-9]\d{6,7})$"
TEXT_PATTERN = r"[^\s]"


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _too_many() -> Response:
    return Response(
        error_body([error("throttled", "请求过于频繁，请稍后再试。", None)]), status=429
    )


def _question(request: Request, pk: Any) -> Question:
    return access_for(request.user).get(Question.objects.all(), pk, VIEW, missing=NotFound)


# -- output --------------------------------------------------------------------------------


class LegalTopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "code", "name"]


class LegalLawyerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lawyer
        fields = ["id", "name", "firm", "phone", "duty_hours"]


class LegalPointSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    lawyers = serializers.SerializerMethodField()

    class Meta:
        model = ServicePoint
        fields = ["id", "level", "name", "region", "region_name", "parent", "address", "phone",
                  "duty_hours", "lawyers"]  # fmt: skip

    @extend_schema_field(LegalLawyerSerializer(many=True))
    def get_lawyers(self, obj: ServicePoint) -> list[dict]:
        return LegalLawyerSerializer(obj.lawyers.filter(active=True), many=True).data  # type: ignore[return-value]


class LegalQuestionSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(source="topic.name", read_only=True)
    point_name = serializers.CharField(source="point.name", read_only=True)
    level = serializers.CharField(source="point.level", read_only=True)
    phone = serializers.SerializerMethodField()
    rating = strict.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Question
        fields = ["id", "number", "topic", "topic_name", "community", "point", "point_name",
                  "level", "state", "text", "name", "phone", "asked_at", "due_at", "escalations",
                  "first_answered_at", "answered_by", "rating", "rating_comment"]  # fmt: skip

    def get_phone(self, obj: Question) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return obj.phone if sees_phone(user, obj) else mask_phone(obj.phone)


class LegalMessageSerializer(serializers.ModelSerializer):
    lawyer_name = serializers.CharField(source="lawyer.name", read_only=True, default="")

    class Meta:
        model = Message
        fields = ["id", "kind", "text", "lawyer", "lawyer_name", "at"]


class LegalEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    at = serializers.DateTimeField()
    note = serializers.CharField()


class LegalReferralSerializer(serializers.Serializer):
    kind = serializers.CharField()
    economic_hardship = serializers.BooleanField(allow_null=True)
    case_type = serializers.IntegerField(source="case_type_id", allow_null=True)
    likely_eligible = serializers.BooleanField(allow_null=True)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    mediation = serializers.IntegerField(source="mediation_id", allow_null=True)
    note = serializers.CharField()
    at = serializers.DateTimeField()


class LegalQuestionDetailSerializer(LegalQuestionSerializer):
    messages = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    referral = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(LegalQuestionSerializer.Meta):
        fields = [*LegalQuestionSerializer.Meta.fields, "messages", "events", "referral",
                  "allowed_actions"]  # fmt: skip

    @extend_schema_field(LegalMessageSerializer(many=True))
    def get_messages(self, obj: Question) -> list[dict]:
        return LegalMessageSerializer(obj.messages.select_related("lawyer"), many=True).data  # type: ignore[return-value]

    @extend_schema_field(LegalEventSerializer(many=True))
    def get_events(self, obj: Question) -> list[dict]:
        rows = [
            {"action": e.action, "label": str(EVENT_LABELS.get(e.action, e.action)), "at": e.at,
             "note": e.note}
            for e in obj.events.order_by("at", "id")
        ]  # fmt: skip
        return LegalEventSerializer(rows, many=True).data  # type: ignore[return-value]

    @extend_schema_field(LegalReferralSerializer(allow_null=True))
    def get_referral(self, obj: Question) -> dict | None:
        ref = getattr(obj, "referral", None)
        return LegalReferralSerializer(ref).data if ref is not None else None

    def get_allowed_actions(self, obj: Question) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(allowed(obj.state, capacities(request.user, obj)))


class LegalPublicMessageSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[MessageKind.ANSWER, MessageKind.FOLLOW_UP])
    text = serializers.CharField()
    at = serializers.DateTimeField()
    lawyer = serializers.CharField()


class LegalPublicEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    at = serializers.DateTimeField()


class LegalPublicStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    link = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField()
    topic = serializers.CharField()
    text = serializers.CharField()
    point = serializers.CharField()
    point_phone = serializers.CharField()
    duty_hours = serializers.CharField()
    asked_at = serializers.DateTimeField()
    messages = LegalPublicMessageSerializer(many=True)
    events = LegalPublicEventSerializer(many=True)
    can_follow_up = serializers.BooleanField()
    can_rate = serializers.BooleanField()
    rating = serializers.IntegerField(allow_null=True)
    rating_comment = serializers.CharField()
    referral = serializers.CharField()


def _public(q: Question) -> dict:
    info = actions.public_status(q)
    info["link"] = f"/legal/q/{q.token}/"
    return LegalPublicStatusSerializer(info).data


class LegalFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    query = serializers.CharField(help_text="The filter of the question list behind the figure.")


class LegalFigureRowSerializer(LegalFigureSerializer):
    answered = serializers.IntegerField(required=False)
    rating = serializers.FloatField(allow_null=True, required=False)
    hours = serializers.FloatField(allow_null=True, required=False)


class LegalFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    waiting = serializers.IntegerField()
    escalated = serializers.IntegerField()
    answered = serializers.IntegerField()
    answer_hours = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    rating = serializers.FloatField(allow_null=True)
    by_level = LegalFigureSerializer(many=True)
    by_topic = LegalFigureSerializer(many=True)
    referrals = LegalFigureSerializer(many=True)
    per_point = LegalFigureRowSerializer(many=True)
    per_lawyer = LegalFigureRowSerializer(many=True)


# -- input ---------------------------------------------------------------------------------


class LegalAskRequestSerializer(serializers.Serializer):
    topic = strict.IntegerField(min_value=1)
    text = serializers.RegexField(TEXT_PATTERN, max_length=5000)
    phone = serializers.RegexField(PHONE_PATTERN, max_length=20)
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=50)
    community = strict.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    lon = strict.FloatField(
        required=False, allow_null=True, default=None, min_value=-180, max_value=180
    )
    lat = strict.FloatField(
        required=False, allow_null=True, default=None, min_value=-90, max_value=90
    )


class LegalAskedSerializer(serializers.Serializer):
    number = serializers.CharField()
    link = serializers.CharField()
    point = serializers.CharField()
    state = serializers.CharField()


class LegalTrackRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20)
    phone_last4 = serializers.RegexField(r"^\d{4}$")


class LegalFollowUpRequestSerializer(LegalTrackRequestSerializer):
    text = serializers.RegexField(TEXT_PATTERN, max_length=5000)


class LegalRateRequestSerializer(LegalTrackRequestSerializer):
    score = strict.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class LegalTextRequestSerializer(serializers.Serializer):
    text = serializers.RegexField(TEXT_PATTERN, max_length=5000)


class LegalAidReferralRequestSerializer(serializers.Serializer):
    economic_hardship = strict.BooleanField()
    case_type = strict.IntegerField(min_value=1)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)


class LegalMediationReferralRequestSerializer(serializers.Serializer):
    category = strict.IntegerField(min_value=1, help_text="A dispute category of the cases.")
    committee = strict.IntegerField(
        required=False, allow_null=True, default=None, min_value=1,
        help_text="A mediation committee the caller mediates for: the mediation is registered too.",
    )  # fmt: skip
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)


# -- public --------------------------------------------------------------------------------


# Residents ask without an account; a read-only token still may not write.
PUBLIC = [AllowAny, TokenScopePermission]


class PublicView(APIView):
    permission_classes = PUBLIC
    parser_classes = [JSONParser]

    def limited(self, request: Request) -> bool:
        if getattr(request.user, "is_authenticated", False):
            return False
        if public_limit.exceeded(request):
            return True
        public_limit.hit(request)
        return False


class TopicList(generics.ListAPIView):
    """The consultation topics (for a resident's app), without an account."""

    permission_classes = PUBLIC
    serializer_class = LegalTopicSerializer
    pagination_class = None
    queryset = Topic.objects.filter(active=True).order_by("sort", "code")


class Ask(PublicView):
    @extend_schema(request=LegalAskRequestSerializer, responses={201: LegalAskedSerializer},
                   summary="A resident asks a legal question (no account needed)")  # fmt: skip
    def post(self, request: Request) -> Response:
        if self.limited(request):
            return _too_many()
        body = LegalAskRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            asked = actions.ask(**body.validated_data)
        except CaseError as e:
            return _error(e)
        q = asked.question
        data = {"number": q.number, "link": asked.link, "point": q.point.name, "state": q.state}
        return Response(LegalAskedSerializer(data).data, status=status.HTTP_201_CREATED)


# The resident's question found by its code and the last 4 phone digits (else 404), changed by
# `change` with the checked body, then shown as the resident sees it. (A comment: a docstring
# would become each endpoint's description in the schema.)
class TrackView(PublicView):
    body: type[serializers.Serializer] = LegalTrackRequestSerializer

    def change(self, q: Question, data: dict[str, Any]) -> Question:
        return q

    def post(self, request: Request) -> Response:
        if self.limited(request):
            return _too_many()
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            q = actions.by_code(d["number"], d["phone_last4"])
        except CaseError:
            raise NotFound() from None
        try:
            q = self.change(q, d)
        except CaseError as e:
            return _error(e)
        return Response(_public(q))


@extend_schema(request=LegalTrackRequestSerializer, responses={200: LegalPublicStatusSerializer},
               summary="The resident's view of their question (code and last 4 phone digits)")  # fmt: skip
class Track(TrackView):
    pass


@extend_schema(request=LegalFollowUpRequestSerializer, responses={200: LegalPublicStatusSerializer})
class TrackFollowUp(TrackView):
    body = LegalFollowUpRequestSerializer

    def change(self, q: Question, data: dict[str, Any]) -> Question:
        return actions.follow_up(q, text=data["text"])


@extend_schema(request=LegalRateRequestSerializer, responses={200: LegalPublicStatusSerializer})
class TrackRate(TrackView):
    body = LegalRateRequestSerializer

    def change(self, q: Question, data: dict[str, Any]) -> Question:
        return actions.rate(q, score=data["score"], comment=data["comment"])


# -- staff ---------------------------------------------------------------------------------


class PointList(generics.ListAPIView):
    """The points of the network in the caller's view, with their lawyers and duty hours."""

    serializer_class = LegalPointSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        return (
            actions.visible(self.request.user, ServicePoint.objects.filter(active=True))
            .select_related("region")
            .order_by("id")
        )


class QuestionList(generics.ListAPIView):
    """Questions in the caller's view; filters as on the figures' drill-down (level, topic,
    point, lawyer, referral, state, rated=1, escalated=1)."""

    serializer_class = LegalQuestionSerializer
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        qs, _applied = filter_questions(questions_for(self.request.user), self.request.query_params)
        return qs.select_related("topic", "point").order_by("-asked_at", "-id")


class QuestionDetail(APIView):
    @extend_schema(responses=LegalQuestionDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        q = _question(request, pk)
        return Response(LegalQuestionDetailSerializer(q, context={"request": request}).data)


def _detail(request: Request, pk: int) -> Response:
    q = _question(request, pk)
    return Response(LegalQuestionDetailSerializer(q, context={"request": request}).data)


# A staff action on one question in view (else 404): the body checked by `body`, passed to
# `act` as keywords; the answer is the question as it then stands.
class QuestionAction(APIView):
    parser_classes = [JSONParser]
    body: type[serializers.Serializer]
    act: Callable[..., Any]

    def post(self, request: Request, pk: int) -> Response:
        _question(request, pk)
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            self.act(request.user, pk, **body.validated_data)
        except CaseError as e:
            return _error(e)
        return _detail(request, pk)


@extend_schema(request=LegalTextRequestSerializer, responses={200: LegalQuestionDetailSerializer})
class QuestionAnswer(QuestionAction):
    body = LegalTextRequestSerializer
    act = staticmethod(actions.answer)


@extend_schema(request=LegalTextRequestSerializer, responses={200: LegalQuestionDetailSerializer})
class QuestionNote(QuestionAction):
    body = LegalTextRequestSerializer
    act = staticmethod(actions.note)


@extend_schema(
    request=LegalAidReferralRequestSerializer, responses={200: LegalQuestionDetailSerializer}
)
class QuestionReferAid(QuestionAction):
    body = LegalAidReferralRequestSerializer
    act = staticmethod(actions.refer_aid)


@extend_schema(
    request=LegalMediationReferralRequestSerializer, responses={200: LegalQuestionDetailSerializer}
)
class QuestionReferMediation(QuestionAction):
    body = LegalMediationReferralRequestSerializer
    act = staticmethod(actions.refer_mediation)


class Figures(APIView):
    @extend_schema(responses=LegalFiguresSerializer, summary="Figures of the questions in view")
    def get(self, request: Request) -> Response:
        return Response(LegalFiguresSerializer(figures(questions_for(request.user))).data)
