"""The chain of CJK TrueType fonts the platform's PDFs embed (settings PDF_CJK_FONT, then
PDF_CJK_FALLBACK_FONTS), drawn under one reportlab font name with a per-character fallback:
each character is drawn with the first font of the chain that has a glyph for it, so a name
such as 王𠮷 (CJK Extension B) is printed from HanaMinB while the rest of the line keeps the
first, Chinese-style face.

`make setup` builds the default chain under var/fonts/ from npm packages (fontbuild.py). The
chain is checked at start-up (`fengqiao check`: mediation.W001 when a font is missing or
unusable, mediation.W002 when a block of the GB 18030 repertoire has no glyph) and before every
PDF, so a missing font is a clear message (a 503 page in Chinese for a download), never a 500.

A character no font of the chain has is drawn as the first font's empty box (.notdef) but
still reaches the PDF's text layer (ToUnicode), so search, copy and text extraction keep it.
"""

import os
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_NAME = "FengqiaoCJK"
_lock = threading.Lock()
_registered: tuple[str, ...] = ()  # the chain registered under FONT_NAME in this process
_loaded: dict[str, object] = {}  # path -> reportlab TTFont, each file parsed once per process

# The first four bytes of the font files the PDF library can embed (TrueType outlines).
TRUETYPE_MAGIC = (b"\x00\x01\x00\x00", b"true", b"ttcf")

# One character per block of GB 18030-2022's repertoire (and Extension G, which it does not
# require): the start-up check names each block the chain has no glyph for.
PROBES = (
    ("CJK Unified Ideographs", "王"),
    ("CJK Extension A", "\u3400"),
    ("CJK Extension B", "\U00020bb7"),  # 𠮷, as in 王𠮷
    ("CJK Extension C", "\U0002a700"),
    ("CJK Extension D", "\U0002b740"),
    ("CJK Extension E", "\U0002b820"),
    ("CJK Extension F", "\U0002ceb0"),
)
EXTENSION_G = ("CJK Extension G", "\U00030000")


class FontUnavailable(ImproperlyConfigured):
    """A font of the configured chain is missing or cannot be embedded."""


def font_path() -> str:
    """The first font of the chain (PDF_CJK_FONT)."""
    return getattr(settings, "PDF_CJK_FONT", "") or ""


def chain_paths() -> tuple[str, ...]:
    """Every font of the chain, in the order characters fall back through them."""
    fallbacks = getattr(settings, "PDF_CJK_FALLBACK_FONTS", ()) or ()
    return (font_path(), *(str(p) for p in fallbacks if str(p).strip()))


def font_problem(path: str | None = None) -> str:
    """Why the font at `path` (default: PDF_CJK_FONT) cannot be used, or "" when it can."""
    path = font_path() if path is None else path
    if not path:
        return "PDF_CJK_FONT is not set."
    if not os.path.isfile(path):
        return f"{path!r} is not a file."
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as e:
        return f"{path!r} cannot be read ({e.strerror})."
    if magic == b"OTTO":
        return (
            f"{path!r} has PostScript (CFF) outlines, which the PDF library cannot embed: "
            "choose a TrueType (.ttf/.ttc) font."
        )
    if magic in (b"wOF2", b"wOFF"):
        return f"{path!r} is a web font (WOFF): convert it to TrueType (.ttf) first."
    if magic not in TRUETYPE_MAGIC:
        return f"{path!r} is not a TrueType font file."
    return ""


def chain_problems() -> list[str]:
    """Every reason the chain cannot be used, each naming its setting ([] when it can)."""
    problems = []
    for i, path in enumerate(chain_paths()):
        problem = font_problem(path)
        if problem:
            setting = "PDF_CJK_FONT" if i == 0 else "PDF_CJK_FALLBACK_FONTS"
            problems.append(f"{setting}: {problem}")
    return problems


HINT = (
    "Run `make setup`: it builds the default fonts under var/fonts/ from npm packages "
    "(Noto Serif SC, then HanaMinA/HanaMinB for CJK Extensions A–F). Or set PDF_CJK_FONT (and "
    "PDF_CJK_FALLBACK_FONTS, comma-separated) to TrueType (.ttf/.ttc) fonts with Chinese glyphs, "
    "e.g. /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc (Debian: fonts-wqy-zenhei). Until then "
    "PDF downloads answer 503; DOCX downloads work."
)


def missing_blocks(paths: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """The (block, sample character) of the GB 18030 repertoire no font of the chain covers.

    Reads only each font's character map (fontTools, lazily), so the start-up check stays
    cheap; fonts that cannot be read are left to chain_problems()."""
    from fontTools.ttLib import TTFont, TTLibError

    covered: set[int] = set()
    probes = {ord(ch) for _block, ch in PROBES}
    for path in chain_paths() if paths is None else paths:
        if font_problem(path):
            continue
        try:
            font = TTFont(path, lazy=True, fontNumber=0)
            cmap = font.getBestCmap() or {}
            font.close()
        except (TTLibError, OSError, ValueError, KeyError, AssertionError):
            continue
        covered |= probes & cmap.keys()
    return [(block, ch) for block, ch in PROBES if ord(ch) not in covered]


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


class ChainFont:
    """One reportlab font name over a chain of TrueType fonts (a "dynamic" font in reportlab's
    terms: it splits text into runs, each drawn with one subset of one embedded font).

    A text run is split into segments by the first font of the chain whose character map has
    the character (looked up once per character and cached); each segment is measured and
    drawn with its font, switching fonts (PDF `Tf`) between segments. Every renderer that
    names FONT_NAME (Paragraph styles, canvas.setFont, chart labels) gets the fallback."""

    _multiByte = 1
    _dynamicFont = 1
    shapable = False
    substitutionFonts: list = []

    def __init__(self, name: str, fonts: list, paths: tuple[str, ...]) -> None:
        self.fontName = name
        self.configure(fonts, paths)

    def configure(self, fonts: list, paths: tuple[str, ...]) -> None:
        """Use this chain from now on (reportlab keeps the first font registered under a name,
        so a changed configuration updates the registered object)."""
        self.face = fonts[0].face  # ascent, descent and units of the first face
        self.encoding = fonts[0].encoding
        # Glyph 0 is .notdef: a character mapped to it (see font_index) is not covered.
        self.coverage = [frozenset(c for c, g in f.face.charToGlyph.items() if g) for f in fonts]
        self.which: dict[int, int] = {}
        self.fonts = fonts
        self.paths = paths

    def font_index(self, code: int) -> int:
        """The chain's font for a character: the first with a glyph for it, else the first
        font, whose empty box is drawn while the character is kept for the text layer."""
        index = self.which.get(code)
        if index is None:
            index = next((i for i, cov in enumerate(self.coverage) if code in cov), -1)
            if index < 0:
                # reportlab gives a character its font has no glyph for the code of .notdef
                # (and the text layer nothing); mapped to glyph 0 it gets a code of its own.
                self.fonts[0].face.charToGlyph.setdefault(code, 0)
                index = 0
            self.which[code] = index
        return index

    def segments(self, text: str | bytes) -> list[tuple[int, str]]:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        runs: list[tuple[int, str]] = []
        start, current = 0, -1
        for i, ch in enumerate(text):
            index = self.font_index(ord(ch))
            if index != current:
                if i > start:
                    runs.append((current, text[start:i]))
                start, current = i, index
        if len(text) > start:
            runs.append((current, text[start:]))
        return runs

    def stringWidth(self, text, size, encoding="utf8") -> float:
        return sum(self.fonts[i].stringWidth(seg, size) for i, seg in self.segments(text))

    def splitString(self, text, doc, encoding="utf-8") -> list[tuple[int, bytes]]:
        """(subset, bytes) chunks; the subset number carries the chain index in its high bits."""
        chunks = []
        for i, seg in self.segments(text):
            for subset, chunk in self.fonts[i].splitString(seg, doc):
                chunks.append(((i << 16) | subset, chunk))
        return chunks

    def getSubsetInternalName(self, subset: int, doc) -> str:
        return self.fonts[subset >> 16].getSubsetInternalName(subset & 0xFFFF, doc)


def _load(path: str, index: int):
    from reportlab.pdfbase.ttfonts import TTFont

    font = _loaded.get(path)
    if font is None:
        kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
        try:
            font = TTFont(f"{FONT_NAME}-{len(_loaded)}", path, **kwargs)
        except Exception as e:  # a damaged font file: any parser error is the same message
            setting = "PDF_CJK_FONT" if index == 0 else "PDF_CJK_FALLBACK_FONTS"
            raise FontUnavailable(f"{setting}: {path!r} cannot be loaded ({e}). {HINT}") from e
        _loaded[path] = font
    return font


def register_font() -> str:
    """Register the chain (embedded, subset) once per process and configuration under
    FONT_NAME; FontUnavailable with the reasons when a font of it cannot be used."""
    global _registered
    paths = chain_paths()
    if _registered == paths:
        return FONT_NAME
    with _lock:
        if _registered == paths:
            return FONT_NAME
        problems = chain_problems()
        if problems:
            raise FontUnavailable(f"{' '.join(problems)} {HINT}")
        from reportlab.pdfbase import pdfmetrics

        _patch_to_unicode()
        fonts = []
        for i, path in enumerate(dict.fromkeys(paths)):  # a font listed twice is used once
            fonts.append(_load(path, i))
        try:
            registered = pdfmetrics.getFont(FONT_NAME)
        except KeyError:
            pdfmetrics.registerFont(ChainFont(FONT_NAME, fonts, paths))
        else:
            assert isinstance(registered, ChainFont)
            registered.configure(fonts, paths)
        _registered = paths
    return FONT_NAME


def registered_chain() -> ChainFont:
    """The registered chain (registering it first)."""
    from reportlab.pdfbase import pdfmetrics

    font = pdfmetrics.getFont(register_font())
    assert isinstance(font, ChainFont)
    return font
