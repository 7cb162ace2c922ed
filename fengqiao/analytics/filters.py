"""Reading indicator filters from a request (pages, API, exports and reports share this)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.indicators import Filters
from fengqiao.analytics.periods import parse_period
from fengqiao.cases.models import Category, Channel
from fengqiao.core import refdata
from fengqiao.core.inputs import ascii_int, is_ascii_digits
from fengqiao.territory.models import Region

PARAMS = ("region", "grid", "unit", "category", "channel", "period")


def stats_access(user: Any) -> Access:
    access = access_for(user)
    if not access.has_perm(Perm.STATS_VIEW):
        raise PermissionDenied
    return access


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    value = ascii_int(raw)
    if value is None:
        raise BadFilter(name, _("Give a number."))
    return value


def parse_filters(user: Any, params: Mapping[str, str]) -> Filters:
    """Filters from query parameters, inside the user's STATS_VIEW scope.

    region/grid/unit: ids of places the user may see; category: id or code (with its subtree);
    channel: id or code; period: see periods.parse_period. Unknown or unseen → BadFilter.
    """
    access = stats_access(user)
    scope = access.scope(Perm.STATS_VIEW)
    period = parse_period(params.get("period"), timezone.localdate())
    region = grid = unit = category = channel = None
    if (rid := _int(params, "region")) is not None:
        region = access.regions(Perm.STATS_VIEW).filter(pk=rid).first()
        if region is None:
            raise BadFilter(
                "region", _("No such region, or it is outside your area."), "not_found_in_scope"
            )
    if (gid := _int(params, "grid")) is not None:
        grid = access.grids(Perm.STATS_VIEW).filter(pk=gid).select_related("community").first()
        if grid is None:
            raise BadFilter(
                "grid", _("No such grid, or it is outside your area."), "not_found_in_scope"
            )
    if (uid := _int(params, "unit")) is not None:
        unit = access.units(Perm.STATS_VIEW).filter(pk=uid).first()
        if unit is None:
            raise BadFilter(
                "unit", _("No such unit, or it is outside your area."), "not_found_in_scope"
            )
    if raw := (params.get("category") or "").strip():
        lookup = {"pk": int(raw)} if is_ascii_digits(raw) else {"code": raw}
        category = Category.objects.filter(**lookup).first()
        if category is None:
            raise BadFilter("category", _("No such category."), "not_found_in_scope")
    if raw := (params.get("channel") or "").strip():
        lookup = {"pk": int(raw)} if is_ascii_digits(raw) else {"code": raw}
        channel = Channel.objects.filter(**lookup).first()
        if channel is None:
            raise BadFilter("channel", _("No such channel."), "not_found_in_scope")
    return Filters(scope, period, region, grid, unit, category, channel)


# The regions a statistics scope covers depend on the scope and on regions, grids and units
# alone, all watched by core.refdata: the dashboard's default region and its filter form's
# regions are kept in the reference-data snapshot, keyed by the scope (as the org counts are),
# without their outlines. Shared by the process: read-only.
FORM_REGIONS = 200


def home_region(user: Any) -> Region | None:
    """The widest region the user's statistics scope covers (their dashboard's default)."""
    access = stats_access(user)
    scope = access.scope(Perm.STATS_VIEW)

    def load() -> Region | None:
        regions = access.regions(Perm.STATS_VIEW).defer("outline").order_by("level", "code")
        return regions.first()

    return refdata.get(f"analytics.home_region:{scope!r}", load)


def form_regions(user: Any) -> list[Region]:
    """The regions the filter form offers: those of the statistics scope down to communities,
    in tree order, the first FORM_REGIONS."""
    access = stats_access(user)
    scope = access.scope(Perm.STATS_VIEW)

    def load() -> list[Region]:
        regions = access.regions(Perm.STATS_VIEW).filter(level__lte=Region.Level.COMMUNITY)
        return list(regions.only("id", "name", "level", "path").order_by("path")[:FORM_REGIONS])

    return refdata.get(f"analytics.form_regions:{scope!r}", load)


def query_string(filters: Filters, **extra: Any) -> str:
    """The query string that reproduces `filters` (for drill-down links)."""
    from urllib.parse import urlencode

    f = filters
    params = {
        "period": f.period.code,
        "region": f.region.pk if f.region else "",
        "grid": f.grid.pk if f.grid else "",
        "unit": f.unit.pk if f.unit else "",
        "category": f.category.pk if f.category else "",
        "channel": f.channel.pk if f.channel else "",
    }
    params.update(extra)
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def cases_in_scope(user: Any, filters: Filters) -> QuerySet:
    """The cases behind the filters that `user` may see: visible to them (CASE_VIEW), inside
    the statistics scope, and in the region, grid, unit, category and channel asked for.

    When both scopes hold the whole region, the region's path alone says which cases: the
    same path test written three times (two scopes and the region) made PostgreSQL expect a
    thousand times fewer rows than there are and, at 10 M cases, choose a plan 700 times slower
    for the dashboard's lists."""
    from fengqiao.cases.models import Case
    from fengqiao.cases.workflow import case_scope_q

    access = access_for(user)
    region = filters.region
    if not access.has_perm(Perm.CASE_VIEW):
        qs = Case.objects.none()
    elif (
        region is not None
        and access.scope(Perm.CASE_VIEW).covers_path(region.path)
        and filters.scope.covers_path(region.path)
    ):
        qs = Case.objects.filter(region_path__startswith=region.path)
    else:
        qs = access.visible(Case.objects.all(), Perm.CASE_VIEW).filter(case_scope_q(filters.scope))
        if region is not None:
            qs = qs.filter(region_path__startswith=region.path)
    if filters.grid is not None:
        qs = qs.filter(grid_id=filters.grid.pk)
    if filters.unit is not None:
        qs = qs.filter(handling_unit_id=filters.unit.pk)
    if filters.category is not None:
        qs = qs.filter(category__path__startswith=filters.category.path)
    if filters.channel is not None:
        qs = qs.filter(channel_id=filters.channel.pk)
    return qs
