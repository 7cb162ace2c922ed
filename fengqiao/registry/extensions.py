"""X extensions: validate values against the typed fields an administrator defined."""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.cases.errors import FieldError, InvalidInput
from fengqiao.registry.models import FieldType, RegistryField


def fields_for_base(base: str) -> list[RegistryField]:
    """The extension fields of the active kinds that extend the built-in registry `base`."""
    return list(
        RegistryField.objects.filter(kind__base=base, kind__active=True).select_related("kind")
    )


def fields_of_kind(kind_id: int) -> list[RegistryField]:
    return list(RegistryField.objects.filter(kind_id=kind_id))


def _one(f: RegistryField, raw: Any) -> tuple[Any, str | None]:
    """(clean value, error message or None)."""
    if f.type == FieldType.NUMBER:
        if isinstance(raw, bool):
            return None, _("Enter a number.")
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            return None, _("Enter a number.")
        if not number.is_finite():
            return None, _("Enter a number.")
        return (int(number) if number == number.to_integral_value() else float(number)), None
    if f.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(raw).strip()[:10]).isoformat(), None
        except ValueError:
            return None, _("Enter a date as YYYY-MM-DD.")
    text = str(raw).strip()
    if "\x00" in text:
        return None, _("Enter text without NUL characters.")
    if f.type == FieldType.CHOICE:
        allowed = [str(c) for c in (f.choices or [])]
        if text not in allowed:
            return None, _("Choose one of: %(choices)s.") % {"choices": "、".join(allowed)}
        return text, None
    if len(text) > f.max_length:
        return None, _("At most %(n)d characters.") % {"n": f.max_length}
    return text, None


def clean_values(
    defs: Iterable[RegistryField], data: Mapping[str, Any] | None, *, prefix: str = "extra."
) -> dict[str, Any]:
    """The values of `data` checked against `defs`; InvalidInput names every bad field
    (`extra.<code>`); unknown keys are refused too (a typo must not be silently dropped)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise InvalidInput(
            prefix.rstrip("."), "invalid", _("Give the extension fields as an object.")
        )
    defs = list(defs)
    known = {f.code: f for f in defs}
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for key in data:
        if key not in known:
            errors.append(FieldError(f"{prefix}{key}", "unknown", _("No such field.")))
    for f in defs:
        raw = data.get(f.code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if f.required:
                errors.append(
                    FieldError(f"{prefix}{f.code}", "required", _("This field is required."))
                )
            continue
        value, problem = _one(f, raw)
        if problem:
            errors.append(FieldError(f"{prefix}{f.code}", "invalid", problem))
        else:
            clean[f.code] = value
    if errors:
        raise InvalidInput.many(errors)
    return clean
