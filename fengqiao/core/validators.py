"""Validators for the codes of the field: citizen ID (GB 11643), phone numbers, region codes.

The one shared place for identity data: cases (parties, reporters), mediation (mediators) and
accounts all validate through these functions.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# Mainland mobile (1[3-9]x, 11 digits) or a landline with optional area code and extension.
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")
_HOTLINE_RE = re.compile(r"^(1\d{2}|12\d{3}|400-?\d{3}-?\d{4})$")
# Service numbers (110, 120, 12345, 95xxx, 400/800 lines): never a person's own phone.
_SERVICE_RE = re.compile(r"^(1\d{2}|1\d{4}|9\d{4,5}|[48]00-?\d{3}-?\d{4})$")
# GB/T 2260 provinces (first two digits of an area code): 11–15 North, 21–23 North-east,
# 31–37 East, 41–46 Central-south, 50–54 South-west, 61–65 North-west, 71 Taiwan, 81–82 HK/Macao.
PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"}
)  # fmt: skip


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def is_valid_area_code(code: str) -> bool:
    """A county-level GB/T 2260 code: a known province, then a city and a county part
    (000000, or a province alone such as 230000, is no place anybody is registered in)."""
    return (
        len(code) == 6
        and code.isdigit()
        and code[:2] in PROVINCE_PREFIXES
        and code[2:] != "0000"
        and code[4:] != "00"
    )


def is_valid_citizen_id(value: str) -> bool:
    try:
        validate_citizen_id(value)
    except ValidationError:
        return False
    return True


def validate_citizen_id(value: str) -> None:
    v = (value or "").strip().upper()
    if not _ID_RE.match(v):
        raise ValidationError(
            _("A citizen ID number has 17 digits followed by a digit or X."), code="id_format"
        )
    if not is_valid_area_code(v[:6]):
        raise ValidationError(
            _("The area code (first six digits) of this citizen ID number does not exist."),
            code="id_area",
        )
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this citizen ID number does not exist."), code="id_birth_date"
        ) from None
    if born > timezone.localdate() or born.year < 1900:
        raise ValidationError(
            _("The birth date inside this citizen ID number lies in the future or too far back."),
            code="id_birth_date",
        )
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(
            _("The check character of this citizen ID number is wrong; please check every digit."),
            code="id_check",
        )


def normalize_phone(value: str) -> str:
    """Spaces, brackets and a leading +86/0086 dropped; a mobile number written with the usual
    separators (139-1234-5678, 139 1234 5678) loses them too. Landline hyphens stay."""
    v = re.sub(r"[\s()（）]", "", value or "")
    v = re.sub(r"^(\+86|0086)-?", "", v)
    plain = v.replace("-", "")
    return plain if _MOBILE_RE.match(plain) else v


def is_valid_phone(value: str) -> bool:
    v = normalize_phone(value)
    return bool(_MOBILE_RE.match(v) or _LANDLINE_RE.match(v) or _HOTLINE_RE.match(v))


def validate_phone(value: str) -> None:
    if not is_valid_phone(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number or a landline number such as 0464-8291234."),
            code="phone",
        )


def is_service_number(value: str) -> bool:
    """110, 120, 123, 12345, 95588, 400-… : numbers of services, not of a person."""
    return bool(_SERVICE_RE.match(normalize_phone(value)))


def validate_person_phone(value: str) -> None:
    """A person's own phone (a party's, a reporter's, a mediator's): a mobile or landline, never
    a service number."""
    if is_service_number(value):
        raise ValidationError(
            _("This is a service number (such as 110 or 12345), not a person's phone."),
            code="service_number",
        )
    validate_phone(value)


def validate_region_code(value: str) -> None:
    if not re.fullmatch(r"\d{12}", value or ""):
        raise ValidationError(_("A region code has exactly 12 digits."), code="region_code")
