"""Endpoints of the API foundation: who am I, and self-service API tokens."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import ROLE_PERMISSIONS, Perm
from fengqiao.api import fields as strict
from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import issue_token, manageable_users, revoke_token


class RefSerializer(serializers.Serializer):
    id = strict.IntegerField()
    name = serializers.CharField()


class CodedRefSerializer(RefSerializer):
    code = serializers.CharField()


class RoleScopeSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    scope_type = serializers.CharField()
    region = CodedRefSerializer(allow_null=True)
    unit = RefSerializer(allow_null=True)
    grids = CodedRefSerializer(many=True, source="grids.all")
    permissions = serializers.SerializerMethodField()

    def get_permissions(self, assignment) -> list[str]:
        return sorted(ROLE_PERMISSIONS.get(assignment.role, ()))


class CurrentTokenSerializer(serializers.Serializer):
    id = strict.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    read_only = strict.BooleanField()


class MeSerializer(serializers.Serializer):
    id = strict.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    unit = RefSerializer(allow_null=True)
    language = serializers.CharField(help_text=_("The language of messages in this answer."))
    roles = RoleScopeSerializer(many=True, help_text=_("Each role held, with its scope."))
    permissions = serializers.ListField(
        child=serializers.CharField(), help_text=_("Every capability of all roles held.")
    )
    token = CurrentTokenSerializer(
        allow_null=True, help_text=_("The API token of this request; null for a session.")
    )


class MeView(APIView):
    """The current account: its roles and their scopes, and the token in use."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        access = access_for(user)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "id": user.pk,
            "username": user.username,
            "name": user.get_full_name(),
            "unit": user.unit,
            "language": get_language(),
            "roles": sorted(access.assignments, key=lambda a: (a.role, a.pk)),
            "permissions": sorted(
                {p for a in access.assignments for p in ROLE_PERMISSIONS[a.role]}
            ),
            "token": token,
        }
        return Response(MeSerializer(data).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "read_only",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        ]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    read_only = strict.BooleanField(required=False, default=False)


class IssuedTokenSerializer(ApiTokenSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The token itself, shown this once. Null when the answer is replayed for a retried "
            "request with the same Idempotency-Key."
        ),
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class TokenListCreate(generics.ListAPIView):
    """Your own API tokens. Administrators may issue themselves a new one."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=TokenCreateSerializer, responses={201: IssuedTokenSerializer})
    def post(self, request: Request) -> Response:
        form = TokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = issue_token(
            request.user,
            actor=request.user,
            name=form.validated_data["name"],
            read_only=form.validated_data["read_only"],
        )
        data = ApiTokenSerializer(issued.token).data
        response = Response({**data, "secret": issued.secret}, status=status.HTTP_201_CREATED)
        # The secret is shown once: a replay for a retried request gets the record without it.
        response.idempotency_replay_content = JSONRenderer().render({**data, "secret": None})
        return response


class TokenRevoke(APIView):
    """Revoke one of your own API tokens (it stops working at once)."""

    @extend_schema(responses={200: ApiTokenSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        return Response(ApiTokenSerializer(revoke_token(token, actor=request.user)).data)


class TokenOwnerSerializer(serializers.Serializer):
    id = strict.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class ManagedTokenSerializer(ApiTokenSerializer):
    user = TokenOwnerSerializer()

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "user"]
        read_only_fields = fields


def _managed_tokens(request: Request) -> QuerySet[ApiToken]:
    """Tokens of the accounts whose keys the caller manages (Perm.KEYS_EDIT over them)."""
    if not access_for(request.user).has_perm(Perm.KEYS_EDIT):
        raise PermissionDenied
    return (
        ApiToken.objects.filter(user__in=manageable_users(request.user))
        .select_related("user")
        .order_by("-created_at", "-id")
    )


class ManagedTokenList(generics.ListAPIView):
    """Administrators: every API token of the accounts you administer, with expiry and last
    use (time and address)."""

    serializer_class = ManagedTokenSerializer

    def get_queryset(self):
        return _managed_tokens(self.request)


class ManagedTokenRevoke(APIView):
    """Administrators: revoke an API token of an account you administer."""

    @extend_schema(responses={200: ManagedTokenSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(_managed_tokens(request), pk=pk)
        return Response(ManagedTokenSerializer(revoke_token(token, actor=request.user)).data)
