"""Serializer fields that take numbers and booleans as the schema says, with no quiet coercion.

DRF's own fields turn "30" into 30, "true" into True and "¹²" or "١٢" into 12. In a JSON body
these fields take only JSON numbers (a whole number for IntegerField) and JSON booleans; in a
form body (everything arrives as text there) only ASCII digits, or true/false/1/0. An
IntegerField without max_value is bounded by the database's 64-bit integer, so a value such as
10**20 is a 400 naming the field, not an overflow.
"""

import math
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from fengqiao.core.inputs import ascii_int

BIGINT_MAX = 2**63 - 1


def _from_form(field: serializers.Field) -> bool:
    """Whether the body being validated is a form (text values), not JSON."""
    root = field.root
    return isinstance(getattr(root, "initial_data", None), QueryDict)


class IntegerField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", -BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        if isinstance(data, float) and math.isfinite(data) and data.is_integer():
            return int(data)
        if isinstance(data, str) and _from_form(self):
            value = ascii_int(data.strip())
            if value is not None:
                return value
        self.fail("invalid")


class FloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | float):
            value = float(data) if not isinstance(data, int) or abs(data) < 2**1023 else math.inf
        elif isinstance(data, str) and _from_form(self):
            return super().to_internal_value(data)
        else:
            self.fail("invalid")
        if not math.isfinite(value):
            self.fail("invalid")
        return super().to_internal_value(value)


class BooleanField(serializers.BooleanField):
    FORM_VALUES = {
        "true": True,
        "false": False,
        "1": True,
        "0": False,
        "True": True,
        "False": False,
    }

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and _from_form(self) and data in self.FORM_VALUES:
            return self.FORM_VALUES[data]
        self.fail("invalid")
