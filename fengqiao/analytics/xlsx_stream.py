"""A lean streaming XLSX writer for the ledgers: one sheet of text and whole numbers, rows
written in order straight into the zip member, so memory stays flat however many rows.

A ledger of a million rows spent most of its time in xlsxwriter's per-cell calls (≈ 150 µs a
row of 15 cells: argument decorators, bounds checks, a cell table per row); here a row is one
formatted string. The file is plain Office Open XML (SpreadsheetML): workbook, one worksheet
with in-line strings (no shared-string table to hold in memory), a style sheet with a bold
font for headers. Strings are escaped as Excel (and xlsxwriter) does: & < > as entities,
control characters as _xHHHH_ (and a literal "_xHHHH_" with its underscore escaped), leading
or trailing white space preserved, at most 32,767 characters.
"""

import re
import zipfile
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import IO

MAX_STRING = 32767
FLUSH_ROWS = 2000

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_START = _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"

_NEEDS_WORK = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")


def column_letters(n: int) -> list[str]:
    """A, B, … Z, AA, … for the first n columns."""
    out = []
    for i in range(n):
        name = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def escape_text(text: str) -> str:
    """Cell text as the body of <t>: truncated to Excel's limit, control characters as Excel
    writes them, XML entities."""
    if len(text) > MAX_STRING:
        text = text[:MAX_STRING]
    if _NEEDS_WORK.search(text) is None:
        return text
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


Cell = str | int | None


class SheetWriter:
    """`with SheetWriter(path, "name") as sheet: sheet.write_row([...], bold=True)`; a cell is
    text, a whole number (not bool) or None / "" (left empty). Rows go one after another."""

    def __init__(self, path: str, sheet_name: str, *, columns: int = 64) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._name = sheet_name[:31]
        self._refs = column_letters(columns)
        self._row = 0
        self._buffer: list[str] = []
        self._sheet: IO[bytes] = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write(SHEET_START.encode())

    @property
    def rows_written(self) -> int:
        return self._row

    def write_row(self, values: Sequence[Cell], *, bold: bool = False) -> None:
        self._row += 1
        r = str(self._row)
        style = ' s="1"' if bold else ""
        refs = self._refs
        cells = []
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if value.__class__ is int:
                cells.append(f'<c r="{refs[col]}{r}"{style}><v>{value}</v></c>')
                continue
            text = escape_text(str(value))
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            cells.append(
                f'<c r="{refs[col]}{r}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
            )
        self._buffer.append(f'<row r="{r}">{"".join(cells)}</row>')
        if len(self._buffer) >= FLUSH_ROWS:
            self._flush()

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for values in rows:
            self.write_row(values)

    def _flush(self) -> None:
        if self._buffer:
            self._sheet.write("".join(self._buffer).encode())
            self._buffer.clear()

    def close(self) -> None:
        if self._sheet.closed:
            return
        self._flush()
        self._sheet.write(SHEET_END.encode())
        self._sheet.close()
        name = _escape_attribute(self._name)
        workbook = (
            _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        )
        for member, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ):
            self._zip.writestr(member, text)
        self._zip.close()

    def __enter__(self) -> "SheetWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._sheet.close()
            self._zip.close()
