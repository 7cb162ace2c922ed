"""Input no view should have to think about, refused in one place.

- **NUL characters** (U+0000) in a query string or a form body: PostgreSQL refuses them in text
  (a 500 where SQLite stored them), and no field of ours needs them.
  `fengqiao.guard.InputGuardMiddleware`
  answers 400 before any view runs — in the API's error shape under /api/, in Open311's under
  /open311/, a plain 400 page elsewhere. JSON bodies are checked by the API's JSON parser
  (fengqiao.api.parsers), which names the field; multipart bodies by the views' fields.
- **Whole numbers written with other digits**: `str.isdigit()` is true for "¹" or "٣" but
  `int()` refuses them (or reads them differently); `ascii_int` accepts ASCII digits only.
- **Points outside the country**: `point_problem` refuses a longitude/latitude outside
  settings.COORDINATE_BOUNDS (China's bounding box) or at (0, 0).
"""

import math
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

NUL = "\x00"
NUL_CODE = "null_character"
_ASCII_INT = re.compile(r"[+-]?[0-9]+")


def is_ascii_digits(value: Any) -> bool:
    """True for a non-empty string of ASCII digits 0-9 only (unlike str.isdigit)."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def ascii_int(value: Any) -> int | None:
    """The integer written in ASCII digits (an optional sign, no spaces), else None."""
    if isinstance(value, str) and _ASCII_INT.fullmatch(value):
        return int(value)
    return None


def nul_message() -> str:
    return _("Must not contain a null character (U+0000).")


def first_nul(pairs: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first parameter whose name or value holds a NUL, else None."""
    for key, value in pairs:
        if NUL in key or (isinstance(value, str) and NUL in value):
            return key.replace(NUL, "\\0")
    return None


def form_pairs(request: HttpRequest) -> Iterable[tuple[str, Any]]:
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    # Multipart bodies are left to the views (their text fields go through DRF's CharField,
    # which refuses NUL): parsing them here would consume the stream other layers read.
    if content_type != "application/x-www-form-urlencoded":
        return ()
    try:
        pairs = list(request.POST.lists())
    except Exception:  # a malformed or too large body: the view answers its own error
        return ()
    return [(k, v) for k, values in pairs for v in values]


def point_problem(lon: float, lat: float) -> tuple[str, str] | None:
    """(field, message) if the point is not a place in the country served, else None."""
    west, south, east, north = settings.COORDINATE_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return "lon", _("Enter a finite number.")
    if lon == 0 and lat == 0:
        return "lon", _("The point (0, 0) is not a real location.")
    message = _("The point must lie within %(west)s–%(east)s E, %(south)s–%(north)s N.") % {
        "west": west,
        "east": east,
        "south": south,
        "north": north,
    }
    if not west <= lon <= east:
        return "lon", message
    if not south <= lat <= north:
        return "lat", message
    return None
