"""Issuing and revoking API tokens: the only code that changes ApiToken rows.

A token is `fq_` followed by 43 URL-safe characters. Only its SHA-256 is stored, so the secret is
shown once, when it is issued, and can never be shown again. It expires API_TOKEN_EXPIRY_DAYS
after it is issued (0: never).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api.models import ApiToken
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry

TOKEN_PREFIX = "fq_"
# Fields never written to the audit trail (the hash is not secret, but nobody needs it there).
_NOT_AUDITED = {"key_hash"}


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once to the person who asked for it, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_token(secret: str) -> ApiToken | None:
    """The token whose secret this is (revoked or not) with its user, or None: one query."""
    if not secret or len(secret) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret)).first()


def manageable_users(actor: Any) -> QuerySet[Any]:
    """Accounts whose tokens `actor` may manage: not superusers, their unit and every active role
    inside the actor's key-managing scope (Perm.KEYS_EDIT, see `Access.users`)."""
    return access_for(actor).users(Perm.KEYS_EDIT).filter(is_superuser=False)


def may_manage_tokens(actor: Any, target: Any) -> bool:
    """Who may issue and revoke tokens of `target`: the command line (actor None, the operator
    of the installation), or a security officer (Perm.KEYS_EDIT) whose scope covers the target's
    unit and every role (see `manageable_users`). There is no superuser bypass, and superuser
    accounts get tokens from the command line only.
    """
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return manageable_users(actor).filter(pk=target.pk).exists()


def _audit_changes(before: dict, after: dict) -> dict:
    return {k: v for k, v in audit.diff(before, after).items() if k not in _NOT_AUDITED}


def issue_token(user: Any, *, actor: Any, name: str = "", read_only: bool = False) -> IssuedToken:
    """Create a token for `user`. Raises PermissionDenied when `actor` may not."""
    if not may_manage_tokens(actor, user):
        raise PermissionDenied(_("You may not issue API tokens for this account."))
    if not user.is_active:
        raise PermissionDenied(_("This account is inactive."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = int(settings.API_TOKEN_EXPIRY_DAYS)
    expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=secret[:8],
            key_hash=hash_secret(secret),
            read_only=read_only,
            expires_at=expires_at,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor, AuditEntry.Action.CREATE, token, _audit_changes({}, audit.snapshot(token))
        )
    return IssuedToken(token, secret)


def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Revoke `token` (idempotent). Its owner may always revoke their own token."""
    is_owner = getattr(actor, "pk", None) is not None and actor.pk == token.user_id
    if not is_owner and not may_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may not revoke this API token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        before = audit.snapshot(locked)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            AuditEntry.Action.UPDATE,
            locked,
            _audit_changes(before, audit.snapshot(locked)),
        )
    return locked


def set_read_only(token: ApiToken, read_only: bool, *, actor: Any) -> ApiToken:
    """Narrow (or widen) a token to read-only."""
    if not may_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may not change this API token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.read_only == read_only:
            return locked
        before = audit.snapshot(locked)
        locked.read_only = read_only
        locked.save(update_fields=["read_only"])
        audit.record(
            actor,
            AuditEntry.Action.UPDATE,
            locked,
            _audit_changes(before, audit.snapshot(locked)),
        )
    return locked
