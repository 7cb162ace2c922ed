"""The API's JSON parser: DRF's, plus the bodies it must not let through.

- nesting deeper than MAX_DEPTH (no body of ours goes past a handful of levels; at 10 000 levels
  Python's decoder runs out of stack, which used to be a 500) → 400 `parse_error`;
- NUL characters in any string or key (PostgreSQL refuses them in text) → 400 `null_character`,
  naming the field as a dotted path;
- numbers that do not fit a float (`1e400`) and NaN/Infinity are refused by DRF's strict
  parsing or by the fields (they are never stored).
"""

import io
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

from fengqiao.core.inputs import NUL, NUL_CODE, nul_message

MAX_DEPTH = 32


def _depth_before_parsing(text: str) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings are not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _nul_path(data: Any, prefix: str = "") -> str | None:
    """Dotted path of the first string holding a NUL (iterative: the depth is bounded anyway)."""
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path or None
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    return child.replace(NUL, "\\0")
                stack.append((child, item))
        elif isinstance(value, list):
            stack += [(f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value)]
    return None


class NullCharacter(exceptions.ValidationError):
    default_code = NUL_CODE


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise exceptions.ParseError(_("JSON parse error - %s") % e) from None
        if _depth_before_parsing(text) > MAX_DEPTH:
            raise exceptions.ParseError(
                _("The JSON body is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}
            )
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
        field = _nul_path(data)
        if field is not None or (isinstance(data, str) and NUL in data):
            detail = [exceptions.ErrorDetail(nul_message(), code=NUL_CODE)]
            raise NullCharacter({field: detail} if field else detail)
        return data
