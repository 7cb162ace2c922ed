"""Houses, households, places, organisations and X-extension records: one field spec per
registry, one validation (`clean_record`) and one action (`save_record`) for the desk forms.

A change: registry.edit over the target grid (and over the row's current grid), every bad
field named (InvalidInput; nothing saved), the row locked, the audit entry (ciphertexts
redacted) in the same transaction. Encrypted fields (phones) left empty on an edit keep their
value: the form never shows them in clear, so an empty box means "unchanged".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import FieldError, InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.core.validators import is_valid_phone, normalize_phone
from fengqiao.registry import extensions, services
from fengqiao.registry.models import (
    Base,
    ExtraRecord,
    House,
    Household,
    Organisation,
    Place,
    PlaceKind,
    RegistryKind,
)


@dataclass(frozen=True)
class Field:
    name: str
    # text, choice, decimal, int, bool, coord, phone (encrypted), place_kind, house, date
    type: str = "text"
    required: bool = False


@dataclass(frozen=True)
class Spec:
    slug: str  # the URL segment
    model: type[models.Model]
    base: str  # the extension base ("" for ExtraRecord: the kind's own fields)
    fields: tuple[Field, ...]


SPECS: dict[str, Spec] = {
    s.slug: s
    for s in (
        Spec(
            "houses",
            House,
            Base.HOUSE,
            (
                Field("address", required=True),
                Field("building_code"),
                Field("use", "choice"),
                Field("tenure", "choice"),
                Field("area", "decimal"),
                Field("owner_name"),
                Field("owner_phone", "phone"),
                Field("ended_on", "date"),
            ),
        ),
        Spec(
            "households",
            Household,
            Base.HOUSEHOLD,
            (
                Field("number"),
                Field("kind", "choice"),
                Field("address", required=True),
                Field("head_name"),
                Field("house", "house"),
                Field("ended_on", "date"),
            ),
        ),
        Spec(
            "places",
            Place,
            Base.PLACE,
            (
                Field("name", required=True),
                Field("kind", "place_kind", required=True),
                Field("address"),
                Field("principal"),
                Field("principal_phone", "phone"),
                Field("licence_number"),
                Field("lon", "coord"),
                Field("lat", "coord"),
                Field("key_place", "bool"),
                Field("notes"),
                Field("ended_on", "date"),
            ),
        ),
        Spec(
            "organisations",
            Organisation,
            Base.ORGANISATION,
            (
                Field("name", required=True),
                Field("kind", "choice", required=True),
                Field("credit_code"),
                Field("legal_representative"),
                Field("phone", "phone"),
                Field("address"),
                Field("employees", "int"),
                Field("has_party_organisation", "bool"),
                Field("has_union", "bool"),
                Field("ended_on", "date"),
            ),
        ),
        Spec("records", ExtraRecord, "", (Field("name", required=True),)),
    )
}


def _field(spec: Spec, name: str) -> Any:
    return spec.model._meta.get_field(name)


def label(spec: Spec, f: Field) -> str:
    if f.type == "phone":
        return str(_("Phone"))
    return str(_field(spec, f.name).verbose_name)


def choices(spec: Spec, f: Field) -> list[tuple[str, str]]:
    return [(str(v), str(t)) for v, t in _field(spec, f.name).choices or []]


def extension_fields(spec: Spec, kind_id: int | None) -> list[Any]:
    if spec.model is ExtraRecord:
        return extensions.fields_of_kind(kind_id) if kind_id else []
    return extensions.fields_for_base(spec.base)


def _value(access: Access, spec: Spec, f: Field, raw: Any, errors: list[FieldError]) -> Any:
    text = "" if raw is None else str(raw).strip()
    name = f.name
    if f.required and not text and f.type != "bool":
        errors.append(FieldError(name, "required", _("This field is required.")))
        return None
    if f.type == "text":
        max_length = getattr(_field(spec, name), "max_length", None) or 2000
        return services._text({name: text}, name, max_length, errors)
    if f.type == "choice":
        allowed = [v for v, _t in choices(spec, f)]
        if not text:
            return _field(spec, name).get_default()
        if text not in allowed:
            errors.append(FieldError(name, "choice", _("Choose one of the listed values.")))
        return text
    if f.type == "bool":
        return raw is True or text.lower() in ("1", "true", "on", "yes")
    if f.type == "date":
        return services._date({name: text}, name, errors)
    if not text:
        return None if f.type != "phone" else ""
    if f.type == "phone":
        phone = normalize_phone(text)
        if not is_valid_phone(phone):
            errors.append(FieldError(name, "invalid", _("Enter a valid phone number.")))
        return phone
    if f.type in ("decimal", "coord", "int"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            errors.append(FieldError(name, "invalid", _("Enter a number.")))
            return None
        if f.type == "int":
            if number != number.to_integral_value() or not 0 <= number <= 10**7:
                errors.append(FieldError(name, "invalid", _("Enter a whole number ≥ 0.")))
                return None
            return int(number)
        if f.type == "coord":
            limit = 180 if name == "lon" else 90
            if not -limit <= number <= limit:
                errors.append(
                    FieldError(name, "invalid", _("Between -%(n)d and %(n)d.") % {"n": limit})
                )
                return None
            return float(number)
        if not 0 <= number < 10**7:
            errors.append(FieldError(name, "invalid", _("Enter a number ≥ 0.")))
            return None
        return number.quantize(Decimal("0.01"))
    if f.type == "place_kind":
        kind = PlaceKind.objects.filter(pk=services._int(text) or 0, active=True).first()
        if kind is None:
            errors.append(FieldError(name, "does_not_exist", _("Choose a kind.")))
        return kind
    if f.type == "house":
        house = (
            services.visible(access, House, Perm.REGISTRY_EDIT)
            .filter(pk=services._int(text) or 0)
            .first()
        )
        if house is None:
            errors.append(FieldError(name, "does_not_exist", _("Choose a house of your area.")))
        return house
    raise ValueError(f.type)


def clean_record(
    access: Access, spec: Spec, data: Mapping[str, Any], *, current: models.Model | None
) -> dict[str, Any]:
    """The validated values of `data` for the registry `spec` (all fields on creation, the
    given ones on an edit). InvalidInput names every bad field."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    if current is None or "grid" in data:
        out["grid"] = services._grid(access, data.get("grid"), errors)
    kind_id = getattr(current, "kind_id", None) if spec.model is ExtraRecord else None
    if spec.model is ExtraRecord and current is None:
        kind = RegistryKind.objects.filter(
            pk=services._int(data.get("kind")) or 0, base="", active=True
        ).first()
        if kind is None:
            errors.append(FieldError("kind", "does_not_exist", _("Choose a registry of its own.")))
        else:
            out["kind"], kind_id = kind, kind.pk
    for f in spec.fields:
        if current is not None and f.name not in data:
            continue
        if f.type == "phone" and current is not None and not str(data.get(f.name) or "").strip():
            continue  # an empty box keeps the stored value (it was never shown in clear)
        out[f.name] = _value(access, spec, f, data.get(f.name), errors)
    if current is None or "extra" in data:
        try:
            out["extra"] = extensions.clean_values(
                extension_fields(spec, kind_id), data.get("extra")
            )
        except InvalidInput as e:
            errors.extend(e.errors)
    house = out.get("house")
    grid = out.get("grid") or getattr(current, "grid", None)
    if isinstance(house, House) and grid is not None and house.grid_id != grid.pk:
        errors.append(FieldError("house", "invalid", _("Choose a house of the same grid.")))
    if errors:
        raise InvalidInput.many(errors)
    return out


def save_record(
    actor: Any, spec: Spec, data: Mapping[str, Any], record: models.Model | int | None = None
) -> Any:
    """Create a row of the registry `spec`, or change the given fields of one."""
    access = services._access(actor)
    if not access.has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    model = spec.model
    with transaction.atomic():
        current = None
        if record is not None:
            pk = services._int(record) or 0
            services.get(access, model, pk, Perm.REGISTRY_EDIT)
            current = model._default_manager.select_for_update().get(pk=pk)
        clean = clean_record(access, spec, data, current=current)
        obj = current or model()
        before = audit.snapshot(obj) if current else {}
        for name, value in clean.items():
            setattr(obj, name, value)
        if current is not None:
            obj.version += 1  # type: ignore[attr-defined]
        obj.save()
        audit.record(
            access.user,
            "update" if current else "create",
            obj,
            services._redacted(audit.diff(before, audit.snapshot(obj))),
        )
    return obj
