"""The outlines of regions (streets, communities …): drawn on the map or derived from the grids.

Like every territory write (fengqiao.territory.services) each change goes through one function
here: it checks the actor may edit that region (`Perm.TERRITORY_EDIT`), locks the row, validates
the polygon, stores it and records the old and new outline in an `AuditEntry` (the region's
history). Bad geometry raises a `ValidationError` keyed "outline" and changes nothing.
"""

import math
from typing import Any

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from shapely.geometry.base import BaseGeometry

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Grid, OutlineSource, Region, listify
from fengqiao.territory.services import GRID_OVERLAP_TOLERANCE, parse_geometry, require_edit

FIELD = "outline"
# Regions whose outline may be derived from their grids (a district has too many to draw well).
DERIVABLE_LEVELS = (Region.Level.STREET, Region.Level.COMMUNITY)


def _error(message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError({FIELD: ValidationError(message, code=code, params=params)})


def outline_problem(geom: BaseGeometry) -> ValidationError | None:
    """Why `geom` cannot be a region's outline (type, emptiness, place, validity), or None."""
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return _error(
            _("A region outline must be a Polygon or MultiPolygon, not %(type)s."),
            "outline_type",
            type=geom.geom_type,
        )
    if geom.is_empty:
        return _error(_("The region outline is empty."), "outline_empty")
    west, south, east, north = settings.COORDINATE_BOUNDS
    bounds = geom.bounds
    if not all(math.isfinite(b) for b in bounds) or not (
        west <= bounds[0] <= bounds[2] <= east and south <= bounds[1] <= bounds[3] <= north
    ):
        return _error(
            _(
                "The outline must lie within %(west)s–%(east)s E, %(south)s–%(north)s N "
                "(longitude first, WGS 84)."
            ),
            "outline_range",
            west=west,
            east=east,
            south=south,
            north=north,
        )
    if not geom.is_valid:
        return _error(
            _("The outline is not a valid polygon: %(reason)s."),
            "outline_invalid",
            reason=shapely.is_valid_reason(geom),
        )
    if geom.area <= GRID_OVERLAP_TOLERANCE:
        return _error(_("The region outline has no area."), "outline_empty")
    return None


def validate_outline(value: Any) -> BaseGeometry:
    """The parsed outline, or a ValidationError keyed "outline" saying what is wrong."""
    try:
        geom = parse_geometry(value, field=FIELD)
    except ValidationError:
        raise _error(
            _("The outline is not a readable GeoJSON polygon."), "outline_malformed"
        ) from None
    problem = outline_problem(geom)
    if problem is not None:
        raise problem
    return geom


def _store(actor: Any, region: Region, geom: BaseGeometry | None, source: str) -> Region:
    """Lock, check the actor, store and audit; the caller validated `geom`."""
    with transaction.atomic():
        stored = Region.objects.select_for_update().get(pk=region.pk)
        require_edit(actor, stored.path)
        before = {"outline": stored.outline, "outline_source": stored.outline_source}
        stored.outline = listify(shapely.geometry.mapping(geom)) if geom is not None else None
        stored.outline_source = source if geom is not None else ""
        stored.save(update_fields=["outline", "outline_source"])
        after = {"outline": stored.outline, "outline_source": stored.outline_source}
        changes = audit.diff(before, after)
        if changes:
            audit.record(actor, AuditEntry.Action.UPDATE, stored, changes)
    region.outline, region.outline_source = stored.outline, stored.outline_source
    return region


def set_region_outline(actor: Any, region: Region, outline: Any) -> Region:
    """Give `region` the outline drawn on the map (GeoJSON dict or text); None clears it."""
    require_edit(actor, region.path)  # before parsing: an outsider learns nothing from errors
    geom = None if outline is None else validate_outline(outline)
    return _store(actor, region, geom, OutlineSource.DRAWN)


def grids_union(region: Region) -> BaseGeometry | None:
    """The union of the active grids in `region`'s subtree, or None when it has none."""
    boundaries = Grid.objects.filter(active=True, community__path__startswith=region.path)
    shapes = [shapely.geometry.shape(b) for b in boundaries.values_list("boundary", flat=True)]
    if not shapes:
        return None
    union = shapely.union_all(shapes)
    # Grids digitised separately leave hairline gaps and slivers: close them, keep the shape.
    tidy = union.buffer(1e-7, join_style="mitre").buffer(-1e-7, join_style="mitre")
    if tidy.geom_type in ("Polygon", "MultiPolygon") and tidy.is_valid and not tidy.is_empty:
        union = tidy
    return shapely.normalize(union)


def derive_region_outline(actor: Any, region: Region) -> Region:
    """Set a street's or community's outline to the union of its grids' polygons."""
    require_edit(actor, region.path)
    if region.level not in DERIVABLE_LEVELS:
        raise _error(
            _("Only a street or a community has its outline derived from its grids."),
            "outline_level",
        )
    union = grids_union(region)
    if union is None:
        raise _error(
            _("%(name)s has no active grid to derive an outline from."),
            "outline_no_grids",
            name=region.name,
        )
    problem = outline_problem(union)
    if problem is not None:
        raise problem
    return _store(actor, region, union, OutlineSource.GRIDS)


def outline_collection(regions: "QuerySet[Region]", editable: set[int] | None = None) -> dict:
    """A GeoJSON FeatureCollection of the regions' outlines with their names and levels."""
    features = [
        {
            "type": "Feature",
            "id": r.pk,
            "geometry": r.outline,
            "properties": {
                "name": r.name,
                "code": r.code,
                "level": r.level,
                "source": r.outline_source,
                "editable": r.pk in (editable or set()),
            },
        }
        for r in regions.exclude(outline__isnull=True).order_by("level", "code")
    ]
    return {"type": "FeatureCollection", "features": features}
