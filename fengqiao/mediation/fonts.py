"""The CJK TrueType font the mediation PDFs embed (setting PDF_CJK_FONT): checked at start-up
(`fengqiao check`, mediation.W001) and before every PDF, so a missing or unusable font is a
clear message (a 503 page in Chinese for a download), never a 500.
"""

import os
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_NAME = "FengqiaoCJK"
_lock = threading.Lock()
_registered = ""  # the path registered under FONT_NAME in this process

# The first four bytes of the font files the PDF library can embed (TrueType outlines).
TRUETYPE_MAGIC = (b"\x00\x01\x00\x00", b"true", b"ttcf")


class FontUnavailable(ImproperlyConfigured):
    """The configured font is missing or cannot be embedded."""


def font_path() -> str:
    return getattr(settings, "PDF_CJK_FONT", "") or ""


def font_problem(path: str | None = None) -> str:
    """Why the font at `path` (default: the setting) cannot be used, or "" when it can."""
    path = font_path() if path is None else path
    if not path:
        return "PDF_CJK_FONT is not set."
    if not os.path.isfile(path):
        return f"PDF_CJK_FONT={path!r} is not a file."
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as e:
        return f"PDF_CJK_FONT={path!r} cannot be read ({e.strerror})."
    if magic == b"OTTO":
        return (
            f"PDF_CJK_FONT={path!r} has PostScript (CFF) outlines, which the PDF library cannot "
            "embed: choose a TrueType (.ttf/.ttc) font."
        )
    if magic not in TRUETYPE_MAGIC:
        return f"PDF_CJK_FONT={path!r} is not a TrueType font file."
    return ""


HINT = (
    "Set PDF_CJK_FONT to a TrueType (.ttf/.ttc) font with Chinese glyphs, e.g. "
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc (Debian: fonts-wqy-zenhei). Until then "
    "mediation PDF downloads answer 503; DOCX downloads work."
)


def _to_unicode_cmap(fontname: str, subset) -> str:
    """reportlab's ToUnicode CMap with characters beyond the BMP (CJK Extensions B–G, 王𠮷)
    written as UTF-16 surrogate pairs, as the PDF reference requires: reportlab 5 writes the
    code point's five hex digits, which PDF readers reject, so such a character is drawn but
    lost to text extraction, search and copy."""
    from reportlab.pdfbase import ttfonts

    lines = ttfonts.makeToUnicodeCMap.__wrapped__(fontname, subset).split("\n")
    start = lines.index(f"{len(subset)} beginbfchar") + 1
    for i, code in enumerate(subset):
        lines[start + i] = f"<{i:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>"
    return "\n".join(lines)


def _patch_to_unicode() -> None:
    from reportlab.pdfbase import ttfonts

    if getattr(ttfonts.makeToUnicodeCMap, "__wrapped__", None) is None:
        original = ttfonts.makeToUnicodeCMap
        _to_unicode_cmap.__wrapped__ = original  # type: ignore[attr-defined]
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def register_font() -> str:
    """Register the font (embedded, subset) once per process and path; FontUnavailable with the
    reason when it cannot be used."""
    global _registered
    path = font_path()
    if _registered and _registered == path:
        return FONT_NAME
    with _lock:
        if _registered == path:
            return FONT_NAME
        problem = font_problem(path)
        if problem:
            raise FontUnavailable(f"{problem} {HINT}")
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        _patch_to_unicode()

        kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
        except Exception as e:  # a damaged font file: any parser error is the same message
            raise FontUnavailable(f"PDF_CJK_FONT={path!r} cannot be loaded ({e}). {HINT}") from e
        _registered = path
    return FONT_NAME
