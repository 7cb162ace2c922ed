"""The two formats of GeoReport v2: JSON and XML (the spec's element names, UTF-8).

JSON follows the spec's "Spark convention" mapping of the XML: a list element (`services`,
`attributes` …) is a JSON array of its items, booleans are true/false, empty values null.
XML is built with xml.etree, so text is escaped; characters XML 1.0 cannot carry (control
characters) are dropped rather than producing a document no parser accepts.
"""

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse
from django.utils.encoding import force_str

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element name of the items of each list element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("", force_str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, ITEM_TAGS[tag], item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = xml_text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, root, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=force_str).encode("utf-8")


def render(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    """`value` in the format: `root` names the XML root element (absent from the JSON)."""
    body = to_xml(root, value) if fmt == "xml" else to_json(value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error answer: [{"code": 400, "description": "..."}] / <errors><error>…"""
    errors = [{"code": status, "description": force_str(d)} for d in descriptions]
    return render(fmt, "errors", errors, status=status)
