"""REST API v1 for cases (/api/v1/cases/): the same scoped queries and actions as the UI.

Service errors (fengqiao.cases.errors) become the API's error shape with their own status:
400 bad input, 403 not permitted, 404 outside scope, 409 stale version or a transition the
case's state does not allow.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse, HttpResponseBase, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api.errors import error, error_body
from fengqiao.api.output import represent, represent_many
from fengqiao.api.parsers import JSONParser
from fengqiao.cases import actions, queries
from fengqiao.cases.attachments import SIGNATURES
from fengqiao.cases.attachments import serve as serve_attachment
from fengqiao.cases.errors import CaseError
from fengqiao.cases.forms import CaseFilterForm
from fengqiao.cases.masking import Disclosure, disclosure, party_view, reporter_view
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseKind,
    CaseState,
    Category,
    Channel,
    Note,
    Party,
    RiskLevel,
    Task,
)
from fengqiao.cases.serializers import (
    TASK_ACTIONS,
    TASK_SERIALIZERS,
    TRANSITION_SERIALIZERS,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CaseCoreSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseListItemSerializer,
    CaseOnTheSpotSerializer,
    CasePageSerializer,
    CategorySerializer,
    ChannelSerializer,
    InboxItemSerializer,
    NoteCreateSerializer,
    NoteSerializer,
    TaskSerializer,
)
from fengqiao.cases.views import WORKING_PERMS
from fengqiao.cases.views_actions import perform
from fengqiao.cases.workflow import allowed_actions, in_scope_known
from fengqiao.core.masking import batched_sensitive_reads


def case_error_response(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _access(request: Request) -> Access:
    access = access_for(request.user)
    if not access.has_perm(Perm.CASE_VIEW):
        raise PermissionDenied()
    return access


def _case(access: Access, pk: int) -> Case:
    case = (
        access.visible(Case.objects.all(), Perm.CASE_VIEW)
        .select_related("category", "channel", "handling_unit", "community", "grid")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def _full(case: Case, access: Access, check: Callable[[str], bool] | None = None) -> bool:
    check = check or (lambda p: access.holds(case, p))
    return any(check(p) for p in WORKING_PERMS if access.has_perm(p))


def _detail(
    case: Case, access: Access, *, new: bool = False, parties: list[Party] | None = None
) -> dict[str, Any]:
    """The case as `access` may see it. `new`: the case was created by this request, so its
    rows are all in memory (`parties` as written, no tasks yet) and scope is decided without a
    query."""
    memo: dict[str, bool] = {}

    def known(perm: str) -> bool:
        if perm not in memo:
            memo[perm] = in_scope_known(case, access, perm)
        return memo[perm]

    check = known if new else None

    full = _full(case, access, check)
    history: Iterable[CaseHistory]
    tasks: Iterable[Task]
    if new:
        current = case.current_history
        assert current is not None  # the intake wrote it in this transaction
        history = [current] if full or current.public else []
        if parties is None:
            parties = list(case.parties.all())
        tasks = []
    else:
        history = CaseHistory.objects.filter(case=case).select_related("actor").order_by("at", "id")
        if not full:
            history = history.filter(public=True)
        parties = list(case.parties.all())
        tasks = case.tasks.select_related("unit").order_by("-active", "role", "id")
    out = represent(CaseCoreSerializer, case)
    sensitive: bool | Disclosure
    if new:
        sensitive = access.has_perm(Perm.SENSITIVE_VIEW) and known(Perm.SENSITIVE_VIEW)
    else:
        sensitive = disclosure(case, access)
    with batched_sensitive_reads():
        out["reporter"] = reporter_view(case, access, purpose="api", sensitive=sensitive)
        out["parties"] = [
            party_view(p, access, "api", case=case, sensitive=sensitive) for p in parties
        ]
    out["tasks"] = represent_many(TaskSerializer, tasks)
    out["history"] = _history_out(history, internal=full)
    out["allowed_transitions"] = [t.name for t in allowed_actions(case, access, check)]
    return out


def _history_out(rows: Iterable[CaseHistory], *, internal: bool) -> list[dict[str, Any]]:
    """The timeline; the internal note only for those who work on the case (`internal`)."""
    return [
        {
            "at": serializers.DateTimeField().to_representation(h.at),
            "actor": h.actor.get_full_name() if h.actor else None,
            "action": h.action,
            "from_state": h.from_state,
            "to_state": h.to_state,
            "note": h.note if internal else "",
            "public_reply": h.public_reply,
            "public": h.public,
        }
        for h in rows
    ]


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Full-text search (Chinese, segmented)."),
    OpenApiParameter("state", str, enum=CaseState.values),
    OpenApiParameter("kind", str, enum=CaseKind.values),
    OpenApiParameter("category", int, description="Category id: it and its subtree."),
    OpenApiParameter("region", int, description="Region id: its whole subtree."),
    OpenApiParameter("channel", int, description="Channel id."),
    OpenApiParameter("risk", str, enum=RiskLevel.values),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
    OpenApiParameter("limit", int, description="Page size, 1–100 (default 25)."),
]


class CaseListCreate(APIView):
    """Cases you may see, newest first (keyset pagination); register a case (intake)."""

    parser_classes = [JSONParser]

    @extend_schema(
        parameters=LIST_PARAMETERS, responses=CasePageSerializer, operation_id="cases_list"
    )
    def get(self, request: Request) -> Response:
        access = _access(request)
        params = QueryDict(mutable=True)
        for key, values in request.query_params.lists():
            value = values[-1]  # what QueryDict.items() gives: the key's last value
            params[key] = {"true": "true", "false": "false"}.get(value, value)
        form = CaseFilterForm(params, regions=access.regions(Perm.CASE_VIEW))
        if not form.is_valid():
            raise ValidationError({
                k: [ErrorDetail(e["message"], code=e["code"] or "invalid") for e in v]
                for k, v in form.errors.get_json_data().items()
            })  # fmt: skip
        try:
            limit = int(request.query_params.get("limit") or queries.DEFAULT_PAGE)
            if not 1 <= limit <= queries.MAX_PAGE:
                raise ValueError
        except ValueError:
            raise ValidationError({"limit": ["1–100"]}) from None
        try:
            page = queries.case_page(
                request.user, form.filters(), cursor=request.query_params.get("cursor"), limit=limit
            )
        except CaseError as e:
            return case_error_response(e)
        return Response(
            {
                "results": represent_many(CaseListItemSerializer, page.items),
                "next_cursor": page.next_cursor,
            }
        )

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseDetailSerializer})
    def post(self, request: Request) -> Response:
        body = CaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        channel = data.pop("channel")
        data["parties"] = [dict(p) for p in data.get("parties", [])]
        access = access_for(request.user)
        try:
            # The answer is built in the intake's transaction: the case and the log of the
            # sensitive fields the answer shows commit together, in one commit.
            result = actions.intake(
                request.user,
                data,
                channel,
                respond=lambda case, parties: _detail(case, access, new=True, parties=parties),
            )
        except CaseError as e:
            return case_error_response(e)
        return Response(result.answer, status=status.HTTP_201_CREATED)


class CaseOnTheSpotCreate(APIView):
    """Report a matter already settled on the spot (就地化解): the case is created resolved."""

    parser_classes = [JSONParser]

    @extend_schema(request=CaseOnTheSpotSerializer, responses={201: CaseDetailSerializer})
    def post(self, request: Request) -> Response:
        body = CaseOnTheSpotSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        channel, outcome = data.pop("channel"), data.pop("outcome")
        data["parties"] = [dict(p) for p in data.get("parties", [])]
        access = access_for(request.user)
        try:
            result = actions.resolve_on_the_spot(
                request.user, data, channel, outcome=outcome,
                respond=lambda case, parties: _detail(case, access, new=True, parties=parties),
            )  # fmt: skip
        except CaseError as e:
            return case_error_response(e)
        return Response(result.answer, status=status.HTTP_201_CREATED)


class CaseDetail(APIView):
    """One case: sensitive fields masked unless you may see them (unmasked reads are logged)."""

    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        return Response(_detail(_case(access, pk), access))


def transition_view(name: str) -> Callable[..., HttpResponseBase]:
    body_serializer = TRANSITION_SERIALIZERS[name]

    class TransitionView(APIView):
        parser_classes = [JSONParser]

        @extend_schema(
            request=body_serializer,
            responses={200: CaseDetailSerializer},
            operation_id=f"cases_transition_{name}",
            summary=f"Transition “{name}”",
            description=(
                "Make this transition with the version of the case you loaded "
                "(409 if someone changed it since, or if the case's state does not allow it)."
            ),
        )
        def post(self, request: Request, pk: int) -> Response:
            access = _access(request)
            case = _case(access, pk)
            body = body_serializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                perform(request.user, case, name, body.validated_data)
            except CaseError as e:
                return case_error_response(e)
            return Response(_detail(_case(access, pk), access))

    TransitionView.__name__ = f"Transition_{name}"
    TransitionView.__doc__ = f"Transition “{name}” of a case."
    return TransitionView.as_view()


class TaskList(APIView):
    """The tasks of the lead and co-handling units on a case."""

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        case = _case(_access(request), pk)
        tasks = case.tasks.select_related("unit").order_by("-active", "role", "id")
        return Response(TaskSerializer(tasks, many=True).data)


def task_view(action: str) -> Callable[..., HttpResponseBase]:
    service_name, _fields = TASK_ACTIONS[action]
    body_serializer = TASK_SERIALIZERS[action]

    class TaskActionView(APIView):
        parser_classes = [JSONParser]

        @extend_schema(
            request=body_serializer,
            responses={200: TaskSerializer},
            operation_id=f"cases_task_{action}",
        )
        def post(self, request: Request, pk: int, task_id: int) -> Response:
            case = _case(_access(request), pk)
            task = Task.objects.filter(pk=task_id, case=case).first()
            if task is None:
                raise NotFound()
            body = body_serializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                perform(request.user, case, service_name, {"task": task, **body.validated_data})
            except CaseError as e:
                return case_error_response(e)
            task.refresh_from_db()
            return Response(
                TaskSerializer(Task.objects.select_related("unit").get(pk=task.pk)).data
            )

    TaskActionView.__name__ = f"Task_{action}"
    TaskActionView.__doc__ = f"{action.capitalize()} a task (your unit's own task)."
    return TaskActionView.as_view()


class NoteListCreate(APIView):
    """Notes on a case (internal notes only for those who work on it); add a progress note."""

    parser_classes = [JSONParser]

    @extend_schema(responses=NoteSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        case = _case(access, pk)
        notes = Note.objects.filter(case=case).select_related("author").order_by("created_at", "id")
        if not _full(case, access):
            notes = notes.filter(public=True)
        return Response(NoteSerializer(notes, many=True).data)

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer})
    def post(self, request: Request, pk: int) -> Response:
        case = _case(_access(request), pk)
        body = NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            note = perform(request.user, case, "add_progress", data)
        except CaseError as e:
            return case_error_response(e)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class AttachmentListCreate(APIView):
    """Attachments of a case; upload an image or PDF (checked by content and size)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        case = _case(access, pk)
        rows = case.attachments.order_by("uploaded_at", "id")
        if not _full(case, access):
            rows = rows.filter(public=True)
        return Response(AttachmentSerializer(rows, many=True).data)

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        case = _case(_access(request), pk)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            attachment = perform(request.user, case, "add_attachment", body.validated_data)
        except CaseError as e:
            return case_error_response(e)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentFile(APIView):
    """The file of one attachment (the same files as the list: all of them to those who work the
    case, the public ones to those who only view it)."""

    @extend_schema(
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY)
            for content_type, _ext, _test in SIGNATURES
        }
    )
    def get(self, request: Request, pk: int, attachment_id: int) -> HttpResponse:
        access = _access(request)
        case = _case(access, pk)
        rows = case.attachments.all()
        if not _full(case, access):
            rows = rows.filter(public=True)
        attachment = rows.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        return serve_attachment(attachment)


class InboxList(APIView):
    """Your inbox: items for you or your units, on cases you may see."""

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only unread items.")],
        responses=InboxItemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _access(request)
        unread = request.query_params.get("unread") in ("1", "true")
        items = queries.inbox(request.user, unread_only=unread)
        return Response(InboxItemSerializer(items, many=True).data)


class CategoryList(APIView):
    """The case taxonomy (active categories)."""

    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request: Request) -> Response:
        _access(request)
        rows = Category.objects.filter(active=True).order_by("family", "path")
        return Response(CategorySerializer(rows, many=True).data)


class ChannelList(APIView):
    """Intake channels (active)."""

    @extend_schema(responses=ChannelSerializer(many=True))
    def get(self, request: Request) -> Response:
        _access(request)
        return Response(ChannelSerializer(Channel.objects.filter(active=True), many=True).data)
