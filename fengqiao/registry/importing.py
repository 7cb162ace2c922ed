"""Residents from the spreadsheets districts keep (CSV or XLSX, Chinese column headers), and
back out in the same layout.

Import is all-or-nothing: every row is validated first (the same checks as the form and the
API: `services.clean_resident`), and the report lists each bad row, column and reason; one bad
row and nothing is saved. A dry run validates and reports without saving.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.core.masking import batched_sensitive_reads
from fengqiao.registry import crypto, services
from fengqiao.registry.models import IdType, Resident, Sex
from fengqiao.territory.models import Grid

# The layout: (column header, field). Choice columns hold the Chinese labels below.
COLUMNS = [
    ("网格编码", "grid"),
    ("姓名", "name"),
    ("性别", "sex"),
    ("人口类型", "kind"),
    ("留守类型", "left_behind"),
    ("证件类型", "id_type"),
    ("公民身份号码", "id_number"),
    ("出生日期", "birth_date"),
    ("民族", "ethnicity"),
    ("籍贯", "native_place"),
    ("学历", "education"),
    ("职业", "occupation"),
    ("联系电话", "phone"),
    ("户籍地详址", "registered_address"),
    ("现住地详址", "current_address"),
    ("健康状况", "health"),
]
HEADER_OF = {f: h for h, f in COLUMNS}
CHOICES: dict[str, dict[str, str]] = {
    "sex": {"男": Sex.MALE, "女": Sex.FEMALE, "未知": Sex.UNKNOWN},
    "kind": {
        "户籍人口": Resident.Kind.REGISTERED,
        "流动人口": Resident.Kind.FLOATING,
        "境外人员": Resident.Kind.OVERSEAS,
    },
    "left_behind": {
        "": "",
        "留守儿童": Resident.LeftBehind.CHILD,
        "留守老人": Resident.LeftBehind.ELDERLY,
        "留守妇女": Resident.LeftBehind.WOMAN,
    },
    "id_type": {
        "": IdType.RESIDENT_ID,
        "居民身份证": IdType.RESIDENT_ID,
        "护照": IdType.PASSPORT,
        "其他": IdType.OTHER,
    },
}
LABEL_OF = {f: {v: k for k, v in m.items() if k} for f, m in CHOICES.items()}
MAX_ROWS = 50_000


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

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(name: str, content: bytes) -> Iterator[list[str]]:
    """The rows of a CSV (UTF-8, with or without BOM; GB18030 accepted) or XLSX file."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        for values in wb.worksheets[0].iter_rows(values_only=True):
            yield [
                "" if v is None else (v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v))
                for v in values
            ]
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")
    yield from csv.reader(io.StringIO(text))


def import_residents(
    actor: Any, name: str, content: bytes, *, dry_run: bool = False
) -> ImportReport:
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
    header = [h.strip() for h in rows[0]]
    index = {h: i for i, h in enumerate(header)}
    missing = [h for h, f in COLUMNS if f in ("grid", "name", "kind") and h not in index]
    for h in missing:
        report.errors.append(RowError(1, h, _("This column is missing.")))
    if missing:
        return report
    if len(rows) - 1 > MAX_ROWS:
        report.errors.append(RowError(0, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS}))
        return report
    grids = {g.code: g.pk for g in access.grids(Perm.REGISTRY_EDIT).only("code")}
    seen: dict[str, int] = {}
    cleaned: list[dict[str, Any]] = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        report.rows += 1
        data: dict[str, Any] = {}
        reported: set[str] = set()
        for h, f in COLUMNS:
            raw = values[index[h]].strip() if h in index and index[h] < len(values) else ""
            if f == "grid":
                data[f] = grids.get(raw, "")
            elif f in CHOICES:
                if raw not in CHOICES[f]:
                    allowed = "、".join(k for k in CHOICES[f] if k)
                    report.errors.append(
                        RowError(number, h, _("Choose one of: %(choices)s.") % {"choices": allowed})
                    )
                    reported.add(f)
                    continue
                data[f] = CHOICES[f][raw]
            else:
                data[f] = raw
        try:
            clean = services.clean_resident(access, data, current=None)
        except InvalidInput as e:
            for x in e.errors:
                if x.field in reported:
                    continue
                report.errors.append(RowError(number, HEADER_OF.get(x.field, x.field), x.message))
            continue
        if reported:
            continue
        key = crypto.id_hash(clean["id_number"]) if clean["id_number"] else ""
        if key and key in seen:
            report.errors.append(
                RowError(
                    number,
                    HEADER_OF["id_number"],
                    _("The same ID number is in row %(row)d.") % {"row": seen[key]},
                )
            )
            continue
        if key:
            seen[key] = number
        cleaned.append(clean)
    if seen:
        hashes = list(seen)
        for i in range(0, len(hashes), 1000):
            for h in Resident.objects.filter(
                id_hash__in=hashes[i : i + 1000], anonymised_at__isnull=True
            ).values_list("id_hash", flat=True):
                report.errors.append(
                    RowError(
                        seen[h],
                        HEADER_OF["id_number"],
                        _("A resident with this ID number is already registered."),
                    )
                )
    report.errors.sort(key=lambda e: (e.row, e.column))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        objs = []
        for clean in cleaned:
            r = Resident()
            for k, v in clean.items():
                setattr(r, k, v)
            objs.append(r)
        Resident.objects.bulk_create(objs, batch_size=1000)
        audit.record(
            actor,
            "create",
            object_type="registry.resident",
            object_id="import",
            object_repr=name[:200],
            changes={"imported": [None, len(objs)]},
        )
    report.created = len(objs)
    return report


def export_rows(actor: Any, qs: Iterable[Resident]) -> Iterator[list[str]]:
    """The header, then one row per resident in the import layout. Personal fields are
    unmasked (each read logged) only for those who may see them, masked otherwise."""
    access = access_for(actor)
    full = access.has_perm(Perm.SENSITIVE_VIEW)
    grid_codes = dict(Grid.objects.values_list("pk", "code"))
    yield [h for h, _f in COLUMNS]
    batch: list[Resident] = []
    for r in qs:
        batch.append(r)
        if len(batch) == 500:
            yield from _export_batch(access, batch, full, grid_codes)
            batch = []
    yield from _export_batch(access, batch, full, grid_codes)


def _export_batch(
    access: Any, batch: list[Resident], full: bool, grid_codes: dict[int, str]
) -> list[list[str]]:
    if not batch:
        return []
    sensitive = {r.pk for r in batch}
    if full:
        sensitive = set(
            access.visible(
                Resident.objects.filter(pk__in=sensitive), Perm.SENSITIVE_VIEW
            ).values_list("pk", flat=True)
        )
    out = []
    with batched_sensitive_reads():
        for r in batch:
            allowed = full and r.pk in sensitive
            row = []
            for _h, f in COLUMNS:
                if f == "grid":
                    row.append(grid_codes.get(r.grid_id, ""))
                elif f in ("id_number", "phone", "health"):
                    row.append(services.disclosed(access, r, f, allowed=allowed, purpose="export"))
                elif f in LABEL_OF:
                    row.append(LABEL_OF[f].get(getattr(r, f), ""))
                else:
                    value = getattr(r, f)
                    row.append("" if value is None else str(value))
            out.append(row)
    return out
