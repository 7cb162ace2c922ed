"""The one place that writes regions and grids: validated, atomic, audited.

Every create, update and delete of a `Region` or `Grid` goes through a function here (the admin
and the importers too). Each one checks the actor may edit that part of the territory
(`Perm.TERRITORY_EDIT` over the region, the rule accounts registers with
`register_edit_check`; `actor=None` means the system, e.g. a management
command), validates, writes, records an `AuditEntry` and, for grids, bumps the spatial index
version with `locate.grids_changed()` in the same transaction.
"""

import math
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from shapely.geometry.base import BaseGeometry

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.territory import locate, moves
from fengqiao.territory.models import Grid, GridIndexState, GridKind, Region

# Overlap below this area (square degrees, ≈ 1 m² at 45°N) is digitising noise, not an overlap:
# neighbouring grids drawn separately rarely share their edges to the last decimal.
GRID_OVERLAP_TOLERANCE = 1e-10

Level = Region.Level
# How many leading digits of the 12-digit code each level owns (GB/T 2260 + 统计用区划代码).
LEVEL_DIGITS: dict[int, int] = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
}
KIND_LEVEL: dict[str, int] = {
    Region.Kind.PROVINCE: Level.PROVINCE,
    Region.Kind.CITY: Level.CITY,
    Region.Kind.DISTRICT: Level.DISTRICT,
    Region.Kind.COUNTY: Level.DISTRICT,
    Region.Kind.SUBDISTRICT: Level.STREET,
    Region.Kind.TOWN: Level.STREET,
    Region.Kind.TOWNSHIP: Level.STREET,
    Region.Kind.COMMUNITY: Level.COMMUNITY,
    Region.Kind.VILLAGE: Level.COMMUNITY,
}
_GRID_CODE_RE = re.compile(r"\d{15}")
_REGION_CODE_RE = re.compile(r"\d{12}")

Errors = dict[str, list[ValidationError]]


def _add(errors: Errors, field: str, message: Any, err_code: str, **params: Any) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=err_code, params=params))


def error_messages(errors: Errors) -> list[tuple[str, str]]:
    """(field, message) pairs with parameters filled in, in the active language."""
    return [(field, str(m)) for field, errs in errors.items() for e in errs for m in e.messages]


# Permissions ---------------------------------------------------------------------------------


# (actor, region path) → may the actor edit there. Accounts, which stands above territory,
# registers the rule (`Perm.TERRITORY_EDIT` over the path) in its ready(); until then no
# one but the system may edit.
EditCheck = Callable[[Any, str], bool]
_edit_check: list[EditCheck] = []


def register_edit_check(check: EditCheck) -> None:
    _edit_check[:] = [check]


def can_edit_path(actor: Any, path: str) -> bool:
    """May `actor` edit the territory at (or below) region path `path`? None is the system."""
    if actor is None:
        return True
    return bool(_edit_check) and _edit_check[0](actor, path)


def require_edit(actor: Any, path: str) -> None:
    if not can_edit_path(actor, path):
        raise PermissionDenied(_("You may not edit the territory of this region."))


# Geometry ------------------------------------------------------------------------------------


def parse_geometry(value: Any, field: str = "boundary") -> BaseGeometry:
    """A shapely geometry from GeoJSON (dict or str) or shapely; ValidationError (keyed `field`)
    if malformed."""
    if isinstance(value, BaseGeometry):
        geom = value
    else:
        try:
            if isinstance(value, str):
                geom = shapely.from_geojson(value)
            elif isinstance(value, dict):
                geom = shapely.geometry.shape(value)
            else:
                raise TypeError(type(value).__name__)
        except (
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            AttributeError,
            shapely.errors.ShapelyError,
        ) as exc:
            raise ValidationError(
                {
                    field: ValidationError(
                        _("The boundary is not a readable GeoJSON geometry (%(reason)s)."),
                        code="geometry_malformed",
                        params={"reason": str(exc)[:200] or type(exc).__name__},
                    )
                }
            ) from None
    return geom


def geometry_errors(geom: BaseGeometry, errors: Errors | None = None) -> Errors:
    """Shape checks of a grid boundary on its own: type, emptiness, coordinates, validity."""
    errors = {} if errors is None else errors
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        _add(
            errors,
            "boundary",
            _("A grid boundary must be a Polygon or MultiPolygon, not %(type)s."),
            "geometry_type",
            type=geom.geom_type,
        )
        return errors
    if geom.is_empty:
        _add(errors, "boundary", _("The grid boundary is empty."), "geometry_empty")
        return errors
    bounds = geom.bounds
    if not all(math.isfinite(b) for b in bounds) or not (
        -180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90
    ):
        _add(
            errors,
            "boundary",
            _(
                "The boundary's coordinates must be longitude (−180…180) then latitude (−90…90) in WGS 84."
            ),
            "geometry_range",
        )
        return errors
    if not geom.is_valid:
        _add(
            errors,
            "boundary",
            _("The boundary is not a valid polygon: %(reason)s."),
            "geometry_invalid",
            reason=shapely.is_valid_reason(geom),
        )
    elif geom.area <= GRID_OVERLAP_TOLERANCE:
        _add(errors, "boundary", _("The grid boundary has no area."), "geometry_empty")
    return errors


def grid_code_errors(code: str, community: Region | None, errors: Errors | None = None) -> Errors:
    """The 15-digit code = the community's 12-digit code + a sequence 001–999."""
    errors = {} if errors is None else errors
    if not _GRID_CODE_RE.fullmatch(code or ""):
        _add(errors, "code", _("A grid code has exactly 15 digits."), "grid_code_format")
    elif code[12:] == "000":
        _add(
            errors,
            "code",
            _("The last three digits of a grid code are its sequence, 001 to 999."),
            "grid_code_sequence",
        )
    elif community is not None and code[:12] != community.code:
        _add(
            errors,
            "code",
            _("A grid code starts with its community's code %(community)s."),
            "grid_code_prefix",
            community=community.code,
        )
    if community is not None and community.level != Level.COMMUNITY:
        _add(
            errors,
            "community",
            _("A grid belongs to a community or village, not to %(name)s."),
            "grid_community_level",
            name=community.name,
        )
    return errors


def overlapping(
    geoms: Iterable[BaseGeometry], others: Iterable[BaseGeometry]
) -> list[tuple[int, int, float]]:
    """(i, j, area) for each pair geoms[i] / others[j] overlapping by more than the tolerance.

    One STRtree over `others`; shared edges and corners are fine (their intersection has no area).
    """
    a = np.asarray(list(geoms), dtype=object)
    b = np.asarray(list(others), dtype=object)
    if a.size == 0 or b.size == 0:
        return []
    tree = shapely.STRtree(b)
    ia, ib = tree.query(a, predicate="intersects")
    if ia.size == 0:
        return []
    # Interiors meet ("T********"): skips the many pairs that only touch along an edge.
    inner = shapely.relate_pattern(a[ia], b[ib], "T********")
    ia, ib = ia[inner], ib[inner]
    if ia.size == 0:
        return []
    areas = shapely.area(shapely.intersection(a[ia], b[ib]))
    big = areas > GRID_OVERLAP_TOLERANCE
    return [
        (int(i), int(j), float(s)) for i, j, s in zip(ia[big], ib[big], areas[big], strict=True)
    ]


def grid_overlap_errors(
    geom: BaseGeometry, *, exclude_pk: int | None = None, errors: Errors | None = None
) -> Errors:
    """Compare with the stored active grids whose bounding boxes meet this one."""
    errors = {} if errors is None else errors
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    candidates = Grid.objects.filter(
        active=True,
        min_lon__lte=max_lon,
        max_lon__gte=min_lon,
        min_lat__lte=max_lat,
        max_lat__gte=min_lat,
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    rows = list(candidates.values_list("code", "boundary"))
    if not rows:
        return errors
    shapes = [shapely.geometry.shape(b) for _code, b in rows]
    for _i, j, _area in overlapping([geom], shapes):
        _add(
            errors,
            "boundary",
            _("The boundary overlaps grid %(other)s."),
            "grid_overlap",
            other=rows[j][0],
        )
    return errors


def validate_grid(
    *,
    code: str,
    community: Region | None,
    boundary: Any,
    exclude_pk: int | None = None,
    check_overlaps: bool = True,
) -> BaseGeometry:
    """Every rule a grid obeys; returns the parsed polygon or raises a field-keyed ValidationError."""
    errors: Errors = {}
    grid_code_errors(code, community, errors)
    geom = None
    try:
        geom = parse_geometry(boundary)
    except ValidationError as exc:
        errors.setdefault("boundary", []).extend(exc.error_dict["boundary"])
    if geom is not None:
        geometry_errors(geom, errors)
    if "code" not in errors:
        dupes = Grid.objects.filter(code=code)
        if exclude_pk is not None:
            dupes = dupes.exclude(pk=exclude_pk)
        if dupes.exists():
            _add(
                errors,
                "code",
                _("Grid code %(code)s is already used."),
                "grid_code_taken",
                code=code,
            )
    if geom is not None and "boundary" not in errors and check_overlaps:
        grid_overlap_errors(geom, exclude_pk=exclude_pk, errors=errors)
    if errors:
        raise ValidationError(errors)
    return geom


# Grids ---------------------------------------------------------------------------------------


def lock_grid_index() -> None:
    """Serialise grid writes (PostgreSQL row lock) so two overlapping grids cannot both pass."""
    GridIndexState.objects.get_or_create(pk=1)
    GridIndexState.objects.select_for_update().filter(pk=1).first()


GRID_FIELDS = ("code", "name", "community", "kind", "site_type", "boundary", "active")


def save_grid(actor: Any, grid: Grid) -> Grid:
    """Validate and store `grid` (new or changed in memory), audit it, refresh the index."""
    if grid.kind not in GridKind.values:
        raise ValidationError({"kind": _("Choose basic or dedicated.")})
    community = grid.community if grid.community_id else None
    with transaction.atomic():
        lock_grid_index()
        before: dict[str, Any] = {}
        if grid.pk is not None:
            stored = Grid.objects.select_for_update().select_related("community").get(pk=grid.pk)
            require_edit(actor, stored.community.path)
            before = audit.snapshot(stored)
        if community is None:
            raise ValidationError({"community": _("Choose the community or village of the grid.")})
        require_edit(actor, community.path)
        geom = validate_grid(
            code=grid.code,
            community=community,
            boundary=grid.boundary,
            exclude_pk=grid.pk,
            check_overlaps=grid.active,
        )
        grid.set_boundary(geom)
        grid.save()
        if before and before.get("community") != grid.community_id:
            # The grid's cases follow it to its new community (fengqiao.territory.moves).
            moves.queue_moved(grid_id=grid.pk)
        after = audit.snapshot(grid)
        action = AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE
        audit.record(actor, action, grid, audit.diff(before, after))
        locate.grids_changed()
    return grid


def create_grid(actor: Any, **fields: Any) -> Grid:
    unknown = set(fields) - set(GRID_FIELDS)
    if unknown:
        raise TypeError(f"unknown grid fields: {sorted(unknown)}")
    return save_grid(actor, Grid(**fields))


def update_grid(actor: Any, grid: Grid, **changes: Any) -> Grid:
    unknown = set(changes) - set(GRID_FIELDS)
    if unknown:
        raise TypeError(f"unknown grid fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(grid, name, value)
    return save_grid(actor, grid)


def delete_grid(actor: Any, grid: Grid) -> None:
    with transaction.atomic():
        lock_grid_index()
        stored = Grid.objects.select_for_update().select_related("community").get(pk=grid.pk)
        require_edit(actor, stored.community.path)
        snap = audit.snapshot(stored)
        audit.record(
            actor, AuditEntry.Action.DELETE, stored, {k: [v, None] for k, v in snap.items()}
        )
        try:
            with transaction.atomic():
                stored.delete()
        except ProtectedError:
            raise ValidationError(
                _("Grid %(code)s is still referenced by other records; deactivate it instead."),
                code="grid_protected",
                params={"code": stored.code},
            ) from None
        locate.grids_changed()


# Regions -------------------------------------------------------------------------------------


def region_code_errors(
    code: str, level: int | None, parent: Region | None, errors: Errors | None = None
) -> Errors:
    """Code shape per level, and the parent: exactly one level up, sharing the code prefix."""
    errors = {} if errors is None else errors
    if not _REGION_CODE_RE.fullmatch(code or ""):
        _add(errors, "code", _("A region code has exactly 12 digits."), "region_code")
        return errors
    if level not in LEVEL_DIGITS:
        _add(errors, "level", _("Unknown region level."), "region_level")
        return errors
    own = LEVEL_DIGITS[level]
    above = LEVEL_DIGITS.get(level - 1, 0)
    if code[own:] != "0" * (12 - own):
        _add(
            errors,
            "code",
            _("At this level only the first %(digits)s digits of the code may be non-zero."),
            "region_code_tail",
            digits=own,
        )
    elif code[above:own] == "0" * (own - above):
        _add(
            errors,
            "code",
            _("Digits %(start)s–%(end)s of the code (this level's own part) must not all be zero."),
            "region_code_own",
            start=above + 1,
            end=own,
        )
    if level == Level.PROVINCE:
        if parent is not None:
            _add(errors, "parent", _("A province has no parent region."), "region_parent_level")
        return errors
    if parent is None:
        _add(errors, "parent", _("Choose the parent region."), "region_parent_missing")
    elif parent.level != level - 1:
        _add(
            errors,
            "parent",
            _("The parent must be exactly one level up (%(expected)s), not %(actual)s."),
            "region_parent_level",
            expected=Level(level - 1).label,
            actual=parent.get_level_display(),
        )
    elif code[:above] != parent.code[:above]:
        _add(
            errors,
            "code",
            _("The code must start with the parent's code prefix %(prefix)s."),
            "region_code_prefix",
            prefix=parent.code[:above],
        )
    return errors


def region_errors(
    *,
    code: str,
    level: int | None,
    kind: str,
    parent: Region | None,
    valid_from: date | None,
    valid_to: date | None,
    errors: Errors | None = None,
) -> Errors:
    errors = {} if errors is None else errors
    region_code_errors(code, level, parent, errors)
    if kind not in KIND_LEVEL:
        _add(errors, "kind", _("Unknown region kind %(kind)s."), "region_kind", kind=kind)
    elif level in LEVEL_DIGITS and KIND_LEVEL[kind] != level:
        _add(
            errors,
            "kind",
            _("A %(kind)s is not at the %(level)s level."),
            "region_kind_level",
            kind=Region.Kind(kind).label,
            level=Level(level).label,
        )
    if valid_from and valid_to and valid_to < valid_from:
        _add(
            errors,
            "valid_to",
            _("“Valid to” must not be earlier than “valid from”."),
            "region_dates",
        )
    return errors


VERSION_MESSAGES = {
    "region_version_date": _(
        "Code %(code)s already exists: a new version needs a “valid from” date."
    ),
    "region_version_order": _("Code %(code)s already has a version from this date or later."),
}


def plan_version(versions: list[Any], valid_from: date | None) -> tuple[str | None, Any]:
    """Where a new version starting `valid_from` fits after `versions` (objects with valid_from
    and valid_to): (error code or None, the version whose “valid to” it closes or None)."""
    if not versions:
        return None, None
    if valid_from is None:
        return "region_version_date", None
    if any(v.valid_from is not None and v.valid_from >= valid_from for v in versions):
        return "region_version_order", None
    previous = max(versions, key=lambda v: v.valid_from or date.min)
    if previous.valid_to is not None and previous.valid_to < valid_from:
        return None, None  # a gap between versions: nothing to close
    return None, previous


def version_errors(
    code: str,
    valid_from: date | None,
    exclude_pk: int | None = None,
    errors: Errors | None = None,
) -> tuple[Errors, Region | None]:
    """Check a new version of `code` fits after the stored ones; return the version it closes."""
    errors = {} if errors is None else errors
    versions = Region.objects.filter(code=code)
    if exclude_pk is not None:
        versions = versions.exclude(pk=exclude_pk)
    problem, previous = plan_version(list(versions), valid_from)
    if problem:
        _add(errors, "valid_from", VERSION_MESSAGES[problem], problem, code=code)
    return errors, previous


def save_region(actor: Any, region: Region) -> Region:
    """Validate and store `region`. A new row for an existing code is a new version of it:
    the previous version's “valid to” becomes the day before the new one's “valid from”."""
    parent = region.parent if region.parent_id else None
    with transaction.atomic():
        before: dict[str, Any] = {}
        stored = None
        if region.pk is not None:
            stored = Region.objects.select_for_update().get(pk=region.pk)
            require_edit(actor, stored.path)
            before = audit.snapshot(stored)
        if parent is not None:
            require_edit(actor, parent.path)
        elif actor is not None and (stored is None or stored.parent_id is not None):
            raise PermissionDenied(_("Only the system may add or move top-level regions."))
        errors = region_errors(
            code=region.code,
            level=region.level,
            kind=region.kind,
            parent=parent,
            valid_from=region.valid_from,
            valid_to=region.valid_to,
        )
        if parent is not None and region.pk is not None and parent.is_within(stored):
            _add(errors, "parent", _("A region cannot be moved below itself."), "region_cycle")
        previous = None
        if stored is None:
            _errs, previous = version_errors(region.code, region.valid_from, errors=errors)
        elif stored.code != region.code:
            if stored.children.exists() or Grid.objects.filter(community=stored).exists():
                _add(
                    errors,
                    "code",
                    _(
                        "A region with sub-regions or grids keeps its code; add a new version instead."
                    ),
                    "region_code_locked",
                )
            elif Region.objects.filter(code=region.code).exclude(pk=region.pk).exists():
                _add(
                    errors,
                    "code",
                    _("Region code %(code)s is already used."),
                    "region_code_taken",
                    code=region.code,
                )
        if errors:
            raise ValidationError(errors)
        if previous is not None:
            old = audit.snapshot(previous)
            previous.valid_to = region.valid_from - timedelta(days=1)
            previous.save(update_fields=["valid_to"])
            audit.record(
                actor, AuditEntry.Action.UPDATE, previous, audit.diff(old, audit.snapshot(previous))
            )
        region.save()
        action = AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE
        audit.record(actor, action, region, audit.diff(before, audit.snapshot(region)))
    return region


REGION_FIELDS = ("code", "name", "level", "kind", "parent", "valid_from", "valid_to")


def create_region(actor: Any, **fields: Any) -> Region:
    unknown = set(fields) - set(REGION_FIELDS)
    if unknown:
        raise TypeError(f"unknown region fields: {sorted(unknown)}")
    return save_region(actor, Region(**fields))


def update_region(actor: Any, region: Region, **changes: Any) -> Region:
    unknown = set(changes) - set(REGION_FIELDS)
    if unknown:
        raise TypeError(f"unknown region fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(region, name, value)
    return save_region(actor, region)


def delete_region(actor: Any, region: Region) -> None:
    with transaction.atomic():
        stored = Region.objects.select_for_update().get(pk=region.pk)
        require_edit(actor, stored.path)
        if stored.parent_id is None and actor is not None:
            raise PermissionDenied(_("Only the system may add or move top-level regions."))
        snap = audit.snapshot(stored)
        audit.record(
            actor, AuditEntry.Action.DELETE, stored, {k: [v, None] for k, v in snap.items()}
        )
        try:
            with transaction.atomic():
                stored.delete()
        except ProtectedError:
            raise ValidationError(
                _(
                    "Region %(name)s still has sub-regions, grids or other records; close it with a “valid to” date instead."
                ),
                code="region_protected",
                params={"name": stored.name},
            ) from None
