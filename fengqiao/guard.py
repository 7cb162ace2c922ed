"""The request guard: input refused before any view runs (see fengqiao.core.inputs).

It lives at the package root, above every app, because its answer takes the shape of the
interface a request came in by: the API's error body, Open311's, or a plain 400 page.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from fengqiao.api.errors import json_error
from fengqiao.core.inputs import NUL, NUL_CODE, first_nul, form_pairs, nul_message
from fengqiao.open311.formats import render_errors


def _refusal(request: HttpRequest, field: str) -> HttpResponse:
    path = request.path
    if path.startswith("/api/"):
        return json_error(400, NUL_CODE, nul_message(), field=field)
    if path.startswith("/open311/"):
        fmt = "xml" if path.endswith(".xml") else "json"
        return render_errors(fmt, 400, [f"{field}: {nul_message()}"])
    return HttpResponseBadRequest(f"{field}: {nul_message()}", content_type="text/plain")


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = first_nul((k, v) for k, values in request.GET.lists() for v in values) or first_nul(
            form_pairs(request)
        )
        if field is None and NUL in request.path:
            field = "path"
        if field is not None:
            return _refusal(request, field)
        return self.get_response(request)
