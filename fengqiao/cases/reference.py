"""The reference data an intake reads, from this process's snapshots (fengqiao.core.refdata).

Channels, categories, routing rules and deadline policies are few and loaded whole; regions,
grids and the centers of a region are looked up one by one and remembered, so a province-wide
installation keeps only the places it has seen. Every value is shared by the whole process:
read it, never change or save it.
"""

from collections.abc import Callable
from typing import Any

from fengqiao.core import refdata
from fengqiao.core.inputs import is_ascii_digits


def _channels() -> dict[str, Any]:
    from fengqiao.cases.models import Channel

    return {c.code: c for c in Channel.objects.filter(active=True)}


def active_channel(code: str) -> Any:
    """The active channel with this code, or None."""
    return refdata.get("cases.channels", _channels).get(code)


def _categories() -> dict[Any, Any]:
    from fengqiao.cases.models import Category

    found: dict[Any, Any] = {}
    for c in Category.objects.all():
        found[c.pk] = c
        found[c.code] = c
    return found


def category(value: Any) -> Any:
    """The category with this id or code (active or not), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and is_ascii_digits(value):
        value = int(value)
    return refdata.get("cases.categories", _categories).get(value)


def lazy(name: str, key: Any, load: Callable[[], Any]) -> Any:
    """The value of `key` in the snapshot `name`, loaded on first use. A row that does not
    exist is not remembered: rows created by bulk loaders (no signal) are found at once."""
    memo: dict[Any, Any] = refdata.get(name, dict)
    try:
        return memo[key]
    except KeyError:
        value = load()
        if value is not None:
            memo[key] = value
        return value


def region(pk: int) -> Any:
    """The region with this id, or None."""
    from fengqiao.territory.models import Region

    return lazy("territory.regions", pk, lambda: Region.objects.filter(pk=pk).first())


GRID_FIELDS = ("id", "code", "name", "community_id", "kind", "active")


def grid(pk: int) -> Any:
    """The grid with this id without its boundary (deferred), or None."""
    from fengqiao.territory.models import Grid

    def load() -> Any:
        return Grid.objects.filter(pk=pk).only(*GRID_FIELDS).first()

    return lazy("territory.grids", pk, load)


def center(region_id: int, kind: str) -> Any:
    """The first active unit of `kind` in the region (a service station or governance center)."""
    from fengqiao.org.models import Unit

    def load() -> Any:
        return (
            Unit.objects.filter(region_id=region_id, kind=kind, active=True).order_by("id").first()
        )

    return lazy("org.centers", (region_id, kind), load)


def _rules() -> list[Any]:
    from fengqiao.cases.models import RoutingRule

    return list(
        RoutingRule.objects.filter(active=True)
        .select_related("region", "target_unit")
        .order_by("order", "id")
    )


def routing_rules() -> list[Any]:
    """Active routing rules in the order they are tried."""
    return refdata.get("cases.routing_rules", _rules)


def _policies() -> list[Any]:
    from fengqiao.cases.models import DeadlinePolicy

    return list(DeadlinePolicy.objects.filter(active=True).order_by("id"))


def deadline_policies() -> list[Any]:
    """Active deadline policies."""
    return refdata.get("cases.deadline_policies", _policies)


def calendar() -> Any:
    """The working-day calendar with every administrator override."""
    from fengqiao.workcalendar.calendar import WorkCalendar

    return refdata.get("workcalendar.calendar", WorkCalendar.load)


def watch_models() -> None:
    """Register the models whose every change drops the snapshots (CasesConfig.ready)."""
    from fengqiao.cases.models import Category, Channel, DeadlinePolicy, RoutingRule
    from fengqiao.org.models import Unit
    from fengqiao.territory.models import Grid, Region
    from fengqiao.workcalendar.models import CalendarOverride, HolidayNotice

    refdata.watch(Channel, Category, RoutingRule, DeadlinePolicy, Region, Grid, Unit)
    refdata.watch(CalendarOverride, HolidayNotice)
