"""Bulk import of regions (CSV) and grids (GeoJSON): all rows or none.

Every row is checked first — on its own, against the database and against the other rows of
the same file — with the same rules as `fengqiao.territory.services`. If any row is bad the
report lists each problem (row, code, field, reason) and nothing is written. Otherwise
everything is written in one transaction with bulk inserts and one `AuditEntry` (IMPORT).

Row numbers: for CSV the line number in the file (the header is line 1); for GeoJSON the
position of the feature in `features`, counting from 1.
"""

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

import numpy as np
import shapely
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fengqiao.core import audit, refdata
from fengqiao.core.inputs import is_ascii_digits
from fengqiao.core.models import AuditEntry
from fengqiao.territory import locate, services
from fengqiao.territory.models import Grid, GridKind, Region, SiteType

Level = Region.Level


@dataclass
class ImportIssue:
    row: int
    code: str
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import found and did. `ok` is False when anything was wrong (then nothing changed)."""

    kind: str  # "regions" or "grids"
    filename: str = ""
    dry_run: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def add(self, row: int, code: str, field_name: str, message: str) -> None:
        self.issues.append(ImportIssue(row, code or "", field_name, str(message)))

    def add_errors(self, row: int, code: str, errors: services.Errors) -> None:
        for field_name, message in services.error_messages(errors):
            self.add(row, code, field_name, message)

    def summary(self) -> str:
        if not self.ok:
            return _("%(n)s problem(s) found in %(total)s row(s); nothing was imported.") % {
                "n": len(self.issues),
                "total": self.total,
            }
        if self.dry_run:
            return (
                _(
                    "All %(total)s row(s) are valid (dry run: nothing was imported): "
                    "%(created)s new, %(updated)s changed, %(unchanged)s unchanged."
                )
                % self._counts()
            )
        return (
            _(
                "Imported %(total)s row(s): %(created)s new, %(updated)s changed, %(unchanged)s unchanged."
            )
            % self._counts()
        )

    def _counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def _read_text(data: bytes | str | IO, report: ImportReport) -> str | None:
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            report.add(
                0, "", "file", _("The file is not UTF-8 text (byte %(pos)s).") % {"pos": exc.start}
            )
            return None
    return data.removeprefix("\ufeff")


# The keys of an import's audit entry, in words.
AUDIT_KEYS = {
    "file": gettext_lazy("file"),
    "rows": gettext_lazy("rows"),
    "created": pgettext_lazy("import count", "created"),
    "updated": pgettext_lazy("import count", "updated"),
    "unchanged": pgettext_lazy("import count", "unchanged"),
}
# A grid's box and representative point, derived from its boundary (fields with no name of
# their own: the forms never show them), in words.
GRID_AUDIT_KEYS = {
    "min_lon": gettext_lazy("westmost longitude"),
    "min_lat": gettext_lazy("southmost latitude"),
    "max_lon": gettext_lazy("eastmost longitude"),
    "max_lat": gettext_lazy("northmost latitude"),
    "center_lon": gettext_lazy("longitude of the centre point"),
    "center_lat": gettext_lazy("latitude of the centre point"),
}


def _record(actor: Any, report: ImportReport, object_type: str) -> None:
    what = report.filename or apps.get_model(object_type)._meta.verbose_name_plural
    audit.record(
        actor,
        AuditEntry.Action.IMPORT,
        object_type=object_type,
        object_repr=f"{what}: {report.total}",
        changes={
            "file": [None, report.filename],
            "rows": [None, report.total],
            "created": [None, report.created],
            "updated": [None, report.updated],
            "unchanged": [None, report.unchanged],
        },
    )


# Regions -------------------------------------------------------------------------------------

LEVEL_NAMES = {
    "province": Level.PROVINCE,
    "city": Level.CITY,
    "district": Level.DISTRICT,
    "county": Level.DISTRICT,
    "street": Level.STREET,
    "town": Level.STREET,
    "community": Level.COMMUNITY,
    "village": Level.COMMUNITY,
}
DEFAULT_KIND = {
    Level.PROVINCE: Region.Kind.PROVINCE,
    Level.CITY: Region.Kind.CITY,
    Level.DISTRICT: Region.Kind.DISTRICT,
    Level.STREET: Region.Kind.SUBDISTRICT,
    Level.COMMUNITY: Region.Kind.COMMUNITY,
}


@dataclass
class _RegionRow:
    line: int
    code: str
    name: str
    level: int | None
    kind: str
    parent_code: str
    valid_from: date | None
    valid_to: date | None
    parent: Any = None  # a stored Region or another _RegionRow of the file
    existing: Region | None = None  # the stored version this row updates
    closes: Any = None  # the version (stored or in the file) whose valid_to this row sets
    obj: Region | None = None


def _parse_date(value: str) -> date:
    return date.fromisoformat(value.strip())


def _parse_region_row(line: int, raw: dict[str, str], report: ImportReport) -> _RegionRow | None:
    get = {k: (v or "").strip() for k, v in raw.items() if k}.get
    code = get("code", "") or ""
    bad = False
    level: int | None = None
    kind = (get("kind", "") or "").lower()
    level_raw = (get("level", "") or "").lower()
    if level_raw:
        if is_ascii_digits(level_raw) and int(level_raw) in services.LEVEL_DIGITS:
            level = int(level_raw)
        elif level_raw in LEVEL_NAMES:
            level = LEVEL_NAMES[level_raw]
        else:
            report.add(line, code, "level", _("Unknown level “%(value)s”.") % {"value": level_raw})
            bad = True
    if kind and kind not in services.KIND_LEVEL:
        report.add(line, code, "kind", _("Unknown region kind %(kind)s.") % {"kind": kind})
        bad = True
    if not bad:
        if level is None and kind:
            level = services.KIND_LEVEL[kind]
        elif level is not None and not kind:
            kind = DEFAULT_KIND[level]
        elif level is None:
            report.add(line, code, "level", _("Give the level or the kind of the region."))
            bad = True
    name = get("name", "") or ""
    if not name:
        report.add(line, code, "name", _("The name is empty."))
        bad = True
    elif len(name) > 100:
        report.add(line, code, "name", _("The name is longer than 100 characters."))
        bad = True
    dates: dict[str, date | None] = {}
    for key in ("valid_from", "valid_to"):
        value = get(key, "") or ""
        try:
            dates[key] = _parse_date(value) if value else None
        except ValueError:
            report.add(
                line, code, key, _("Write dates as YYYY-MM-DD, not “%(value)s”.") % {"value": value}
            )
            bad = True
    if bad:
        return None
    return _RegionRow(
        line,
        code,
        name,
        level,
        kind,
        get("parent_code", "") or "",
        dates["valid_from"],
        dates["valid_to"],
    )


def _pick_version(candidates: list[Any], on: date | None) -> Any:
    """The version valid on `on` (today if None), else the latest one."""
    on = on or date.today()
    for c in candidates:
        if (c.valid_from is None or c.valid_from <= on) and (
            c.valid_to is None or c.valid_to >= on
        ):
            return c
    return max(candidates, key=lambda c: c.valid_from or date.min)


def import_regions(
    data: bytes | str | IO, *, actor: Any = None, dry_run: bool = False, filename: str = ""
) -> ImportReport:
    """Import regions from CSV with columns code, name, level and/or kind, parent_code,
    valid_from, valid_to (UTF-8, with or without BOM). A row whose code and valid_from match a
    stored region updates it; a later valid_from adds a new version and closes the previous one."""
    report = ImportReport("regions", filename, dry_run)
    text = _read_text(data, report)
    if text is None:
        return report
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {c.strip() for c in (reader.fieldnames or []) if c}
    missing = {"code", "name", "parent_code"} - columns
    if missing or not ({"level", "kind"} & columns):
        need = sorted(missing | ({"level"} if not {"level", "kind"} & columns else set()))
        report.add(1, "", "file", _("Missing column(s): %(cols)s.") % {"cols": ", ".join(need)})
        return report
    rows: list[_RegionRow] = []
    for raw in reader:
        report.total += 1
        raw = {(k or "").strip(): v for k, v in raw.items()}
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            report.total -= 1  # blank line
            continue
        row = _parse_region_row(reader.line_num, raw, report)
        if row is not None:
            rows.append(row)
    _check_regions(rows, report, actor)
    if report.ok and not dry_run:
        with transaction.atomic():
            _write_regions(rows, report)
            _record(actor, report, "territory.region")
    elif report.ok:
        for r in rows:
            if r.existing is None:
                report.created += 1
            elif _region_changes(r):
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _region_changes(row: _RegionRow) -> dict[str, Any]:
    r = row.existing
    assert r is not None
    new = {"name": row.name, "kind": row.kind, "level": row.level, "valid_to": row.valid_to}
    return {k: v for k, v in new.items() if getattr(r, k) != v}


def _check_regions(rows: list[_RegionRow], report: ImportReport, actor: Any) -> None:
    rows.sort(key=lambda r: (r.level, r.code, r.valid_from or date.min))
    codes = {r.code for r in rows} | {r.parent_code for r in rows if r.parent_code}
    stored: dict[str, list[Region]] = defaultdict(list)
    for region in Region.objects.filter(code__in=codes):
        stored[region.code].append(region)
    in_file: dict[str, list[_RegionRow]] = defaultdict(list)
    seen = Counter((r.code, r.valid_from) for r in rows)
    bad_codes: set[str] = {i.code for i in report.issues}
    for row in rows:
        errors: services.Errors = {}
        if seen[(row.code, row.valid_from)] > 1:
            services._add(
                errors,
                "code",
                _("Code %(code)s appears more than once for the same date."),
                "dup",
                code=row.code,
            )
        if row.parent_code:
            options = in_file.get(row.parent_code) or stored.get(row.parent_code)
            if not options and row.parent_code in bad_codes:
                services._add(
                    errors,
                    "parent_code",
                    _("The row of parent %(code)s has errors."),
                    "region_parent_bad",
                    code=row.parent_code,
                )
            elif not options:
                services._add(
                    errors,
                    "parent_code",
                    _("Unknown parent code %(code)s."),
                    "region_parent_unknown",
                    code=row.parent_code,
                )
            else:
                row.parent = _pick_version(options, row.valid_from)
        parent = row.parent
        parent_region = (
            parent
            if isinstance(parent, Region) or parent is None
            else Region(code=parent.code, level=parent.level)
        )
        if "parent_code" not in errors:
            services.region_errors(
                code=row.code,
                level=row.level,
                kind=row.kind,
                parent=parent_region,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                errors=errors,
            )
        same = [v for v in stored.get(row.code, []) if v.valid_from == row.valid_from]
        if same:
            row.existing = same[0]
            stored_parent = parent.existing if isinstance(parent, _RegionRow) else parent
            if row.existing.parent_id != (stored_parent.pk if stored_parent else None):
                services._add(
                    errors,
                    "parent_code",
                    _("Region %(code)s exists under another parent; move it in the admin."),
                    "region_parent_moved",
                    code=row.code,
                )
        elif not errors:
            versions = stored.get(row.code, []) + in_file.get(row.code, [])
            problem, row.closes = services.plan_version(versions, row.valid_from)
            if problem:
                services._add(
                    errors, "valid_from", services.VERSION_MESSAGES[problem], problem, code=row.code
                )
        if actor is not None and not errors:
            _check_region_scope(row, actor, errors)
        report.add_errors(row.line, row.code, errors)
        if errors:
            bad_codes.add(row.code)
        else:
            in_file[row.code].append(row)
    report.issues.sort(key=lambda i: i.row)


def _check_region_scope(row: _RegionRow, actor: Any, errors: services.Errors) -> None:
    anchor: Any = row.existing or row.parent
    while isinstance(anchor, _RegionRow):
        anchor = anchor.parent
    if anchor is None or not services.can_edit_path(actor, anchor.path):
        services._add(
            errors, "code", _("You may not edit the territory of this region."), "region_scope"
        )


def _write_regions(rows: list[_RegionRow], report: ImportReport) -> None:
    by_level: dict[int, list[_RegionRow]] = defaultdict(list)
    for row in rows:
        by_level[row.level].append(row)
    for level in sorted(by_level):
        new: list[_RegionRow] = []
        for row in by_level[level]:
            if row.existing is not None:
                changes = _region_changes(row)
                if changes:
                    for k, v in changes.items():
                        setattr(row.existing, k, v)
                    row.existing.save()
                    report.updated += 1
                else:
                    report.unchanged += 1
                row.obj = row.existing
                continue
            parent = row.parent.obj if isinstance(row.parent, _RegionRow) else row.parent
            row.obj = Region(
                code=row.code,
                name=row.name,
                level=row.level,
                kind=row.kind,
                parent=parent,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                path="",
            )
            new.append(row)
        # Close the previous versions first: a stored one in the database, a file one in memory.
        for row in new:
            closes = row.closes
            if closes is None:
                continue
            end = row.valid_from - timedelta(days=1)
            if isinstance(closes, Region):
                Region.objects.filter(pk=closes.pk).update(valid_to=end)
            else:
                closes.obj.valid_to = end
        created = Region.objects.bulk_create([r.obj for r in new], batch_size=1000)
        for obj in created:
            obj.path = (obj.parent.path if obj.parent_id else "/") + f"{obj.pk}/"
        Region.objects.bulk_update(created, ["path"], batch_size=1000)
        refdata.changed()  # bulk writes send no signal: every process re-reads the regions
        report.created += len(created)


# Grids ---------------------------------------------------------------------------------------


@dataclass
class _GridRow:
    index: int
    code: str
    name: str
    community: Region | None
    kind: str
    site_type: SiteType | None
    geom: Any


def _prop(props: dict, key: str) -> str:
    value = props.get(key)
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def import_grids(
    data: bytes | str | IO, *, actor: Any = None, dry_run: bool = False, filename: str = ""
) -> ImportReport:
    """Import grids from a GeoJSON FeatureCollection; properties code, name, community_code,
    kind (basic/dedicated, default basic) and optional site_type (a site type code)."""
    report = ImportReport("grids", filename, dry_run)
    text = _read_text(data, report)
    if text is None:
        return report
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        report.add(0, "", "file", _("The file is not valid JSON: %(reason)s.") % {"reason": exc})
        return report
    features = doc.get("features") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(features, list)
    ):
        report.add(0, "", "file", _("The file must be a GeoJSON FeatureCollection."))
        return report
    report.total = len(features)
    with transaction.atomic():
        # Validate under the grid lock, so a concurrent edit cannot slip an overlap in between.
        services.lock_grid_index()
        rows = _parse_grid_features(features, report, actor)
        report.issues.sort(key=lambda i: i.row)
        if not report.ok:
            return report
        report.created = len(rows)
        if not dry_run:
            _write_grids(rows)
            _record(actor, report, "territory.grid")
            locate.grids_changed()
    return report


def _parse_grid_features(features: list, report: ImportReport, actor: Any) -> list[_GridRow]:
    def props_of(f: Any) -> dict:
        return f.get("properties") or {} if isinstance(f, dict) else {}

    community_codes = {_prop(props_of(f), "community_code") for f in features}
    communities: dict[str, Region] = {}
    others: dict[str, list[Region]] = defaultdict(list)
    for region in Region.objects.filter(code__in=community_codes).order_by("code", "valid_from"):
        others[region.code].append(region)
    for code, versions in others.items():
        communities[code] = _pick_version(versions, None)
    site_types = {s.code: s for s in SiteType.objects.all()}
    codes = [_prop(props_of(f), "code") for f in features]
    counts = Counter(codes)
    taken = set(Grid.objects.filter(code__in=set(codes)).values_list("code", flat=True))
    rows: list[_GridRow] = []
    for i, feature in enumerate(features, start=1):
        code = codes[i - 1]
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            report.add(i, code, "feature", _("Each item of “features” must be a GeoJSON Feature."))
            continue
        props = props_of(feature)
        errors: services.Errors = {}
        name = _prop(props, "name")
        if not name:
            services._add(errors, "name", _("The name is empty."), "name")
        elif len(name) > 100:
            services._add(errors, "name", _("The name is longer than 100 characters."), "name")
        community_code = _prop(props, "community_code")
        community = communities.get(community_code)
        if community is None:
            services._add(
                errors,
                "community_code",
                _("Unknown community code %(code)s."),
                "community_unknown",
                code=community_code,
            )
        services.grid_code_errors(code, community, errors)
        if "code" not in errors and counts[code] > 1:
            services._add(
                errors,
                "code",
                _("Grid code %(code)s appears more than once in the file."),
                "dup",
                code=code,
            )
        if "code" not in errors and code in taken:
            services._add(
                errors,
                "code",
                _("Grid code %(code)s is already used."),
                "grid_code_taken",
                code=code,
            )
        kind = _prop(props, "kind") or GridKind.BASIC
        if kind not in GridKind.values:
            services._add(
                errors,
                "kind",
                _("Kind must be basic or dedicated, not %(kind)s."),
                "kind",
                kind=kind,
            )
        site_code = _prop(props, "site_type")
        site_type = site_types.get(site_code) if site_code else None
        if site_code and site_type is None:
            services._add(
                errors, "site_type", _("Unknown site type %(code)s."), "site_type", code=site_code
            )
        geom = None
        try:
            geom = services.parse_geometry(feature.get("geometry"))
        except ValidationError as exc:
            errors.setdefault("boundary", []).extend(exc.error_dict["boundary"])
        if geom is not None:
            services.geometry_errors(geom, errors)
        if (
            actor is not None
            and community is not None
            and not services.can_edit_path(actor, community.path)
        ):
            services._add(
                errors,
                "community_code",
                _("You may not edit the territory of this region."),
                "scope",
            )
        report.add_errors(i, code, errors)
        if not errors:
            rows.append(_GridRow(i, code, name, community, kind, site_type, geom))
        elif geom is not None and "boundary" not in errors:
            # Still compare its shape with the others, so one pass reports every overlap.
            rows.append(_GridRow(-i, code, name, community, kind, site_type, geom))
    _file_overlaps(rows, report)
    _stored_overlaps(rows, report)
    return [r for r in rows if r.index > 0]


def _file_overlaps(rows: list[_GridRow], report: ImportReport) -> None:
    geoms = [r.geom for r in rows]
    for i, j, _area in services.overlapping(geoms, geoms):
        if i == j:
            continue
        a, b = rows[i], rows[j]
        report.add(
            abs(a.index),
            a.code,
            "geometry",
            _("The boundary overlaps feature %(index)s (%(code)s) of this file.")
            % {"index": abs(b.index), "code": b.code},
        )


def _stored_overlaps(rows: list[_GridRow], report: ImportReport) -> bool:
    """Report file grids overlapping stored active grids; True if any does."""
    if not rows:
        return False
    bounds = shapely.bounds(np.asarray([r.geom for r in rows], dtype=object))
    min_lon, min_lat = bounds[:, 0].min(), bounds[:, 1].min()
    max_lon, max_lat = bounds[:, 2].max(), bounds[:, 3].max()
    stored = list(
        Grid.objects.filter(
            active=True,
            min_lon__lte=max_lon,
            max_lon__gte=min_lon,
            min_lat__lte=max_lat,
            max_lat__gte=min_lat,
        ).values_list("code", "boundary")
    )
    if not stored:
        return False
    shapes = [shapely.geometry.shape(b) for _c, b in stored]
    found = False
    for i, j, _area in services.overlapping([r.geom for r in rows], shapes):
        found = True
        report.add(
            abs(rows[i].index),
            rows[i].code,
            "geometry",
            _("The boundary overlaps grid %(other)s.") % {"other": stored[j][0]},
        )
    return found


def _write_grids(rows: list[_GridRow]) -> None:
    geoms = np.asarray([r.geom for r in rows], dtype=object)
    bounds = shapely.bounds(geoms)
    centers = shapely.get_coordinates(shapely.point_on_surface(geoms))
    boundaries = shapely.to_geojson(geoms)
    grids = [
        Grid(
            code=r.code,
            name=r.name,
            community=r.community,
            kind=r.kind,
            site_type=r.site_type,
            boundary=json.loads(boundaries[k]),
            min_lon=bounds[k, 0],
            min_lat=bounds[k, 1],
            max_lon=bounds[k, 2],
            max_lat=bounds[k, 3],
            center_lon=centers[k, 0],
            center_lat=centers[k, 1],
        )
        for k, r in enumerate(rows)
    ]
    Grid.objects.bulk_create(grids, batch_size=1000)
