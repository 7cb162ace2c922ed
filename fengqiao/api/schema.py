"""OpenAPI additions: token authentication, the error shape on every operation, Idempotency-Key.

`postprocess_schema` is listed in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]; it adds the
components `Error` and `ErrorResponse` and documents, on every operation under /api/, the 4xx
answers it can give, all in that shape (a 4xx a view declared as a free-form object is replaced;
one declared with a named component is kept), and the Idempotency-Key header on every write.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

API_PREFIX = "/api/"
ERROR_COMPONENT = "Error"
ERROR_RESPONSE_COMPONENT = "ErrorResponse"

ERROR_SCHEMA = {
    "type": "object",
    "description": "One error: the input it is about, a stable code, a message for people.",
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "Dotted path of the input field, or null for the request as a whole.",
        },
        "code": {"type": "string", "description": "Machine-readable code, e.g. `required`."},
        "message": {"type": "string", "description": "In the user's language."},
    },
    "required": ["field", "code", "message"],
}
ERROR_RESPONSE_SCHEMA = {
    "type": "object",
    "description": "The body of every 4xx answer of the API.",
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"},
        }
    },
    "required": ["errors"],
}

ALL_ERRORS = {
    "400": "Invalid input (validation, malformed body or query).",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "Not allowed (role, scope, or a read-only token writing).",
    "404": "Not found, or outside your scope.",
    "406": "The Accept header cannot be satisfied.",
    "429": "Too many requests.",
}
BODY_ERRORS = {"415": "Unsupported media type of the request body."}
WRITE_ERRORS = {
    "409": "A request with the same Idempotency-Key is still running.",
    "422": "The Idempotency-Key was already used for a different request.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "description": (
        "Makes the write safe to retry: a retry with the same key and body within 24 h returns "
        "the first answer (header `Idempotent-Replayed: true`) and changes nothing."
    ),
}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "fengqiao.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A per-user API token issued by an administrator: "
                "`Authorization: Bearer <secret>` or `Authorization: Token <secret>`."
            ),
        }


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ERROR_RESPONSE_COMPONENT}"}
            }
        },
    }


def postprocess_schema(result: dict, generator, request, public) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    schemas[ERROR_RESPONSE_COMPONENT] = ERROR_RESPONSE_SCHEMA
    for path, path_item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue  # e.g. Open311, which has errors of its own
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            errors = dict(ALL_ERRORS)
            if "requestBody" in operation:
                errors |= BODY_ERRORS
            if method in WRITE_METHODS:
                errors |= WRITE_ERRORS
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_PARAMETER))
            responses = operation.setdefault("responses", {})
            for status_code, description in errors.items():
                responses.setdefault(status_code, _error_response(description))
            for status_code, response in responses.items():
                if status_code.startswith("4") and not _documents_own_component(response):
                    # Every 4xx answer is in the error shape, whatever the view declared.
                    description = response.get("description") or errors.get(status_code, "")
                    responses[status_code] = _error_response(description)
    return result


def _documents_own_component(response: dict) -> bool:
    """Whether a view documented this answer with a named schema (kept as is)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return "$ref" in schema
