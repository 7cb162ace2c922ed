"""Token authentication for the API and the permission that keeps read-only tokens reading.

Send `Authorization: Token <secret>` (or `Bearer <secret>`). An unknown, revoked or expired token
(code `token_expired`, with the date), or the token of an inactive account, is refused with 401.
Each use records the time (to the minute) and the client address. The request then runs as the token's user, so a
token sees exactly what its user sees.
"""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions

from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import find_token
from fengqiao.core.clientip import client_ip

SCHEMES = ("token", "bearer")
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_from_header(header: str) -> str | None:
    """The secret in an Authorization header value, or None when it names another scheme."""
    parts = header.split()
    if not parts or parts[0].lower() not in SCHEMES:
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            _("Invalid token header: send 'Token <secret>' with no spaces in the secret.")
        )
    return parts[1]


def active_token(secret: str, request: HttpRequest | None = None) -> ApiToken | None:
    """The usable token with this secret, or None; looked up once per request."""
    cache = getattr(request, "_fq_tokens", None) if request is not None else None
    if cache is not None and secret in cache:
        return cache[secret]
    token = _active_token(secret)
    if request is not None:
        if cache is None:
            cache = request._fq_tokens = {}
        cache[secret] = token
    return token


def _active_token(secret: str) -> ApiToken | None:
    token = find_token(secret)
    if token is None or not token.active or not token.user.is_active:
        return None
    return token


def expired_token(secret: str) -> ApiToken | None:
    """The token with this secret if it is unusable only because it expired."""
    token = find_token(secret)
    if token is None or token.revoked_at is not None or not token.expired:
        return None
    return token


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        secret = token_from_header(header)
        if secret is None:
            return None
        token = active_token(secret, request._request)
        if token is None:
            expired = expired_token(secret)
            if expired is not None and expired.expires_at is not None:
                raise exceptions.AuthenticationFailed(
                    _("This API token expired on %(date)s; ask your administrator for a new one.")
                    % {"date": timezone.localtime(expired.expires_at).strftime("%Y-%m-%d %H:%M")},
                    code="token_expired",
                )
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        address = client_ip(request._request) or None
        if (
            token.last_used_at is None
            or now - token.last_used_at > LAST_USED_RESOLUTION
            or token.last_used_ip != address
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
            token.last_used_at = now
            token.last_used_ip = address
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return 'Token realm="api"'


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may only use safe methods (GET, HEAD, OPTIONS). Applied by default.

    A view whose POST only reads (a query too large for a query string, e.g. locating points)
    says so with `read_only_token_methods = ("POST",)`; every other view keeps writes refused.
    """

    message = _("This API token is read-only.")
    code = "read_only_token"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            allowed = tuple(getattr(view, "read_only_token_methods", ()))
            return request.method in permissions.SAFE_METHODS or request.method in allowed
        return True
