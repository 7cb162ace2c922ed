"""GeoReport v2 endpoints under /open311/v2/ (see fengqiao.open311.services for the rules).

Plain Django views, each answering in the format of its URL suffix (.json or .xml) and every
error in the spec's format: 400 bad input, 403 missing/invalid api_key, 404 unknown service,
request, token or jurisdiction, 405 wrong method, 429 too many POSTs with one api_key
(OPEN311_POST_RATE, see fengqiao.open311.limits). POST takes form data
(application/x-www-form-urlencoded or multipart); api_key may be in the body or the query.

POST accepts a client's idempotency token (header `Idempotency-Key` or form field
`idempotency_key`, an extension of the spec): a retry gets the first answer and creates nothing,
through fengqiao.api.idempotency's records (per Open311 client). The OpenAPI schema
documents these views through fengqiao.open311.openapi (hand-written paths, checked by the
schema tests against the URL patterns and real answers).
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from fengqiao.api import idempotency
from fengqiao.open311 import limits, services
from fengqiao.open311.clients import active_client
from fengqiao.open311.formats import render, render_errors, xml_text
from fengqiao.open311.services import Open311Error, named

# The documented extension: a client's own token for a report, so that a retried POST is not
# doubled (the header Idempotency-Key, or this form field).
IDEMPOTENCY_PARAM = "idempotency_key"


def open311_view(*methods: str) -> Callable:
    """Method check, jurisdiction check, and Open311Error → the spec's error answer."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt  # no session or cookie is used: the api_key is the credential
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = render_errors(
                    fmt,
                    405,
                    [_("Method %(method)s not allowed.") % {"method": request.method}],
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                services.check_jurisdiction(_param(request, "jurisdiction_id"))
                return view(request, fmt, **kwargs)
            except Open311Error as e:
                return render_errors(fmt, e.status, e.descriptions)

        return wrapper

    return decorator


def clean_params(params: QueryDict) -> QueryDict:
    """The parameters without control characters: PostgreSQL refuses NUL in text, and no
    Open311 field needs them (line breaks and tabs are kept)."""
    cleaned = QueryDict(mutable=True)
    for key, values in params.lists():
        cleaned.setlist(xml_text(key), [xml_text(v) for v in values])
    return cleaned


def _form(request: HttpRequest) -> QueryDict:
    try:
        return clean_params(request.POST)
    except (RequestDataTooBig, SuspiciousOperation, UnreadablePostError, ValueError):
        raise Open311Error(400, _("The request body could not be read.")) from None


def _query(request: HttpRequest) -> QueryDict:
    return clean_params(request.GET)


def _param(request: HttpRequest, name: str) -> str | None:
    if request.method == "POST":
        value = _form(request).get(name)
        if value:
            return value
    return _query(request).get(name)


@open311_view("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    return render(
        fmt,
        "discovery",
        {
            "changeset": services.CHANGESET,
            "contact": _("The district governance center (%(code)s).")
            % {"code": services.settings.DISTRICT_CODE},
            "key_service": _(
                "API keys for submitting requests are issued by the district administrator."
            ),
            "endpoints": [
                {
                    "specification": services.SPECIFICATION,
                    "url": base,
                    "changeset": services.CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@open311_view("GET", "HEAD")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", services.service_list())


@open311_view("GET", "HEAD")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = services.service(xml_text(code))
    return render(fmt, "service_definition", services.service_definition(category))


@open311_view("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    query = services.parse_query(_query(request))
    rows = [services.request_row(c) for c in services.find_requests(query)]
    return render(fmt, "service_requests", rows)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = _form(request)
    key = (data.get("api_key") or _query(request).get("api_key") or "").strip()
    if not key:
        raise Open311Error(403, named("api_key", _("An api_key is required to submit requests.")))
    client = active_client(key)
    if client is None:
        raise Open311Error(403, named("api_key", _("Invalid or revoked api_key.")))
    idempotency_key = request.headers.get(idempotency.HEADER) or data.get(IDEMPOTENCY_PARAM)
    if idempotency_key is None:
        return _submit(request, fmt, client, data)
    if not idempotency.valid_key(idempotency_key):
        message = _("The idempotency key must be 1 to 255 printable ASCII characters.")
        raise Open311Error(400, named(IDEMPOTENCY_PARAM, message))

    def run(_request: HttpRequest) -> HttpResponse:
        try:
            return _submit(request, fmt, client, data)
        except Open311Error as e:  # answered (and stored) like any other answer
            return render_errors(fmt, e.status, e.descriptions)

    def in_progress() -> HttpResponse:
        message = _("A request with this idempotency key is still being processed; retry later.")
        response = render_errors(fmt, 409, [named(IDEMPOTENCY_PARAM, message)])
        response["Retry-After"] = "1"
        return response

    def reused() -> HttpResponse:
        message = _("This idempotency key was already used for a different request.")
        return render_errors(fmt, 422, [named(IDEMPOTENCY_PARAM, message)])

    return idempotency.run_idempotent(
        request,
        f"open311:{client.pk}",
        client.account,
        idempotency_key,
        run,
        in_progress=in_progress,
        reused=reused,
        body_hash=_params_hash(data, request),
    )


def _params_hash(data: QueryDict, request: HttpRequest) -> str:
    """The request's parameters (form and query string, each sorted) and uploaded files' names
    and sizes: what the report is made of, whatever its encoding."""
    digest = hashlib.sha256()
    for params in (data, _query(request)):
        for name in sorted(params):
            for value in params.getlist(name):
                digest.update(f"{name}\0{value}\0".encode())
        digest.update(b"\1")
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"{name}\0{upload.name}\0{upload.size}\0".encode())
    return digest.hexdigest()


def _submit(request: HttpRequest, fmt: str, client, data: QueryDict) -> HttpResponse:
    retry_after = limits.hit(client)
    if retry_after is not None:
        message = _("Too many requests with this api_key; try again in %(n)d seconds.")
        response = render_errors(fmt, 429, [named("api_key", message % {"n": retry_after})])
        response["Retry-After"] = str(retry_after)
        return response
    submitted = services.submit_request(client, data)
    row = {
        "service_request_id": submitted.case.tracking_number,
        "service_notice": submitted.notice or None,
        "account_id": submitted.account_id,
    }
    return render(
        fmt,
        "service_requests",
        [row],
    )


@open311_view("GET", "HEAD")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    case = services.find_request(xml_text(request_id))
    return render(fmt, "service_requests", [services.request_row(case)])


@open311_view("GET", "HEAD")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    # Requests get their id at once (type realtime); the token of a request is its id.
    try:
        case = services.find_request(xml_text(token))
    except Open311Error:
        raise Open311Error(
            404, named("token", _("No such token: %(token)s.") % {"token": token})
        ) from None
    row = {"service_request_id": case.tracking_number, "token": case.tracking_number}
    return render(fmt, "service_requests", [row])


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = "json" if rest.endswith(".json") else "xml"
    path = xml_text(rest)[:200]
    return render_errors(fmt, 404, [_("No such Open311 resource: %(path)s") % {"path": path}])
