"""The only code that changes subscriptions and replays deliveries (atomic, checked, audited)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Region
from fengqiao.webhooks import hosts
from fengqiao.webhooks.delivery import new_secret
from fengqiao.webhooks.models import Delivery, DeliveryState, EventType, Subscription


class WebhookError(Exception):
    """A refused request, in the API's error shape (field, code, message, status_code)."""

    def __init__(
        self, message: str, *, code: str = "invalid", field: str | None = None, status_code=400
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.field, self.status_code = message, code, field, status_code


def validate_url(url: Any) -> str:
    """An absolute http(s) URL with a host that is not in a private network (hosts.check_url);
    anything else (file:, ftp:, javascript:, http://10.0.0.1/) refused."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookError(_("This field is required."), code="required", field="url")
    url = url.strip()
    if len(url) > 500:
        raise WebhookError(_("The URL is longer than 500 characters."), field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise WebhookError(_("Enter a valid URL."), field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookError(
            _("Only http and https URLs can receive webhooks."), code="invalid_scheme", field="url"
        )
    if not parts.hostname or any(c.isspace() for c in url):
        raise WebhookError(_("Enter a valid URL."), field="url")
    try:
        hosts.check_url(url)
    except hosts.HostRefused as exc:
        raise WebhookError(str(exc), code="private_host", field="url") from None
    return url


def validate_event_types(types: Any) -> list[str]:
    allowed = set(EventType.values)
    if not isinstance(types, list) or not types:
        raise WebhookError(
            _("Choose at least one event type."), code="required", field="event_types"
        )
    bad = [t for t in types if t not in allowed]
    if bad:
        raise WebhookError(
            _("Unknown event type: %(type)s.") % {"type": str(bad[0])[:50]},
            code="invalid_choice",
            field="event_types",
        )
    return sorted(set(types))


def _region_in_scope(actor: Any, code: Any) -> Region:
    region = None
    if isinstance(code, str) and code.strip():
        region = access_for(actor).regions(Perm.CASE_VIEW).filter(code=code.strip()).first()
    if region is None:
        raise WebhookError(
            _("No region with this code in your scope."), code="out_of_scope", field="region"
        )
    return region


@dataclass
class CreatedSubscription:
    subscription: Subscription
    secret: str  # shown once to the owner


def create_subscription(
    actor: Any, *, name: str, url: Any, event_types: Any, region_code: Any
) -> CreatedSubscription:
    """A subscription for the actor, to cases inside a region the actor may see."""
    name = (name or "").strip()
    if not name:
        raise WebhookError(_("This field is required."), code="required", field="name")
    if len(name) > 100:
        raise WebhookError(_("The name is longer than 100 characters."), field="name")
    url = validate_url(url)
    types = validate_event_types(event_types)
    region = _region_in_scope(actor, region_code)
    secret = new_secret()
    with transaction.atomic():
        sub = Subscription.objects.create(
            owner=actor, name=name, url=url, secret=secret, event_types=types, region=region
        )
        changes = {k: [None, v] for k, v in audit.snapshot(sub).items() if k != "secret"}
        audit.record(actor, AuditEntry.Action.CREATE, sub, changes)
    return CreatedSubscription(sub, secret)


def delete_subscription(actor: Any, subscription: Subscription) -> None:
    """Owners delete their own subscriptions (their deliveries and log go with them)."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
        if sub is None or sub.owner_id != actor.pk:
            raise WebhookError(_("Not found."), code="not_found", status_code=404)
        changes = {k: [v, None] for k, v in audit.snapshot(sub).items() if k != "secret"}
        audit.record(actor, AuditEntry.Action.DELETE, sub, changes)
        sub.delete()


def replayable(actor: Any):
    """Deliveries an administrator may read and replay: subscriptions inside their scope."""
    scope = access_for(actor).scope(Perm.REFERENCE_EDIT)
    return Delivery.objects.filter(scope.q(path="subscription__region__path"))


def replay_delivery(actor: Any, delivery_id: int) -> Delivery:
    """Send a failed delivery again now (same delivery id, fresh attempt budget)."""
    with transaction.atomic():
        delivery = replayable(actor).select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise WebhookError(_("Not found."), code="not_found", status_code=404)
        if delivery.state != DeliveryState.FAILED:
            raise WebhookError(
                _("Only a failed delivery can be replayed."), code="not_failed", status_code=409
            )
        before = audit.snapshot(delivery)
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save()
        audit.record(
            actor, AuditEntry.Action.UPDATE, delivery, audit.diff(before, audit.snapshot(delivery))
        )
        pk = delivery.pk
        transaction.on_commit(lambda: _enqueue(pk))
    return delivery


def _enqueue(pk: int) -> None:
    from fengqiao.webhooks.tasks import deliver_webhook

    deliver_webhook.enqueue(pk)
