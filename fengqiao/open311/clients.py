"""Issuing, revoking and finding Open311 client keys: the only code that changes Open311Client.

A key is `o311_` followed by 43 URL-safe characters; only its SHA-256 is stored, so it is shown
once, when issued. Who may issue or revoke: the command line (actor None) or a security officer
holding Perm.KEYS_EDIT (the system administrator does not: separation of duties) (keys are credentials, like API tokens). A client that reports as a staff
account may only be bound to an account the administrator may manage tokens for
(fengqiao.api.tokens.may_manage_tokens): a key never grants more than its issuer could.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api.tokens import may_manage_tokens
from fengqiao.cases.models import Channel
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.open311.models import Open311Client

KEY_PREFIX = "o311_"
_NOT_AUDITED = {"key_hash"}
# Writing last_used_at on every request would turn every report into two writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    client: Open311Client
    secret: str  # shown once, never stored


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_manage_clients(actor: Any) -> bool:
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return access_for(actor).has_perm(Perm.KEYS_EDIT)


def check_binding(channel: Channel, account: Any) -> None:
    """A client without an account reports as the public: its channel must be public."""
    if not channel.active:
        raise ValidationError({"channel": _("This channel is no longer in use.")})
    if account is None and not channel.public:
        raise ValidationError(
            {
                "account": _(
                    "A client on a channel that is not open to the public must report as a "
                    "staff account."
                )
            }
        )


def issue_client(name: str, channel: Channel, *, actor: Any, account: Any = None) -> IssuedKey:
    """Create a client and its key. PermissionDenied / ValidationError when not allowed."""
    if not may_manage_clients(actor):
        raise PermissionDenied(_("You may not issue Open311 keys."))
    if account is not None:
        if not account.is_active:
            raise ValidationError({"account": _("This account is inactive.")})
        if not may_manage_tokens(actor, account):
            raise PermissionDenied(_("You may not let a client report as this account."))
    check_binding(channel, account)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": _("Give the client a name.")})
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name,
            prefix=secret[:9],
            key_hash=hash_key(secret),
            channel=channel,
            account=account,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        changes = {k: v for k, v in audit.diff({}, audit.snapshot(client)).items()}
        audit.record(
            actor,
            AuditEntry.Action.CREATE,
            client,
            {k: v for k, v in changes.items() if k not in _NOT_AUDITED},
        )
    return IssuedKey(client, secret)


def revoke_client(client: Open311Client, *, actor: Any) -> Open311Client:
    """Revoke the client's key (idempotent)."""
    if not may_manage_clients(actor):
        raise PermissionDenied(_("You may not revoke Open311 keys."))
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if locked.revoked_at is not None:
            return locked
        before = audit.snapshot(locked)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            actor, AuditEntry.Action.UPDATE, locked, audit.diff(before, audit.snapshot(locked))
        )
    return locked


def active_client(secret: str) -> Open311Client | None:
    """The active client whose key this is, or None (unknown, revoked, inactive account)."""
    if not secret or len(secret) > 200:
        return None
    client = (
        Open311Client.objects.select_related("channel", "account")
        .filter(key_hash=hash_key(secret), revoked_at__isnull=True)
        .first()
    )
    if client is None:
        return None
    if client.account is not None and not client.account.is_active:
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
