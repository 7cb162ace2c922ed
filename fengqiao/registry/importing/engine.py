"""The import/export engine every registry layout uses.

A layout (`Layout`) names the columns of one registry in the districts' spreadsheets (Chinese
headers, choice columns holding Chinese labels, X-extension fields as extra columns) and how
a row is validated and saved. The engine reads the file (CSV in UTF-8, UTF-8 with BOM or
GB18030/GBK; XLSX), turns each row into the data the registry's own validation takes (the
same checks as the desk form), and reports every bad row, column and reason. Import is
all-or-nothing: one bad row and nothing is saved; a dry run validates and saves nothing.
Grids are given by their code and must lie in the importer's scope (registry.edit).
The header row names the columns in any order; a column the layout does not know is an
error (a typo must not drop data silently), except an empty header or 序号.

The export writes the same layout, so an exported file imports back unchanged.

The pages run an import as a background job (`importing.jobs`): `check_file` refuses a file
that cannot be imported at all (type, encoding, header) before anything is stored, and
`run_import` reports its progress through a callback.
"""

import abc
import csv
import io
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import FieldError, InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.core.masking import batched_sensitive_reads, mask_id_number, mask_phone
from fengqiao.registry import services
from fengqiao.territory.models import Grid

MAX_ROWS = 50_000
PREVIEW_ROWS = 20
# `run_import` calls its progress callback every this many rows.
PROGRESS_EVERY = 200
EXTENSIONS = (".csv", ".xlsx")
YES, NO = "是", "否"
# Columns districts' sheets often carry that hold nothing to import.
IGNORED_HEADERS = frozenset({"序号"})

# The key of an import's audit entry ("imported": [None, rows saved]), in words.
AUDIT_KEYS = {"imported": gettext_lazy("rows imported")}


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    # The dry run's preview: the header and the first rows as they will be saved (personal
    # fields masked).
    header: list[str] = field(default_factory=list)
    preview: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the key in the data given to the validation; "extra.<code>" for extensions
    # grid (its code), text, date, number, choice (Chinese labels), bool (是/否), secret
    # (encrypted: disclosed on export only to those who may see it), ext (an X-extension
    # field); layouts add their own
    type: str = "text"
    choices: Mapping[str, str] | None = None  # label → stored value
    required: bool = False  # the file must have this column


@dataclass
class Row:
    number: int
    data: dict[str, Any]
    clean: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # what a layout's check() found


class RowInvalid(Exception):
    """Raised by a layout's save(): this row failed its checks when written."""

    def __init__(self, number: int, error: InvalidInput):
        super().__init__(number)
        self.number = number
        self.error = error


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number Excel stored as 12.0
    return str(value)


def read_rows(name: str, content: bytes) -> Generator[list[str], None, None]:
    """The rows of a CSV (UTF-8, with or without BOM; GB18030/GBK accepted) or XLSX file."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        for values in wb.worksheets[0].iter_rows(values_only=True):
            yield [_cell(v) for v in values]
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")
    yield from csv.reader(io.StringIO(text))


class Layout(abc.ABC):
    """One registry's spreadsheet layout. Subclasses give the columns, the validation (the
    registry's own), the duplicate key and the save; the engine does the rest."""

    slug = ""
    model: type[models.Model]
    # Column whose header a duplicate (in the file, or already registered) is reported at.
    key_field = ""

    @abc.abstractmethod
    def columns(self) -> list[Column]:
        """The columns, in the order of the export and the template."""

    @abc.abstractmethod
    def title(self) -> str:
        """The sheet's name in the export."""

    @abc.abstractmethod
    def import_title(self) -> str:
        """The title of the upload page."""

    @abc.abstractmethod
    def export_title(self) -> str:
        """The title of the export link."""

    def notes(self) -> list[str]:
        """Explanations shown on the upload page (how a special column is filled in)."""
        return []

    # -- import ------------------------------------------------------------------------------

    def parse(
        self, ctx: dict[str, Any], col: Column, raw: str, data: dict[str, Any]
    ) -> tuple[Any, str | None]:
        """(value for the data, or an error message) of one cell; `data` holds the columns
        before it (the grid comes first)."""
        if col.type == "grid":
            return ctx["grids"].get(raw, ""), None
        if col.type == "choice":
            assert col.choices is not None
            if raw in col.choices:
                return col.choices[raw], None
            if not raw:
                return "", None
            allowed = "、".join(k for k in col.choices if k)
            return None, _("Choose one of: %(choices)s.") % {"choices": allowed}
        if col.type == "bool":
            if raw in ("", NO):
                return False, None
            if raw == YES:
                return True, None
            return None, _("Choose one of: %(choices)s.") % {"choices": f"{YES}、{NO}"}
        return raw, None

    @abc.abstractmethod
    def clean(self, access: Access, data: dict[str, Any]) -> dict[str, Any]:
        """The registry's own validation (raises InvalidInput)."""

    def check(self, ctx: dict[str, Any], row: Row) -> list[FieldError]:
        """Checks beyond the single record (links to other rows); may fill `row.extra`.
        Called for every row, also one that failed its validation (`row.clean` empty)."""
        return []

    def key(self, values: Mapping[str, Any]) -> Any:
        """What makes two rows the same record (None: no such key); `values` holds the clean
        fields and `grid_id`."""
        return None

    def key_column(self, key: Any) -> str:
        """The field whose column a duplicate of `key` is reported at."""
        return self.key_field

    def existing(self, keys: set[Any]) -> set[Any]:
        """Which of `keys` are registered already."""
        return set()

    def duplicate_reason(self) -> str:
        return _("This record is already registered.")

    def same_reason(self, row: int) -> str:
        return _("The same record is in row %(row)d.") % {"row": row}

    @abc.abstractmethod
    def save(self, actor: Any, rows: list[Row]) -> None:
        """Write the rows (inside the engine's transaction); raise RowInvalid for a row that
        fails when written."""

    # -- export ------------------------------------------------------------------------------

    def export_queryset(self, qs: Any) -> Any:
        return qs

    def export_context(self, access: Access, batch: list[Any], full: bool) -> dict[str, Any]:
        return {}

    def export_cell(
        self, access: Access, ctx: dict[str, Any], obj: Any, col: Column, allowed: bool
    ) -> str:
        if col.type == "grid":
            return str(ctx["grid_codes"].get(obj.grid_id, ""))
        if col.type == "ext":
            value = (obj.extra or {}).get(col.field.removeprefix("extra."))
            return "" if value is None else str(value)
        if col.type == "secret":
            return services.disclosed(access, obj, col.field, allowed=allowed, purpose="export")
        value = getattr(obj, col.field)
        if col.type == "choice":
            assert col.choices is not None
            return next((k for k, v in col.choices.items() if k and v == value), "")
        if col.type == "bool":
            return YES if value else NO
        return "" if value is None else str(value)


def extension_columns(defs: Iterable[Any], taken: Iterable[str]) -> list[Column]:
    """One column per X-extension field, headed by its label (with its code when the label
    is taken already)."""
    defs = list(defs)
    used = set(taken)
    counts: dict[str, int] = {}
    for d in defs:
        counts[d.label] = counts.get(d.label, 0) + 1
    out = []
    for d in defs:
        header = (
            d.label if d.label not in used and counts[d.label] == 1 else f"{d.label}（{d.code}）"
        )
        used.add(header)
        out.append(Column(header, f"extra.{d.code}", "ext", required=d.required))
    return out


def _header_errors(columns: list[Column], header: list[str]) -> list[RowError]:
    errors = []
    known = {c.header for c in columns}
    seen: set[str] = set()
    for h in header:
        if not h or h in IGNORED_HEADERS:
            continue
        if h in seen:
            errors.append(RowError(1, h, _("This column appears twice.")))
        elif h not in known:
            errors.append(RowError(1, h, _("Unknown column.")))
        seen.add(h)
    for c in columns:
        if c.required and c.header not in seen:
            errors.append(RowError(1, c.header, _("This column is missing.")))
    return errors


def _preview(columns: list[Column], index: dict[str, int], values: list[str]) -> list[str]:
    out = []
    for c in columns:
        if c.header not in index:
            continue
        i = index[c.header]
        raw = values[i].strip() if i < len(values) else ""
        if raw and c.type == "members":
            raw = "、".join(mask_id_number(x) for x in raw.replace("，", "、").split("、") if x)
        elif raw and c.type == "secret":
            if c.field == "id_number":
                raw = mask_id_number(raw)
            elif c.field.endswith("phone"):
                raw = mask_phone(raw)
            else:
                raw = services.HIDDEN
        out.append(raw)
    return out


def check_file(layout: Layout, name: str, content: bytes) -> list[RowError]:
    """Why the file cannot be imported at all (its type, encoding or header row); reads no
    further than the header. `run_import` checks the same again, and every row."""
    if not name.lower().endswith(EXTENSIONS):
        return [RowError(0, "", _("Choose a CSV or XLSX file."))]
    rows = read_rows(name, content)
    try:
        first = next(rows, None)
    except Exception:  # a broken file of any kind: one clear message, never a 500
        return [RowError(0, "", _("The file cannot be read as CSV or XLSX."))]
    finally:
        rows.close()
    if first is None:
        return [RowError(1, "", _("The file is empty."))]
    return _header_errors(layout.columns(), [h.strip() for h in first])


def run_import(
    layout: Layout,
    actor: Any,
    name: str,
    content: bytes,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], object] | None = None,
    saving: Callable[[], object] | None = None,
) -> ImportReport:
    """Import the file `name` into the registry of `layout`: all rows or none.

    `progress(done, total)` is called once the file is read, every PROGRESS_EVERY rows checked
    and when all are; `saving()` when every row passed and the one transaction that writes
    them begins (its progress is invisible to others until it commits)."""
    access = access_for(actor)
    if not access.has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    report = ImportReport(dry_run=dry_run)
    try:
        rows = list(read_rows(name, content))
    except Exception:  # a broken file of any kind: one clear message, never a 500
        report.errors.append(RowError(0, "", _("The file cannot be read as CSV or XLSX.")))
        return report
    if not rows:
        report.errors.append(RowError(1, "", _("The file is empty.")))
        return report
    columns = layout.columns()
    header = [h.strip() for h in rows[0]]
    report.errors.extend(_header_errors(columns, header))
    if report.errors:
        return report
    if len(rows) - 1 > MAX_ROWS:
        report.errors.append(RowError(0, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS}))
        return report
    total = len(rows) - 1
    if progress:
        progress(0, total)
    index = {h: i for i, h in enumerate(header) if h}
    header_of = {c.field: c.header for c in columns}
    ctx: dict[str, Any] = {
        "access": access,
        "grids": {g.code: g for g in access.grids(Perm.REGISTRY_EDIT)},
    }
    seen: dict[Any, int] = {}
    good: list[Row] = []
    for number, values in enumerate(rows[1:], start=2):
        if progress and number > 2 and (number - 2) % PROGRESS_EVERY == 0:
            progress(number - 2, total)  # the rows before this one are checked
        if not any(v.strip() for v in values):
            continue
        report.rows += 1
        data: dict[str, Any] = {"extra": {}}
        reported: set[str] = set()
        for col in columns:
            if col.header not in index:
                continue
            i = index[col.header]
            raw = values[i].strip() if i < len(values) else ""
            value, problem = layout.parse(ctx, col, raw, data)
            if problem:
                report.errors.append(RowError(number, col.header, problem))
                reported.add(col.field)
            elif col.type == "ext":
                if raw:
                    data["extra"][col.field.removeprefix("extra.")] = raw
            else:
                data[col.field] = value
        failed = bool(reported)
        clean: dict[str, Any] = {}
        try:
            clean = layout.clean(access, data)
        except InvalidInput as e:
            failed = True
            for x in e.errors:
                if x.field not in reported:
                    column = header_of.get(x.field, x.field)
                    report.errors.append(RowError(number, column, x.message))
        row = Row(number, data, clean)
        for x in layout.check(ctx, row):  # links to other rows, reported even beside the above
            failed = True
            report.errors.append(RowError(number, header_of.get(x.field, x.field), x.message))
        if failed:
            continue
        key = layout.key({**clean, "grid_id": clean["grid"].pk})
        if key is not None and key in seen:
            report.errors.append(
                RowError(
                    number,
                    header_of[layout.key_column(key)],
                    layout.same_reason(seen[key]),
                )
            )
            continue
        if key is not None:
            seen[key] = number
        good.append(row)
        if len(report.preview) < PREVIEW_ROWS:
            report.preview.append((number, _preview(columns, index, values)))
    if progress:
        progress(total, total)
    for key in layout.existing(set(seen)):
        report.errors.append(
            RowError(seen[key], header_of[layout.key_column(key)], layout.duplicate_reason())
        )
    order = {c.header: i for i, c in enumerate(columns)}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    report.header = [c.header for c in columns if c.header in index]
    if report.errors or dry_run:
        return report
    if saving:
        saving()
    try:
        with transaction.atomic():
            layout.save(actor, good)
            audit.record(
                actor,
                "create",
                object_type=layout.model._meta.label_lower,
                object_id="import",
                object_repr=name[:200],
                changes={"imported": [None, len(good)]},
            )
    except RowInvalid as e:  # changed since it was checked: nothing saved
        for x in e.error.errors:
            report.errors.append(RowError(e.number, header_of.get(x.field, x.field), x.message))
        return report
    report.created = len(good)
    return report


def export_rows(layout: Layout, actor: Any, qs: Iterable[Any]) -> Iterator[list[str]]:
    """The header, then one row per record in the import layout. Encrypted fields are
    unmasked (each read logged) only for those who may see them, masked otherwise."""
    access = access_for(actor)
    full = access.has_perm(Perm.SENSITIVE_VIEW)
    columns = layout.columns()
    grid_codes = dict(Grid.objects.values_list("pk", "code"))
    yield [c.header for c in columns]
    batch: list[Any] = []
    for obj in qs:
        batch.append(obj)
        if len(batch) == 500:
            yield from _export_batch(layout, access, columns, batch, full, grid_codes)
            batch = []
    yield from _export_batch(layout, access, columns, batch, full, grid_codes)


def _export_batch(
    layout: Layout,
    access: Access,
    columns: list[Column],
    batch: list[Any],
    full: bool,
    grid_codes: dict[int, str],
) -> list[list[str]]:
    if not batch:
        return []
    sensitive: set[int] = set()
    if full:
        sensitive = set(
            access.visible(
                layout.model._default_manager.filter(pk__in=[o.pk for o in batch]),
                Perm.SENSITIVE_VIEW,
            ).values_list("pk", flat=True)
        )
    ctx = {"grid_codes": grid_codes, **layout.export_context(access, batch, full)}
    out = []
    with batched_sensitive_reads():
        for obj in batch:
            allowed = obj.pk in sensitive
            out.append([layout.export_cell(access, ctx, obj, c, allowed) for c in columns])
    return out
