"""Check an API response against the OpenAPI schema — for tests of every app.

    from fengqiao.api.schema_check import assert_matches_schema
    assert_matches_schema(resp, "/api/v1/territory/grids/", "get")

The schema is generated once per process (as served at /api/schema/), converted from OpenAPI 3.0
to JSON Schema (`nullable`), and by default made strict: an object whose properties are listed
may not carry others, so an undocumented field fails the check too.
"""

import copy
import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator


@cache
def openapi_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    # A JSON round trip turns lazy translations and other objects into plain JSON.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(generated, default=str))


def to_json_schema(node: Any, *, strict: bool) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema (2020-12)."""
    if isinstance(node, list):
        return [to_json_schema(n, strict=strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v, strict=strict) for k, v in node.items() if k != "nullable"}
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    operation = openapi_schema()["paths"][path][method.lower()]
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None:
        raise AssertionError(f"{method.upper()} {path}: status {status} is not documented")
    content = response.get("content", {})
    media = content.get("application/json")
    if media is None:
        raise AssertionError(f"{method.upper()} {path} {status}: no application/json schema")
    return media["schema"]


def schema_errors(
    data: Any, path: str, method: str, status: int, *, strict: bool = True
) -> list[str]:
    root = copy.deepcopy(openapi_schema())
    document = {
        "allOf": [response_schema(path, method, status)],
        "components": root.get("components", {}),
    }
    validator = Draft202012Validator(to_json_schema(document, strict=strict))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(data)
    ]


def assert_matches_schema(response, path: str, method: str, *, strict: bool = True) -> None:
    """Fail with every mismatch if the JSON body of `response` does not match its documentation."""
    errors = schema_errors(response.json(), path, method, response.status_code, strict=strict)
    assert not errors, f"{method.upper()} {path} {response.status_code}:\n" + "\n".join(errors)
