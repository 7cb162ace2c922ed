"""Sending one delivery: sign, POST, log the attempt, schedule a retry with back-off.

A delivery is claimed with a conditional UPDATE (pending and due → next attempt pushed back by a
lease), so two workers never send it at once and no transaction is held open during the POST.
"""

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fengqiao.webhooks.models import Delivery, DeliveryAttempt, DeliveryState

TIMEOUT_SECONDS = 5
EXCERPT_BYTES = 1024
# A claimed delivery is not picked up again by another worker before this has passed.
CLAIM_LEASE = timedelta(minutes=2)
DEFAULT_RETRY_DELAYS = (60, 300, 1800, 7200, 43200)  # 1 min, 5 min, 30 min, 2 h, 12 h


def new_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, body: bytes) -> str:
    """The X-Fengqiao-Signature value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delays() -> tuple[int, ...]:
    return tuple(getattr(settings, "WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", len(DEFAULT_RETRY_DELAYS) + 1))


def next_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1-based); the last delay repeats."""
    delays = retry_delays()
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


@dataclass
class Response:
    status_code: int | None
    body: bytes = b""
    error: str = ""


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Response: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET to somewhere else: treat it as the answer.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST with urllib; any status is an answer, network trouble is an error."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return Response(answer.status, answer.read(EXCERPT_BYTES))
    except urllib.error.HTTPError as exc:
        try:
            excerpt = exc.read(EXCERPT_BYTES)
        except Exception:
            excerpt = b""
        return Response(exc.code, excerpt)
    except Exception as exc:  # URLError, timeouts, refused connections, bad URLs
        return Response(None, error=f"{type(exc).__name__}: {exc}"[:1000])


def body_of(delivery: Delivery) -> bytes:
    data = {"delivery": str(delivery.uuid), **delivery.event.payload}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _claim(delivery_id: int, now) -> bool:
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + CLAIM_LEASE)
    )


def attempt(delivery_id: int, sender: Sender | None = None) -> DeliveryAttempt | None:
    """Try one due pending delivery once. Returns the logged attempt, or None when the
    delivery is not due, not pending, or claimed by another worker."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("event", "subscription").get(pk=delivery_id)
    sub = delivery.subscription
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "fengqiao-webhooks/1",
        "X-Fengqiao-Event": delivery.event.type,
        "X-Fengqiao-Delivery": str(delivery.uuid),
        "X-Fengqiao-Timestamp": str(int(time.time())),
        "X-Fengqiao-Signature": sign(sub.secret, body),
    }
    started = time.monotonic()
    answer = (sender or http_post)(sub.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        log = DeliveryAttempt.objects.create(
            delivery=delivery,
            status_code=answer.status_code,
            response_excerpt=answer.body[:EXCERPT_BYTES].decode("utf-8", "replace"),
            error=answer.error,
            duration_ms=duration_ms,
            success=ok,
        )
        delivery.attempts += 1
        delivery.last_status_code = answer.status_code
        finished = timezone.now()
        if ok:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
        elif delivery.attempts >= max_attempts():
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = finished + next_delay(delivery.attempts)
        delivery.save()
    return log


def due_delivery_ids(limit: int = 200) -> list[int]:
    now = timezone.now()
    return list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def deliver_due(sender: Sender | None = None) -> int:
    """Attempt every due delivery once; returns how many were attempted."""
    return sum(attempt(pk, sender) is not None for pk in due_delivery_ids())
