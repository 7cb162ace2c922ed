"""The territory: administrative regions in one tree (province down to community/village) and grids."""

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.tree import PathTree
from fengqiao.core.validators import validate_region_code


class RegionQuerySet(models.QuerySet):
    def current(self, on: date | None = None) -> "RegionQuerySet":
        """Regions whose code is valid on `on` (today by default)."""
        on = on or date.today()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )

    def subtree(self, region: "Region") -> "RegionQuerySet":
        """`region` and everything below it."""
        return self.filter(path__startswith=region.path)


class OutlineSource(models.TextChoices):
    DRAWN = "drawn", _("drawn on the map")
    GRIDS = "grids", _("derived from the grids")


class Region(PathTree, models.Model):
    """An administrative unit with its 12-digit statistical code (GB/T 2260 / 统计用区划代码).

    `path` is the chain of ids from the root ("/1/5/17/"), so a subtree is one prefix filter.
    Codes change over time: a row carries the dates between which its code is valid.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        DISTRICT = 3, _("district")
        STREET = 4, _("street / town")
        COMMUNITY = 5, _("community / village")

    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        COUNTY = "county", _("county")
        SUBDISTRICT = "subdistrict", _("subdistrict")
        TOWN = "town", _("town")
        TOWNSHIP = "township", _("township")
        COMMUNITY = "community", _("community")
        VILLAGE = "village", _("village")

    code = models.CharField(_("region code"), max_length=12, validators=[validate_region_code])
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # The outline, like a grid's boundary: GeoJSON (WGS 84) Polygon or MultiPolygon, or none.
    # Written only through territory.services (set_region_outline, derive_region_outline).
    outline = models.JSONField(_("outline (GeoJSON)"), null=True, blank=True, editable=False)
    outline_source = models.CharField(
        _("outline source"), max_length=8, choices=OutlineSource.choices, blank=True, editable=False
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="region_code_per_version"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def ancestors(self) -> list["Region"]:
        ids = self.ancestor_ids[:-1]
        by_id = Region.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def is_within(self, other: "Region") -> bool:
        return self.path.startswith(other.path)

    def subtree_moved(self, old_path: str) -> None:
        """Cases (and the monitoring room's facts) copy region paths: rewrite them in the
        background once this move commits (fengqiao.territory.moves)."""
        from fengqiao.territory.moves import queue_moved

        queue_moved(region_id=self.pk)


class GridKind(models.TextChoices):
    BASIC = "basic", _("basic grid")
    DEDICATED = "dedicated", _("dedicated grid")


class SiteType(models.Model):
    """The kind of site a dedicated grid covers (school, hospital, market, industrial park …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("site type")
        verbose_name_plural = _("site types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """The smallest management cell: a polygon inside exactly one community or village.

    The polygon is kept as GeoJSON (WGS 84 longitude/latitude) with its bounding box and a
    representative point, so both databases can filter by area without a spatial extension;
    point-in-polygon lookups go through the in-memory index in `fengqiao.territory.locate`.
    """

    code = models.CharField(_("grid code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community / village"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=GridKind.choices, default=GridKind.BASIC
    )
    site_type = models.ForeignKey(
        SiteType, verbose_name=_("site type"), null=True, blank=True, on_delete=models.PROTECT
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"))
    min_lon = models.FloatField(editable=False, default=0)
    min_lat = models.FloatField(editable=False, default=0)
    max_lon = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    center_lon = models.FloatField(editable=False, default=0)
    center_lat = models.FloatField(editable=False, default=0)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def region_path(self) -> str:
        return self.community.path

    def shape(self):
        from shapely.geometry import shape

        return shape(self.boundary)

    def set_boundary(self, geometry) -> None:
        """Store a shapely polygon as the boundary, with its box and representative point."""
        from shapely.geometry import mapping

        self.boundary = mapping(geometry)
        if isinstance(self.boundary, dict):
            self.boundary = listify(self.boundary)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = geometry.bounds
        point = geometry.representative_point()
        self.center_lon, self.center_lat = point.x, point.y


def listify(value):
    if isinstance(value, dict):
        return {k: listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [listify(v) for v in value]
    return value


class GridIndexState(models.Model):
    """One row whose version rises on every grid change, so every process can see its index is stale."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"grid index v{self.version}"
