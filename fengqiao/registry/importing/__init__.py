"""Registries from the spreadsheets districts keep (CSV or XLSX, Chinese column headers), and
back out in the same layout: residents, houses, households (with their members), places and
organisations. One engine (`engine.py`) driven by a layout per registry (`residents.py`,
`records.py`); see engine.py for the rules (all-or-nothing, row report, dry run, scope).
The pages run imports in the background (`jobs.py`).
"""

from typing import Any

from fengqiao.registry.importing.engine import (
    MAX_ROWS,
    Column,
    ImportReport,
    Layout,
    RowError,
    check_file,
    read_rows,
    run_import,
)
from fengqiao.registry.importing.engine import export_rows as export_layout
from fengqiao.registry.importing.records import HOUSEHOLDS, HOUSES, ORGANISATIONS, PLACES
from fengqiao.registry.importing.residents import (
    CHOICES,
    COLUMNS,
    HEADER_OF,
    LABEL_OF,
    RESIDENTS,
)

LAYOUTS: dict[str, Layout] = {
    layout.slug: layout for layout in (RESIDENTS, HOUSES, HOUSEHOLDS, PLACES, ORGANISATIONS)
}

__all__ = [
    "CHOICES",
    "COLUMNS",
    "HEADER_OF",
    "LABEL_OF",
    "LAYOUTS",
    "MAX_ROWS",
    "Column",
    "ImportReport",
    "Layout",
    "RowError",
    "check_file",
    "export_layout",
    "export_rows",
    "import_residents",
    "read_rows",
    "run_import",
]


def import_residents(
    actor: Any, name: str, content: bytes, *, dry_run: bool = False
) -> ImportReport:
    return run_import(RESIDENTS, actor, name, content, dry_run=dry_run)


def export_rows(actor: Any, qs: Any) -> Any:
    """The residents of `qs` in the import layout (header first)."""
    return export_layout(RESIDENTS, actor, qs)
