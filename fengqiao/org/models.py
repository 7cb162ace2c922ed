"""Organisations and the workforce: governance centers, service stations, member units,
mediation committees and groups, and grid workers."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.territory.models import Grid, Region


class Sector(models.Model):
    """What a member unit does (public security, justice, civil affairs …): reference data."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    GOVERNANCE_CENTER = "governance_center", _("governance center")
    SERVICE_STATION = "service_station", _("service station")
    MEMBER_UNIT = "member_unit", _("member unit")
    MEDIATION_COMMITTEE = "mediation_committee", _("mediation committee")
    MEDIATION_GROUP = "mediation_group", _("mediation group")
    LEGAL_SERVICE = "legal_service", _("public legal service post")
    LEADING_GROUP = "leading_group", _("leading group")


class Unit(models.Model):
    """An organisation that does the work, placed in a region (its jurisdiction).

    Units form their own tree through `parent` (a group under its committee, a police station
    under the public security bureau, a station under its street center) beside the region tree.
    """

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=UnitKind.choices)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        Region, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "name"], name="unit_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        level = self.region.level if self.region_id else None
        if self.kind == UnitKind.SERVICE_STATION and level != Region.Level.COMMUNITY:
            raise ValidationError({"region": _("A service station serves a community or village.")})
        if self.kind == UnitKind.GOVERNANCE_CENTER and level not in (
            Region.Level.PROVINCE,
            Region.Level.CITY,
            Region.Level.DISTRICT,
            Region.Level.STREET,
        ):
            raise ValidationError(
                {"region": _("A governance center serves a street/town or a higher level.")}
            )
        if self.kind == UnitKind.MEDIATION_COMMITTEE and level not in (
            Region.Level.STREET,
            Region.Level.COMMUNITY,
        ):
            raise ValidationError(
                {
                    "region": _(
                        "A mediation committee sits at street/town or community/village level."
                    )
                }
            )
        if self.kind == UnitKind.MEDIATION_GROUP and (
            not self.parent_id or self.parent.kind != UnitKind.MEDIATION_COMMITTEE
        ):
            raise ValidationError(
                {"parent": _("A mediation group belongs to a mediation committee.")}
            )


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("full-time")
    PART_TIME = "part_time", _("part-time")


class GridWorker(models.Model):
    """A grid worker's record: employment, background, the grids served and how to reach them."""

    class Background(models.TextChoices):
        GRADUATE = "graduate", _("college graduate")
        SOCIAL_WORKER = "social_worker", _("social worker")
        VOLUNTEER = "volunteer", _("volunteer")
        COMMUNITY_STAFF = "community_staff", _("community staff")
        OTHER = "other", _("other")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="grid_worker",
    )
    employment_type = models.CharField(
        _("employment type"), max_length=16, choices=EmploymentType.choices
    )
    background = models.CharField(
        _("background"), max_length=24, choices=Background.choices, default=Background.OTHER
    )
    grids = models.ManyToManyField(Grid, verbose_name=_("grids served"), related_name="workers")
    station = models.ForeignKey(
        Unit,
        verbose_name=_("service station"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_workers",
        limit_choices_to={"kind": UnitKind.SERVICE_STATION},
    )
    phone = models.CharField(_("work phone"), max_length=30, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username
