"""One JSON shape for every API error, set as DRF's EXCEPTION_HANDLER.

Every 4xx answer of the API has this body::

    {"errors": [{"field": "address.street" | null, "code": "required", "message": "该字段是必填项。"}]}

- `field` names the input the error is about, nested fields as dotted paths ("items.0.name"),
  or null when the error is about the request as a whole;
- `code` is a stable machine-readable identifier (DRF's codes: "required", "invalid",
  "not_authenticated", "authentication_failed", "permission_denied", "not_found",
  "method_not_allowed", "parse_error", "unsupported_media_type", "throttled", … and our own);
- `message` is for people, in the user's language (the language cookie set by the language switch,
  else the Accept-Language header, else zh-hans).

What is turned into this shape:

- DRF exceptions (ValidationError, ParseError — malformed JSON gives 400 —, NotAuthenticated,
  AuthenticationFailed, PermissionDenied, NotFound, MethodNotAllowed, Throttled, …) with their
  status code;
- Django's Http404 (404), PermissionDenied (403) and ValidationError (400; its `code` kept, its
  `message_dict` keys as fields, "__all__" as null);
- **domain errors raised by services**: any exception that has the attributes `field`
  (str or None), `code` (str) and `message` (str, translated with gettext) is answered with that
  one error and the exception's `status_code` attribute if it has one, else 400. For example::

      class TransitionError(Exception):
          status_code = 409

          def __init__(self, message, *, code="invalid_transition", field=None):
              super().__init__(message)
              self.field, self.code, self.message = field, code, message

      raise TransitionError(_("A closed case cannot be assigned."))

  A domain error that also carries `errors` (a list of objects with field, code and message) is
  answered with all of them.

Errors produced outside DRF views under /api/ (an unknown URL, a body that is too large, …) are put
in the same shape by fengqiao.api.idempotency.ApiMiddleware.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

Error = dict[str, Any]

# Codes and messages for 4xx answers made outside DRF (see the middleware).
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
}


def status_message(status_code: int) -> str:
    messages = {
        400: _("Bad request."),
        401: _("Authentication credentials were not provided."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("Method not allowed."),
        406: _("Could not satisfy the request Accept header."),
        409: _("Conflict with the current state."),
        413: _("The request is too large."),
        415: _("Unsupported media type in request."),
        422: _("The request cannot be processed."),
        429: _("Request was throttled."),
    }
    return messages.get(status_code, _("The request failed."))


def error(code: str, message: Any, field: str | None = None) -> Error:
    return {"field": field, "code": code, "message": force_str(message)}


def error_body(errors: list[Error]) -> dict[str, list[Error]]:
    return {"errors": errors}


def json_error(status_code: int, code: str, message: Any, field: str | None = None) -> JsonResponse:
    """An error answer built outside DRF (middleware), in the same shape."""
    return JsonResponse(
        error_body([error(code, message, field)]),
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def flatten(detail: Any, prefix: str = "") -> list[Error]:
    """DRF's nested error detail as a flat list, nested fields as dotted paths."""
    field = prefix or None
    if isinstance(detail, dict):
        found: list[Error] = []
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
                found += flatten(value, prefix)
            else:
                found += flatten(value, _join(prefix, key))
        return found
    if isinstance(detail, list | tuple):
        found = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                # A list of nested objects (many=True): each item's errors under its index.
                found += flatten(item, _join(prefix, index))
            else:
                found += flatten(item, prefix)
        return found
    code = getattr(detail, "code", None) or "invalid"
    return [error(code, detail, field)]


def _django_validation_errors(exc: DjangoValidationError) -> list[Error]:
    found: list[Error] = []
    if hasattr(exc, "error_dict"):
        for key, items in exc.error_dict.items():
            field = None if key == "__all__" else key
            for item in items:
                found += [error(item.code or "invalid", message, field) for message in item]
    else:
        for item in exc.error_list:
            found += [error(item.code or "invalid", message) for message in item]
    return found


def is_domain_error(exc: BaseException) -> bool:
    return all(hasattr(exc, attr) for attr in ("field", "code", "message"))


def _domain_errors(exc: Any) -> list[Error]:
    items = getattr(exc, "errors", None) or [exc]
    return [error(str(e.code), e.message, e.field) for e in items]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF EXCEPTION_HANDLER: every handled error in the shape documented above."""
    if isinstance(exc, Http404):
        # Django's message names the model in English; the generic one is translated.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied) and not exc.args:
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.APIException | DjangoPermissionDenied):
        response = drf_exception_handler(exc, context)
        if response is None:
            return None
        if isinstance(exc, exceptions.ValidationError):
            errors = flatten(exc.detail)
        else:
            detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
            code = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
            if not isinstance(code, str):
                code = STATUS_CODES.get(response.status_code, "error")
            errors = [error(code, detail or status_message(response.status_code))]
        response.data = error_body(errors or [error("invalid", _("Invalid input."))])
        return response

    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(error_body(_django_validation_errors(exc)), status=400)

    if is_domain_error(exc):
        status_code = getattr(exc, "status_code", None) or status.HTTP_400_BAD_REQUEST
        set_rollback()
        return Response(error_body(_domain_errors(exc)), status=int(status_code))

    return None
