"""Query parameters checked against the OpenAPI schema, for every operation under /api/.

A parameter the operation does not document, or one whose value does not parse as its schema
says (an integer in ASCII digits within its bounds, a boolean `true`/`false`, one of an enum, an
ISO date, a string within its lengths), is answered 400 in the API's error shape, naming the
parameter — instead of being ignored or coerced. The views still validate what they read
(scope, existence); this makes the schema the single statement of what a query may hold.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from fengqiao.api.errors import error, error_body
from fengqiao.core.inputs import ascii_int

API_PREFIX = "/api/v1/"


@cache
def _operations() -> list[tuple[re.Pattern, dict[str, dict[str, dict[str, Any]]]]]:
    """(path regex, {method: {query parameter: schema}}) for each documented path."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        regex = re.compile(
            "".join(
                "[^/]+" if p.startswith("{") else re.escape(p) for p in re.split(r"({[^}]+})", path)
            )
            + r"\Z"
        )
        methods = {
            method.upper(): {
                p["name"]: p.get("schema", {})
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            for method, operation in item.items()
            if isinstance(operation, dict)
        }
        found.append((path.count("{"), regex, methods))
    # The most literal template first: /ledgers/supervision/ before /ledgers/{ledger}/.
    found.sort(key=lambda x: x[0])
    return [(regex, methods) for _n, regex, methods in found]


def documented_parameters(path: str, method: str) -> dict[str, dict[str, Any]] | None:
    """The query parameters of the operation at `path`, or None if it is not documented."""
    for regex, methods in _operations():
        if regex.match(path):
            return methods.get(method.upper())
    return None


def value_problem(value: str, schema: dict[str, Any]) -> str | None:
    """Why `value` does not parse as `schema` says, or None."""
    kind = schema.get("type")
    if "enum" in schema and value not in [str(e) for e in schema["enum"] if e is not None]:
        return _("Not one of the allowed values.")
    if kind == "integer":
        number = ascii_int(value)
        if number is None:
            return _("Give a whole number in ASCII digits.")
        if "minimum" in schema and number < schema["minimum"]:
            return _("At least %(n)s.") % {"n": schema["minimum"]}
        if "maximum" in schema and number > schema["maximum"]:
            return _("At most %(n)s.") % {"n": schema["maximum"]}
    elif kind == "number":
        try:
            float(value)
        except ValueError:
            return _("Give a number.")
    elif kind == "boolean":
        if value not in ("true", "false"):
            return _("Give true or false.")
    elif kind == "string":
        if len(value) < schema.get("minLength", 0):
            return _("Must not be empty.") if not value else _("Too short.")
        if len(value) > schema.get("maxLength", len(value)):
            return _("At most %(n)s characters.") % {"n": schema["maxLength"]}
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return _("Not in the expected form.")
        fmt = schema.get("format")
        try:
            if fmt == "date":
                date.fromisoformat(value)
            elif fmt == "date-time":
                datetime.fromisoformat(value)
        except ValueError:
            return _("Not a valid date.") if fmt == "date" else _("Not a valid date and time.")
    return None


def query_errors(request: HttpRequest) -> list[tuple[str, str, str]]:
    """(parameter, code, message) for each unknown or unparsable query parameter."""
    if not request.GET:
        return []
    documented = documented_parameters(request.path, request.method or "GET")
    if documented is None:
        return []
    errors = []
    for name, values in request.GET.lists():
        schema = documented.get(name)
        if schema is None:
            errors.append((name, "unknown_parameter", _("No such query parameter.")))
            continue
        if len(values) > 1 and schema.get("type") != "array":
            errors.append((name, "invalid", _("Give this parameter once.")))
            continue
        problem = value_problem(values[0], schema)
        if problem:
            errors.append((name, "invalid", problem))
    return errors


class QueryCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            errors = query_errors(request)
            if errors:
                return JsonResponse(
                    error_body([error(code, message, name) for name, code, message in errors]),
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
        return self.get_response(request)
