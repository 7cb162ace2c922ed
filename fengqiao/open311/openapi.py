"""The Open311 GeoReport v2 endpoints in the one OpenAPI schema.

The views are plain Django views (fengqiao.open311.views), so drf-spectacular does not see them;
`add_open311_paths`, a postprocessing hook listed in SPECTACULAR_SETTINGS, adds them by hand:
every resource as its own `.json` and `.xml` path, so each documents exactly the media type it
answers with (`application/json`, or `text/xml` as the spec and discovery name it), with the
spec's error format and the api_key that POST requires. The schema tests check every Open311 URL
pattern against these paths and real answers in both formats against these shapes.
"""

import copy
from typing import Any

from django.conf import settings

from fengqiao.open311 import services
from fengqiao.open311.formats import CONTENT_TYPES, ITEM_TAGS
from fengqiao.open311.limits import DEFAULT_RATE
from fengqiao.open311.models import Datatype

PREFIX = "/open311/v2/"
TAG = "open311"
SECURITY_SCHEME = "open311ApiKey"
MEDIA_TYPES = {fmt: content_type.split(";")[0] for fmt, content_type in CONTENT_TYPES.items()}
REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _obj(xml_name: str, properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "xml": {"name": xml_name},
    }


def _list(list_tag: str, item: str, description: str) -> dict[str, Any]:
    """A list element: a JSON array, in XML <list_tag> wrapping one element per item."""
    return {
        "type": "array",
        "description": description,
        "items": _ref(item),
        "xml": {"name": list_tag, "wrapped": True},
    }


STRING = {"type": "string"}
DATE_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Open311Error": _obj(
        ITEM_TAGS["errors"],
        {
            "code": {"type": "integer", "description": "The HTTP status code."},
            "description": {
                "type": "string",
                "description": "`field: message`, in the caller's language (Accept-Language).",
            },
        },
        "One error in the format of GeoReport v2.",
    ),
    "Open311Errors": {
        **_list("errors", "Open311Error", "Every error of the request (at least one)."),
        "minItems": 1,
    },
    "Open311Endpoint": _obj(
        ITEM_TAGS["endpoints"],
        {
            "specification": {"type": "string", "format": "uri"},
            "url": {"type": "string", "format": "uri"},
            "changeset": DATE_TIME,
            "type": {"type": "string", "enum": ["production", "test"]},
            "formats": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["text/xml", "application/json"],
                    "xml": {"name": ITEM_TAGS["formats"]},
                },
                "xml": {"name": "formats", "wrapped": True},
            },
        },
        "An endpoint of this server.",
    ),
    "Open311Discovery": _obj(
        "discovery",
        {
            "changeset": DATE_TIME,
            "contact": STRING,
            "key_service": STRING,
            "endpoints": _list("endpoints", "Open311Endpoint", "The endpoints."),
        },
        "Where the endpoints are and how to get an api_key.",
    ),
    "Open311Service": _obj(
        ITEM_TAGS["services"],
        {
            "service_code": {"type": "string", "description": "The category code."},
            "service_name": STRING,
            "description": _nullable(STRING),
            "metadata": {
                "type": "boolean",
                "description": "Whether the service has attributes (see its definition).",
            },
            "type": {"type": "string", "enum": ["realtime"]},
            "keywords": _nullable(STRING),
            "group": _nullable({"type": "string", "description": "The parent category."}),
        },
        "A category open to the public.",
    ),
    "Open311Services": _list("services", "Open311Service", "The services."),
    "Open311AttributeValue": _obj(
        ITEM_TAGS["values"],
        {"key": STRING, "name": STRING},
        "One choice of a list attribute.",
    ),
    "Open311Attribute": _obj(
        ITEM_TAGS["attributes"],
        {
            "variable": {"type": "boolean", "description": "False: information only."},
            "code": {"type": "string", "description": "Send as attribute[code]=value."},
            "datatype": {"type": "string", "enum": list(Datatype.values)},
            "required": {"type": "boolean"},
            "datatype_description": _nullable(STRING),
            "order": {"type": "integer", "minimum": 1},
            "description": {"type": "string", "description": "The question."},
            "values": _list(
                "values", "Open311AttributeValue", "The choices of a list attribute, else empty."
            ),
        },
        "A question of the service.",
    ),
    "Open311ServiceDefinition": _obj(
        "service_definition",
        {
            "service_code": STRING,
            "attributes": _list("attributes", "Open311Attribute", "The active attributes."),
        },
        "The attributes a request for this service may or must answer.",
    ),
    "Open311ServiceRequest": _obj(
        ITEM_TAGS["service_requests"],
        {
            "service_request_id": {"type": "string", "description": "The tracking number."},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _nullable(
                {
                    "type": "string",
                    "description": "The latest public reply to the reporter (Open311 requests).",
                }
            ),
            "service_name": STRING,
            "service_code": STRING,
            "description": _nullable(STRING),
            "agency_responsible": _nullable(
                {"type": "string", "description": "The handling unit."}
            ),
            "service_notice": _nullable(STRING),
            "requested_datetime": DATE_TIME,
            "updated_datetime": DATE_TIME,
            "expected_datetime": _nullable({**DATE_TIME, "description": "The handling deadline."}),
            "address": _nullable(STRING),
            "address_id": _nullable(STRING),
            "zipcode": _nullable(STRING),
            "lat": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
            "long": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
            "media_url": _nullable(STRING),
        },
        "A request. Never the reporter's name, phone, e-mail, device or account id.",
    ),
    "Open311ServiceRequests": _list(
        "service_requests", "Open311ServiceRequest", "The requests, newest first."
    ),
    "Open311RequestCreated": _obj(
        ITEM_TAGS["service_requests"],
        {
            "service_request_id": {"type": "string", "description": "The tracking number."},
            "service_notice": _nullable(STRING),
            "account_id": _nullable(STRING),
        },
        "The request just made: it gets its id at once.",
    ),
    "Open311RequestsCreated": {
        **_list("service_requests", "Open311RequestCreated", "The request just made."),
        "minItems": 1,
        "maxItems": 1,
    },
    "Open311Token": _obj(
        ITEM_TAGS["service_requests"],
        {"service_request_id": STRING, "token": STRING},
        "The request a token stands for (the token is the request id).",
    ),
    "Open311Tokens": {
        **_list("service_requests", "Open311Token", "The request of the token."),
        "minItems": 1,
        "maxItems": 1,
    },
}

# Form fields of POST requests (application/x-www-form-urlencoded or multipart/form-data).
REQUEST_FORM = {
    "type": "object",
    "description": (
        "A new request. Location: lat and long, or address_string, or address_id. Answers to "
        "the service's attributes as `attribute[code]=value` (`attribute[code][]=value` once "
        "per choice for multivaluelist)."
    ),
    "properties": {
        "api_key": {
            "type": "string",
            "maxLength": 200,
            "description": "The client's key; may be sent in the query string instead.",
        },
        "jurisdiction_id": {"type": "string"},
        "idempotency_key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[ -~]+$",
            "description": (
                "Extension: the client's own token for this report (or the header "
                "Idempotency-Key). A retry with the same token and parameters gets the first "
                "answer and creates nothing; the same token with other parameters gets 422, "
                "and while the first is still running 409 with Retry-After."
            ),
        },
        "service_code": {"type": "string", "minLength": 1, "maxLength": 40},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": {"type": "string", "maxLength": 200},
        "address_id": {"type": "string", "maxLength": 100},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "device_id": {"type": "string", "maxLength": 100},
        "account_id": {"type": "string", "maxLength": 100},
        "first_name": {"type": "string", "maxLength": 25},
        "last_name": {"type": "string", "maxLength": 25},
        "phone": {
            "type": "string",
            "maxLength": 30,
            "description": "Required when the client reports for the public.",
        },
        "description": {"type": "string", "maxLength": services.MAX_DESCRIPTION},
        "media_url": {"type": "string", "format": "uri", "maxLength": 500},
    },
    "required": ["service_code"],
    "additionalProperties": {"type": "string", "description": "attribute[code] answers."},
}

# No text field takes a NUL character (refused with 400 by fengqiao.core.inputs); the points
# are those settings.COORDINATE_BOUNDS allows.
NO_NUL = "^[^\\x00]*$"
for _field in [*REQUEST_FORM["properties"].values(), REQUEST_FORM["additionalProperties"]]:
    if _field["type"] == "string" and "format" not in _field:
        _field["pattern"] = NO_NUL
_WEST, _SOUTH, _EAST, _NORTH = settings.COORDINATE_BOUNDS
REQUEST_FORM["properties"]["lat"] |= {"minimum": _SOUTH, "maximum": _NORTH}
REQUEST_FORM["properties"]["long"] |= {"minimum": _WEST, "maximum": _EAST}

REQUEST_EXAMPLE = {
    "service_code": "construction_disturbance",
    "lat": 45.775,
    "long": 131.0025,
    "description": "工地夜间施工噪音扰民",
    "phone": "13904641234",
}

JURISDICTION = {
    "in": "query",
    "name": "jurisdiction_id",
    "required": False,
    "schema": {"type": "string"},
    "description": "Optional; when given it must be this district's region code, else 404.",
}
REQUEST_FILTERS = [
    {
        "in": "query",
        "name": "service_request_id",
        "schema": {"type": "string"},
        "description": f"Comma-separated ids (at most {services.MAX_IDS}); overrides the rest.",
    },
    {
        "in": "query",
        "name": "service_code",
        "schema": {"type": "string"},
        "description": "Comma-separated service codes.",
    },
    {
        "in": "query",
        "name": "start_date",
        "schema": DATE_TIME,
        "description": "ISO 8601 with a time zone. Without dates: the last 90 days.",
    },
    {
        "in": "query",
        "name": "end_date",
        "schema": DATE_TIME,
        "description": "ISO 8601 with a time zone; the range may not exceed 90 days.",
    },
    {
        "in": "query",
        "name": "status",
        "schema": {"type": "string", "enum": ["open", "closed", "open,closed", "closed,open"]},
    },
    {
        "in": "query",
        "name": "page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10**6},
        "description": "The common extension: page number, from 1.",
    },
    {
        "in": "query",
        "name": "page_size",
        "schema": {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGE_SIZE},
        "description": f"Requests per page (default {services.DEFAULT_PAGE_SIZE}).",
    },
]

ERRORS = {
    "400": "Invalid input; each description names its field.",
    "403": "Missing, invalid or revoked api_key, or the client's account may not register.",
    "404": "Unknown service, request, token or jurisdiction_id.",
    "409": "A request with this idempotency key is still being processed (Retry-After).",
    "422": "This idempotency key was already used for a different request.",
    "429": f"Too many POSTs with this api_key (OPEN311_POST_RATE, default {DEFAULT_RATE}).",
}

# (URL name in fengqiao.open311.urls, path, method, summary, 200 schema, error codes)
OPERATIONS = [
    ("discovery", "discovery", "get", "Discovery", "Open311Discovery", ["404"]),
    ("services", "services", "get", "List services", "Open311Services", ["404"]),
    (
        "service",
        "services/{service_code}",
        "get",
        "Service definition",
        "Open311ServiceDefinition",
        ["404"],
    ),
    (
        "requests",
        "requests",
        "get",
        "List requests",
        "Open311ServiceRequests",
        ["400", "404"],
    ),
    (
        "requests",
        "requests",
        "post",
        "Submit a request",
        "Open311RequestsCreated",
        ["400", "403", "404", "409", "422", "429"],
    ),
    (
        "request",
        "requests/{service_request_id}",
        "get",
        "One request",
        "Open311ServiceRequests",
        ["404"],
    ),
    ("token", "tokens/{token}", "get", "Request id of a token", "Open311Tokens", ["404"]),
]
PATH_PARAMETERS = {
    "service_code": ("The service code.", "construction_disturbance"),
    "service_request_id": ("The request id (tracking number).", "230903-2026-000001"),
    "token": ("The token returned when the request was made (its id).", "230903-2026-000001"),
}


def _content(fmt: str, schema: str) -> dict[str, Any]:
    return {MEDIA_TYPES[fmt]: {"schema": _ref(schema)}}


def _operation(fmt: str, url_name: str, path: str, method: str, summary: str, ok, errors):
    parameters = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "string", "minLength": 1},
            "description": description,
            "example": example,
        }
        for name, (description, example) in PATH_PARAMETERS.items()
        if "{" + name + "}" in path
    ]
    parameters.append({**JURISDICTION, "example": settings.DISTRICT_CODE})
    if method == "get" and url_name == "requests":
        parameters += copy.deepcopy(REQUEST_FILTERS)
    responses: dict[str, Any] = {"200": {"description": "OK", "content": _content(fmt, ok)}}
    for code in errors:
        responses[code] = {"description": ERRORS[code], "content": _content(fmt, "Open311Errors")}
    operation: dict[str, Any] = {
        "operationId": f"open311_{url_name}_{method}_{fmt}",
        "summary": f"{summary} ({fmt.upper()})",
        "description": "Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2).",
        "tags": [TAG],
        "parameters": parameters,
        "security": [],  # reading needs no credentials
        "responses": responses,
    }
    if method == "post":
        form = {"schema": _ref("Open311RequestForm"), "example": REQUEST_EXAMPLE}
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": form,
                "multipart/form-data": copy.deepcopy(form),
            },
        }
        operation["security"] = [{SECURITY_SCHEME: []}]
        operation["description"] += (
            " Needs an api_key, in the body or the query string. Extension: send an"
            " idempotency token (header Idempotency-Key or field idempotency_key) so that a"
            " retried report is not doubled; a replayed answer has Idempotent-Replayed: true."
        )
        parameters.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": "^[ -~]+$",
                },
                "description": "The client's token for this report (see idempotency_key).",
            }
        )
        responses["409"]["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
        responses["429"]["headers"] = {
            "Retry-After": {
                "description": "Seconds until this api_key may POST again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return operation


def open311_paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for fmt in ("json", "xml"):
        for url_name, path, method, summary, ok, errors in OPERATIONS:
            item = paths.setdefault(f"{PREFIX}{path}.{fmt}", {})
            item[method] = _operation(fmt, url_name, path, method, summary, ok, errors)
    return paths


def add_open311_paths(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the Open311 paths and components."""
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(copy.deepcopy(SCHEMAS))
    schemas["Open311RequestForm"] = copy.deepcopy(REQUEST_FORM)
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": (
            "An Open311 client key issued by the district administrator (`o311_…`); "
            "POST requests only. May also be sent as the form field `api_key`."
        ),
    }
    result.setdefault("paths", {}).update(open311_paths())
    return result
