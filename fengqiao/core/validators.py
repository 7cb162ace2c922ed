"""Validators for the codes of the field: citizen ID (GB 11643), phone numbers, region codes."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# Mainland mobile (1[3-9]x, 11 digits) or a landline with optional area code and extension.
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")
_HOTLINE_RE = re.compile(r"^(1\d{2}|12\d{3}|400-?\d{3}-?\d{4})$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def is_valid_citizen_id(value: str) -> bool:
    value = (value or "").strip().upper()
    if not _ID_RE.match(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17]


def validate_citizen_id(value: str) -> None:
    v = (value or "").strip().upper()
    if not _ID_RE.match(v):
        raise ValidationError(
            _("A citizen ID number has 17 digits followed by a digit or X."), code="id_format"
        )
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this citizen ID number does not exist."), code="id_birth_date"
        ) from None
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(
            _("The check character of this citizen ID number is wrong; please check every digit."),
            code="id_check",
        )


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value or "").replace("+86", "", 1)


def is_valid_phone(value: str) -> bool:
    v = normalize_phone(value)
    return bool(_MOBILE_RE.match(v) or _LANDLINE_RE.match(v) or _HOTLINE_RE.match(v))


def validate_phone(value: str) -> None:
    if not is_valid_phone(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number or a landline number such as 0464-8291234."),
            code="phone",
        )


def validate_region_code(value: str) -> None:
    if not re.fullmatch(r"\d{12}", value or ""):
        raise ValidationError(_("A region code has exactly 12 digits."), code="region_code")
