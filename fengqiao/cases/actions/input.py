"""Intake input: `CaseInput`, the one validated shape of a new case, and `clean_case_data`, the
one validation every channel's data goes through (web form, public form, REST API, Open311,
split). `InvalidInput` names every bad field at once; nothing is saved before it passes.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _

from fengqiao.cases import reference
from fengqiao.cases.attachments import check_upload
from fengqiao.cases.errors import FieldError, InvalidInput
from fengqiao.cases.intake_limits import MAX_DESCRIPTION, MAX_PEOPLE_INVOLVED
from fengqiao.cases.models import CaseKind, Category, Party, Priority, RiskLevel
from fengqiao.core.inputs import point_problem
from fengqiao.core.validators import normalize_phone, validate_citizen_id, validate_person_phone


def _float(
    data: Mapping[str, Any], key: str, errors: list[FieldError], lo: float, hi: float
) -> float | None:
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append(FieldError(key, "number", _("Enter a number.")))
        return None
    if not math.isfinite(value) or not lo <= value <= hi:
        errors.append(
            FieldError(
                key,
                "range",
                _("Must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi},
            )
        )
        return None
    return value


def _validated(
    errors: list[FieldError], key: str, value: str, validator: Callable[[str], Any]
) -> str:
    try:
        validator(value)
    except ValidationError as e:
        errors.append(FieldError(key, e.code or "invalid", " ".join(str(m) for m in e.messages)))
    return value


def _choice(
    data: Mapping[str, Any],
    key: str,
    choices: type[models.TextChoices],
    default: str,
    errors: list[FieldError],
) -> str:
    value = str(data.get(key) or default)
    if value not in choices.values:
        errors.append(
            FieldError(key, "choice", _("“%(value)s” is not a valid choice.") % {"value": value})
        )
    return value


def _category(value: Any, errors: list[FieldError], public_only: bool) -> Category | None:
    if value is None or value == "":
        errors.append(FieldError("category", "required", _("Choose a category.")))
        return None
    category = reference.category(value.pk if isinstance(value, Category) else value)
    if (
        not isinstance(category, Category)
        or not category.active
        or (public_only and not category.public)
    ):
        errors.append(
            FieldError(
                "category", "inactive", _("This category does not exist or is no longer in use.")
            )
        )
        return None
    return category


def _clean_party(p: Mapping[str, Any], i: int, errors: list[FieldError]) -> dict[str, Any]:
    prefix = f"parties[{i}]."
    name = (p.get("name") or "").strip()
    if not name:
        errors.append(FieldError(prefix + "name", "required", _("Enter the party's name.")))
    id_type = p.get("id_type") or ""
    id_number = (p.get("id_number") or "").strip().upper()
    if id_number and not id_type:
        id_type = Party.IdType.CITIZEN_ID
    if id_type not in Party.IdType.values:
        errors.append(FieldError(prefix + "id_type", "choice", _("Unknown ID type.")))
    if id_type == Party.IdType.CITIZEN_ID and id_number:
        _validated(errors, prefix + "id_number", id_number, validate_citizen_id)
    phone = normalize_phone(p.get("phone") or "")
    if phone:
        _validated(errors, prefix + "phone", phone, validate_person_phone)
    cleaned = {
        "party_type": _choice(p, "party_type", Party.PartyType, Party.PartyType.PERSON, errors),
        "role": _choice(p, "role", Party.PartyRole, Party.PartyRole.APPLICANT, errors),
        "name": name[:100],
        "id_type": id_type,
        "id_number": id_number,
        "phone": phone,
        "sex": p.get("sex") or "",
        "ethnicity": (p.get("ethnicity") or "")[:20],
        "education": (p.get("education") or "")[:20],
        "address": (p.get("address") or "")[:200],
        "is_vulnerable": bool(p.get("is_vulnerable")),
        "notes": p.get("notes") or "",
    }
    if cleaned["sex"] not in Party.Sex.values:
        errors.append(FieldError(prefix + "sex", "choice", _("Unknown sex.")))
    return cleaned


@dataclass
class CaseInput:
    """Validated intake data."""

    kind: str
    category: Category
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    people_involved: int
    risk_level: str
    priority: str
    parties: list[dict[str, Any]]
    attachments: list[Any]


def clean_case_data(data: Mapping[str, Any], *, public: bool) -> CaseInput:
    """Validate intake data; InvalidInput lists every bad field."""
    errors: list[FieldError] = []
    category = _category(data.get("category"), errors, public)
    kind = data.get("kind") or (category.kind if category else "")
    if kind not in CaseKind.values:
        errors.append(FieldError("kind", "choice", _("Choose what kind of case this is.")))
    elif category and category.kind and category.kind != kind:
        errors.append(
            FieldError("category", "kind", _("This category does not belong to the chosen kind."))
        )
    description = data.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        errors.append(
            FieldError(
                "description",
                "max_length",
                _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION},
            )
        )
    title = (data.get("title") or "").strip() or description.strip()[:30]
    if not title:
        errors.append(FieldError("title", "required", _("Describe the case.")))
    if len(title) > 200:
        errors.append(FieldError("title", "max_length", _("At most 200 characters.")))
    lon = _float(data, "lon", errors, -180, 180)
    lat = _float(data, "lat", errors, -90, 90)
    if (lon is None) != (lat is None) and not any(e.field in ("lon", "lat") for e in errors):
        missing = "lat" if lat is None else "lon"
        errors.append(
            FieldError(missing, "required", _("Give both longitude and latitude, or neither."))
        )
    elif lon is not None and lat is not None and (problem := point_problem(lon, lat)):
        errors.append(FieldError(problem[0], "location", problem[1]))
    phone = normalize_phone(data.get("reporter_phone") or "")
    if phone:
        _validated(errors, "reporter_phone", phone, validate_person_phone)
    elif public:
        errors.append(
            FieldError(
                "reporter_phone",
                "required",
                _("Enter a phone number: you need its last 4 digits to follow your report."),
            )
        )
    email = (data.get("reporter_email") or "").strip()
    if email:
        _validated(errors, "reporter_email", email, validate_email)
    try:
        people = int(data.get("people_involved") or 1)
        if not 1 <= people <= MAX_PEOPLE_INVOLVED or isinstance(people, bool):
            raise ValueError
    except (TypeError, ValueError):
        errors.append(
            FieldError(
                "people_involved",
                "number",
                _("Enter a whole number from 1 to %(max)d.") % {"max": MAX_PEOPLE_INVOLVED},
            )
        )
        people = 1
    risk = _choice(data, "risk_level", RiskLevel, RiskLevel.LOW, errors)
    priority = _choice(data, "priority", Priority, Priority.NORMAL, errors)
    parties = [_clean_party(p, i, errors) for i, p in enumerate(data.get("parties") or [])]
    attachments = list(data.get("attachments") or [])
    for upload in attachments:
        try:
            check_upload(upload)
        except InvalidInput as e:
            errors.extend(e.errors)
    if errors:
        raise InvalidInput.many(errors)
    assert category is not None  # _category put an error in `errors` otherwise
    return CaseInput(
        kind, category, title, description, (data.get("address") or "")[:200], lon, lat,
        (data.get("reporter_name") or "")[:50], phone, email, people, risk, priority, parties,
        attachments,
    )  # fmt: skip
