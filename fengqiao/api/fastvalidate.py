"""A shortcut through a DRF serializer for bodies that are plainly valid.

Building a DRF serializer deep-copies all its fields (and their validators) on every request;
for the case intake that costs more CPU than validating the body. `plainly_valid(cls, data)`
reads the serializer class's declared fields once per process and accepts a body only when every
value is of the plain kind the field takes unchanged (a string for a CharField, a listed choice,
a number for a FloatField, a code the reference lookup knows …). It then returns exactly what
`cls(data=data).validated_data` would hold. Anything else — a missing required field, a wrong
type, a blank, an over-long string, a NUL — returns None, and the caller runs the serializer,
which gives the usual field-by-field error. So errors and their wording stay DRF's own.
`tests/test_api_fastvalidate.py` checks the equality on generated bodies.
"""

import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from rest_framework import fields as f
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from fengqiao.api import fields as strict

_SURROGATE = re.compile("[\ud800-\udfff]")
# The validators DRF itself adds to the fields below; the checks here do what they do.
_MIRRORED = {
    MaxLengthValidator,
    MinLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
}


def _char(field: f.CharField) -> Callable[[Any], Any]:
    allow_blank, limit, minimum = field.allow_blank, field.max_length, field.min_length

    def check(value: Any) -> Any:
        if type(value) is not str or "\x00" in value or _SURROGATE.search(value):
            return None
        value = value.strip() if field.trim_whitespace else value
        if value == "":
            return "" if allow_blank else None
        if (limit is not None and len(value) > limit) or (
            minimum is not None and len(value) < minimum
        ):
            return None
        return value

    return check


def _choice(field: f.ChoiceField) -> Callable[[Any], Any]:
    choices = {k: v for k, v in field.choice_strings_to_values.items() if isinstance(v, str)}

    def check(value: Any) -> Any:
        return choices.get(value) if type(value) is str else None

    return check


def _float(field: f.FloatField) -> Callable[[Any], Any]:
    lo, hi = field.min_value, field.max_value

    def check(value: Any) -> Any:
        if type(value) not in (int, float):
            return None
        try:
            value = float(value)
        except OverflowError:  # an integer too big for a float: the serializer says so
            return None
        if not math.isfinite(value) or (lo is not None and value < lo):
            return None
        return None if hi is not None and value > hi else value

    return check


def _integer(field: f.IntegerField) -> Callable[[Any], Any]:
    lo, hi = field.min_value, field.max_value

    def check(value: Any) -> Any:
        if type(value) is not int or (lo is not None and value < lo):
            return None
        return None if hi is not None and value > hi else value

    return check


def _boolean(field: f.BooleanField) -> Callable[[Any], Any]:
    return lambda value: value if type(value) is bool else None


def _slug(field: serializers.RelatedField) -> Callable[[Any], Any]:
    lookup = field.lookup  # ReferenceSlugField: the process's reference-data snapshot

    def check(value: Any) -> Any:
        return lookup(value) if type(value) is str else None

    return check


def _nested_list(field: serializers.ListSerializer) -> Callable[[Any], Any]:
    child = _spec(type(field.child))
    if child is None:
        raise TypeError("the child serializer has no shortcut")
    if field.max_length is not None or field.min_length is not None or not field.allow_empty:
        raise TypeError("bounded list")

    def check(value: Any) -> Any:
        if type(value) is not list:
            return None
        out = []
        for item in value:
            cleaned = _apply(child, item)
            if cleaned is None:
                return None
            out.append(cleaned)
        return out

    return check


def _checker(field: f.Field) -> Callable[[Any], Any]:
    # Exact types only: a subclass may validate differently (it then takes the slow path).
    from fengqiao.cases.serializers import ReferenceSlugField

    if any(type(v) not in _MIRRORED for v in field.validators):
        raise TypeError("a validator the shortcut does not mirror")
    kind = type(field)
    if kind is f.CharField:
        return _char(field)
    if kind is f.ChoiceField:
        return _choice(field)
    # fengqiao.api.fields' strict fields accept in JSON what these checks accept.
    if kind in (f.FloatField, strict.FloatField):
        return _float(field)
    if kind in (f.IntegerField, strict.IntegerField):
        return _integer(field)
    if kind in (f.BooleanField, strict.BooleanField):
        return _boolean(field)
    if kind is ReferenceSlugField:
        return _slug(field)
    if kind is serializers.ListSerializer and type(field.child).__bases__ == (
        serializers.Serializer,
    ):
        return _nested_list(field)
    raise TypeError(f"no shortcut for {kind.__name__}")


@cache
def _spec(cls: type[serializers.Serializer]) -> tuple | None:
    """(name, required, allow_null, check) per field, or None if a field has no shortcut."""
    instance = cls()
    declared = instance.fields
    if (
        cls.validate is not serializers.Serializer.validate
        or instance.validators
        or any(hasattr(cls, f"validate_{name}") for name in declared)
    ):
        return None  # the class validates more: always use it
    out = []
    try:
        for name, field in declared.items():
            if field.read_only or field.source != name or field.default is not f.empty:
                return None
            out.append((name, field.required, field.allow_null, _checker(field)))
    except TypeError:
        return None
    return tuple(out)


def _apply(spec: tuple, data: Any) -> dict | None:
    if type(data) is not dict:
        return None
    out: dict[str, Any] = {}
    for name, required, allow_null, check in spec:
        if name not in data:
            if required:
                return None
            continue
        value = data[name]
        if value is None:
            if not allow_null:
                return None
            out[name] = None
            continue
        cleaned = check(value)
        if cleaned is None:
            return None
        out[name] = cleaned
    return out


def plainly_valid(cls: type[serializers.Serializer], data: Any) -> dict | None:
    """What `cls(data=data).validated_data` holds when `data` is plainly valid, else None."""
    spec = _spec(cls)
    return None if spec is None else _apply(spec, data)
