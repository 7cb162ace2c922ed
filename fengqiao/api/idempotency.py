"""Idempotent writes for field apps that retry on poor signal, and the error shape outside DRF.

`ApiMiddleware` handles every request under /api/:

- A POST, PUT, PATCH or DELETE sent with an `Idempotency-Key` header (1–255 printable ASCII
  characters, else 400) is recorded per caller (the token, or the logged-in user) before it runs
  (committed at once: the row is the lock). The view then runs in one transaction with the
  storing of its answer.
  A retry with the same key, method, path and body gets the first answer again — same status and
  body, with the header `Idempotent-Replayed: true` — and runs nothing. The same key with another
  request gets 422; the same key while the first request is still running gets 409 with
  `Retry-After: 1`. The record names the process that runs the request (fengqiao.api.runners):
  when a retry finds that process dead (killed, crashed, host restarted; on another host: its
  heartbeat stopped), it takes the key over at once instead of waiting for RUNNING_TIMEOUT.
- Stored are answers 2xx and 4xx, except those that depend on the moment or on credentials rather
  than on the request (401, 403, 408, 409, 425, 429): after such an answer, or a 5xx, the record
  is dropped so that a retry runs again. Records expire after IDEMPOTENCY_TTL (24 h); an expired
  key is free at once, and `fengqiao scheduler` runs the purge task hourly (PERIODIC_TASKS).
- A 4xx/5xx answer that is not JSON (an unknown URL, a body that is too large, …) is put in the
  error shape of fengqiao.api.errors.

`run_idempotent` is the same machinery for other callers (Open311's POST, with its own errors).

A view whose answer must not be stored verbatim (it shows a secret once) sets
`response.idempotency_replay_content` to the bytes to replay instead.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from fengqiao.api import runners
from fengqiao.api.authentication import active_token, token_from_header
from fengqiao.api.errors import STATUS_CODES, json_error, status_message
from fengqiao.api.models import IdempotencyRecord

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Pages outside /api/ whose POST honours the key too: a resident's report queued on a phone
# without signal and sent when it returns. Residents share one key space ("public"); the key
# is a random UUID the page draws, so one resident cannot hit another's by chance.
PUBLIC_PATHS = frozenset({"/report/"})
IDEMPOTENCY_TTL = timedelta(hours=24)
# A record still "running" after this long belongs to a process that died: the key is free again.
# Sooner when its process is known to be dead (same host: /proc; another: its heartbeat stopped;
# see fengqiao.api.runners).
RUNNING_TIMEOUT = timedelta(minutes=10)
NOT_STORED = frozenset({401, 403, 408, 409, 425, 429})
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(" " <= ch <= "~" for ch in key)


def request_hash(request: HttpRequest, body: bytes) -> str:
    """SHA-256 of the content type and body; a multipart boundary (random per send) left out."""
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type, _sep, params = content_type.partition(";")
    if media_type.strip().lower() == "multipart/form-data":
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.lower() == "boundary" and value:
                body = body.replace(value.strip('"').encode("latin-1"), b"")
        content_type = media_type
    digest = hashlib.sha256(content_type.strip().lower().encode("latin-1", "replace"))
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def caller(request: HttpRequest) -> tuple[str | None, Any]:
    """("token:<id>" | "user:<id>", user) for the caller, or (None, None) if not authenticated."""
    try:
        secret = token_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    except AuthenticationFailed:
        return None, None
    if secret is not None:
        token = active_token(secret, request)
        return (f"token:{token.pk}", token.user) if token else (None, None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", user
    if request.path in PUBLIC_PATHS:
        return "public", None
    return None, None


def purge_expired() -> int:
    """Delete expired records; returns how many."""
    deleted, _details = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _claim(
    owner: str, user: Any, key: str, method: str, path: str, body_hash: str
) -> tuple[IdempotencyRecord | None, bool]:
    """(record, True) when this request now holds the key; (existing record, False) otherwise."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            # Committed at once (outside any request transaction): the unique row is the lock.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner,
                    user=user,
                    key=key,
                    method=method,
                    path=path[:2000],
                    body_hash=body_hash,
                    state=IdempotencyRecord.State.RUNNING,
                    created_at=now,
                    expires_at=now + IDEMPOTENCY_TTL,
                    runner=runners.current(),
                    heartbeat_at=now,
                )
            runners.begin(record.pk)
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
            if existing is None:
                continue  # the first attempt failed and let go of the key meanwhile
            running = existing.state == IdempotencyRecord.State.RUNNING
            stale = existing.expires_at <= now or (
                running
                and (
                    existing.created_at <= now - RUNNING_TIMEOUT
                    or not runners.alive(
                        existing.runner, existing.pk, existing.heartbeat_at or existing.created_at
                    )
                )
            )
            if stale:
                IdempotencyRecord.objects.filter(pk=existing.pk, state=existing.state).delete()
                continue
            return existing, False
    return None, False


def _release(record: IdempotencyRecord) -> None:
    runners.end(record.pk)
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def _store(record: IdempotencyRecord, response: HttpResponse) -> bool:
    """Store the answer with the view's changes; False when the record is gone: a retry took
    the key over (this process was thought dead), so these changes must not commit."""
    status_code = response.status_code
    storable = (200 <= status_code < 300 or 400 <= status_code < 500) and (
        status_code not in NOT_STORED
    )
    if not storable or response.streaming:
        _release(record)
        return True
    content = getattr(response, "idempotency_replay_content", None)
    return (
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE,
            status_code=status_code,
            content_type=response.get("Content-Type", "")[:200],
            location=response.get("Location", "")[:2000],
            body=bytes(response.content if content is None else content),
        )
        == 1
    )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type or None
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


def run_idempotent(
    request: HttpRequest,
    owner: str,
    user: Any,
    key: str,
    run: Callable[[HttpRequest], HttpResponse],
    *,
    in_progress: Callable[[], HttpResponse],
    reused: Callable[[], HttpResponse],
    body_hash: str | None = None,
) -> HttpResponse:
    """Run `run(request)` once per (owner, key): a retry with the same method, path and body
    gets the stored answer (`reused()` for another request with the key, `in_progress()` while
    the first runs). Used by ApiMiddleware and by Open311's POST. Without `body_hash` the body
    is hashed, so it must still be readable."""
    method = request.method or ""
    path = request.get_full_path()
    if body_hash is None:
        body_hash = request_hash(request, request.body)
    record, claimed = _claim(owner, user, key, method, path, body_hash)
    if record is None:
        return in_progress()
    if not claimed:
        if (record.method, record.path, record.body_hash) != (method, path[:2000], body_hash):
            return reused()
        if record.state == IdempotencyRecord.State.RUNNING:
            return in_progress()
        return _replay(record)
    try:
        # The view's changes and the stored answer commit together: a process that dies
        # before the commit leaves neither, and the retry runs again.
        with transaction.atomic():
            response = run(request)
            failed = response.status_code >= 500
            if failed:
                # A server error says nothing was saved: make it true, so a retry is safe.
                transaction.set_rollback(True)
            elif not _store(record, response):
                # Taken over by a retry that found this request's heartbeat stopped: the retry
                # runs it; this run's changes roll back and its caller is told to retry.
                transaction.set_rollback(True)
                response = in_progress()
    except BaseException:
        _release(record)
        raise
    finally:
        runners.end(record.pk)  # committed (or rolled back): no longer in flight here
    if failed:
        _release(record)
    return response


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith(API_PREFIX)
        if not api and request.path not in PUBLIC_PATHS:
            return self.get_response(request)
        if request.method in METHODS and "HTTP_IDEMPOTENCY_KEY" in request.META:
            response = self._idempotent(request)
        else:
            response = self.get_response(request)
        return self._shaped(response) if api else response

    def _idempotent(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER, "")
        if not valid_key(key):
            return json_error(
                400,
                "invalid_idempotency_key",
                _("The Idempotency-Key header must be 1 to 255 printable ASCII characters."),
                field=HEADER,
            )
        owner, user = caller(request)
        if owner is None:
            return self.get_response(request)  # the view answers 401
        try:
            request.body  # noqa: B018 - read now, so that an unreadable body is the view's error
        except (RequestDataTooBig, SuspiciousOperation, OSError):
            return self.get_response(request)  # the view answers the error
        return run_idempotent(
            request,
            owner,
            user,
            key,
            self.get_response,
            in_progress=self._in_progress,
            reused=lambda: json_error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request."),
                field=HEADER,
            ),
        )

    @staticmethod
    def _in_progress() -> HttpResponse:
        response = json_error(
            409,
            "idempotency_key_in_use",
            _("A request with this Idempotency-Key is still being processed; retry later."),
            field=HEADER,
        )
        response["Retry-After"] = "1"
        return response

    @staticmethod
    def _shaped(response: HttpResponse) -> HttpResponse:
        status_code = response.status_code
        if status_code < 400 or "json" in response.get("Content-Type", ""):
            return response
        if status_code >= 500 and settings.DEBUG:
            return response  # keep Django's technical page while developing
        code = STATUS_CODES.get(status_code, "server_error" if status_code >= 500 else "error")
        message = status_message(status_code) if status_code < 500 else _("Server error.")
        shaped = json_error(status_code, code, message)
        for header in KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped
