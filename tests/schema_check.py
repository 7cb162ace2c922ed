"""Check an API response against the OpenAPI schema — for tests of every app.

    from tests.schema_check import assert_matches_schema
    assert_matches_schema(resp, "/api/v1/territory/grids/", "get")

The schema is generated once per process (as served at /api/schema/), converted from OpenAPI 3.0
to JSON Schema (`nullable`), and by default made strict: an object whose properties are listed
may not carry others, so an undocumented field fails the check too.

XML answers (Open311's `.xml` resources, documented as `text/xml`) are read into the same data as
their JSON twins by `xml_to_data`, guided by the schema's `xml` objects (element names, wrapped
lists) and types (XML text → boolean, integer, number), then checked the same way.
"""

import copy
import json
import xml.etree.ElementTree as ET
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


def response_schema(
    path: str, method: str, status: int, media_type: str = "application/json"
) -> dict[str, Any]:
    operation = openapi_schema()["paths"][path][method.lower()]
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None:
        raise AssertionError(f"{method.upper()} {path}: status {status} is not documented")
    content = response.get("content", {})
    media = content.get(media_type)
    if media is None:
        raise AssertionError(f"{method.upper()} {path} {status}: no {media_type} schema")
    return media["schema"]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = openapi_schema()["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _xml_name(schema: dict[str, Any], default: str | None = None) -> str | None:
    return _resolve(schema).get("xml", {}).get("name", default)


def _scalar(text: str | None, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if text is None:
        # XML cannot tell an empty string from null: the schema decides.
        return None if schema.get("nullable") or kind != "string" else ""
    try:
        if kind == "boolean":
            return {"true": True, "false": False}[text]
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except (KeyError, ValueError):
        pass  # left as text, so the type check reports it
    return text


def _element_to_data(element: ET.Element, schema: dict[str, Any], where: str) -> Any:
    schema = _resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        item_name = _xml_name(schema.get("items", {}))
        items = []
        for i, child in enumerate(element):
            if item_name and child.tag != item_name:
                raise ValueError(f"{where}/{i}: element <{child.tag}>, expected <{item_name}>")
            items.append(_element_to_data(child, schema.get("items", {}), f"{where}/{i}"))
        if element.text and element.text.strip():
            raise ValueError(f"{where}: text in a list element")
        return items
    if kind == "object":
        properties = schema.get("properties", {})
        data: dict[str, Any] = {}
        for child in element:
            if child.tag in data:
                raise ValueError(f"{where}: <{child.tag}> twice")
            sub = properties.get(child.tag, {})
            data[child.tag] = _element_to_data(child, sub, f"{where}/{child.tag}")
        return data
    if len(element):
        raise ValueError(f"{where}: elements inside a {kind or 'scalar'} value")
    return _scalar(element.text, schema)


def xml_to_data(content: bytes, schema: dict[str, Any]) -> Any:
    """An XML document as the JSON data `schema` describes (ValueError when it cannot be)."""
    root = ET.fromstring(content)
    expected = _xml_name(schema)
    if expected and root.tag != expected:
        raise ValueError(f"root element <{root.tag}>, expected <{expected}>")
    return _element_to_data(root, schema, "")


def schema_errors(
    data: Any,
    path: str,
    method: str,
    status: int,
    *,
    strict: bool = True,
    media_type: str = "application/json",
) -> list[str]:
    root = copy.deepcopy(openapi_schema())
    document = {
        "allOf": [response_schema(path, method, status, media_type)],
        "components": root.get("components", {}),
    }
    validator = Draft202012Validator(to_json_schema(document, strict=strict))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(data)
    ]


def assert_matches_schema(response, path: str, method: str, *, strict: bool = True) -> None:
    """Fail with every mismatch if the body of `response` (JSON, or XML documented as text/xml)
    does not match its documentation."""
    media_type = response["Content-Type"].split(";")[0].strip()
    if media_type == "application/json":
        data = response.json()
    else:
        schema = response_schema(path, method, response.status_code, media_type)
        try:
            data = xml_to_data(response.content, schema)
        except (ValueError, ET.ParseError) as e:
            raise AssertionError(f"{method.upper()} {path} {response.status_code}: {e}") from e
    errors = schema_errors(
        data, path, method, response.status_code, strict=strict, media_type=media_type
    )
    assert not errors, f"{method.upper()} {path} {response.status_code}:\n" + "\n".join(errors)
