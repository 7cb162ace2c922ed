"""XLSX downloads written row by row (xlsxwriter's constant_memory) into a temporary file and
streamed from it, so an export of any size never sits in memory. Text cells stay text (an ID
number is never turned into a number)."""

import tempfile
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.http import FileResponse


def write(path: str, title: str, rows: Iterable[list[Any]], *, bold_rows: int = 1) -> int:
    """Write `rows` to the first sheet of a new workbook at `path`; the first `bold_rows`
    rows in bold. Returns the number of rows written."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet(title[:31] or "Sheet1")
    bold = book.add_format({"bold": True})
    n = 0
    for r, row in enumerate(rows):
        for col, value in enumerate(row):
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, "" if value is None else str(value),
                                   bold if r < bold_rows else None)  # fmt: skip
        n += 1
    book.close()
    return n


def response(filename: str, title: str, rows: Iterable[list[Any]], *, bold_rows: int = 1) -> Any:
    """A FileResponse streaming the workbook; the temporary file goes when it is closed."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    write(handle.name, title, rows, bold_rows=bold_rows)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
