"""Sending one delivery: sign, POST, log the attempt, schedule a retry with back-off and jitter
(the policy of fengqiao.ops.retry); after WEBHOOK_MAX_ATTEMPTS the delivery is FAILED: the
webhooks' dead-letter list, which the admin site and the API show and replay.

A delivery is claimed with a conditional UPDATE (pending and due → next attempt pushed back by a
lease), so two workers never send it at once and no transaction is held open during the POST.
"""

import hashlib
import hmac
import http.client
import json
import random
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fengqiao.ops import retry
from fengqiao.webhooks import hosts
from fengqiao.webhooks.models import Delivery, DeliveryAttempt, DeliveryState

TIMEOUT_SECONDS = 5
EXCERPT_BYTES = 1024
# A claimed delivery is not picked up again by another worker before this has passed.
CLAIM_LEASE = timedelta(minutes=2)


def new_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, body: bytes) -> str:
    """The X-Fengqiao-Signature value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def max_attempts() -> int:
    return int(settings.WEBHOOK_MAX_ATTEMPTS)


def next_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1-based): the back-off of
    fengqiao.ops.retry (exponential, capped, with jitter) on the webhooks' own scale,
    WEBHOOK_RETRY_BASE_SECONDS·WEBHOOK_RETRY_FACTOR^(attempts-1) up to WEBHOOK_RETRY_MAX_SECONDS
    (1 min, 5 min, 25 min, 2 h, 12 h by default), of which a random half to all."""
    return retry.backoff(
        attempts,
        rng,
        base=settings.WEBHOOK_RETRY_BASE_SECONDS,
        ceiling=settings.WEBHOOK_RETRY_MAX_SECONDS,
        factor=settings.WEBHOOK_RETRY_FACTOR,
    )


@dataclass
class Response:
    status_code: int | None
    body: bytes = b""
    error: str = ""


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Response: ...


def _pinned(addresses: list[str], port: int):
    """A socket.create_connection that only ever connects to the checked addresses."""

    def create_connection(address, timeout=None, source_address=None) -> socket.socket:
        error: OSError = OSError("no address")
        for ip in addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error

    return create_connection


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST with http.client; any status is an answer (redirects are not followed: one would
    turn the POST into a GET to somewhere else), network trouble and refused hosts are errors.

    The host is resolved and checked here (fengqiao.webhooks.hosts) and the connection goes to
    exactly the checked addresses, so a DNS answer that changed since the subscription was made
    (DNS rebinding) cannot point the POST into the private network. No proxy is used.
    """
    try:
        host, port, addresses = hosts.delivery_addresses(url)
    except hosts.HostRefused as exc:
        return Response(None, error=f"HostRefused: {exc}"[:1000])
    except Exception as exc:  # gaierror, bad host names
        return Response(None, error=f"{type(exc).__name__}: {exc}"[:1000])
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=TIMEOUT_SECONDS)
    # The hook http.client uses to open its socket; TLS still verifies the certificate for host.
    connection._create_connection = _pinned(addresses, port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, answer.read(EXCERPT_BYTES))
    except Exception as exc:  # refused connections, timeouts, TLS errors, bad answers
        return Response(None, error=f"{type(exc).__name__}: {exc}"[:1000])
    finally:
        connection.close()


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
