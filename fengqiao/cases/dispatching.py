"""What the dispatch form offers (it changes nothing: the dispatch action decides).

- the units a clerk may dispatch to: those of their own view, plus the units placed in the
  regions above the case (its street and its district), so that a street center reaches the
  district's member units;
- the units suggested, from the routing rules that match the case (data an administrator
  edits) and from history (the units that led most cases of this category in this street);
- the default deadline of each task: the case's handle deadline (from the deadline policy),
  or, when the case has none yet or it has passed, the policy's limit counted from now.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.roles import Perm
from fengqiao.cases import reference, routing
from fengqiao.cases.models import Case, Task
from fengqiao.org.models import GridWorker, Unit, UnitKind
from fengqiao.workcalendar.calendar import Unit as LimitUnit
from fengqiao.workcalendar.calendar import WorkCalendar

HISTORY_SUGGESTIONS = 3

ROUTING = _("routing rule")
HISTORY = _("handled most such cases here")


@dataclass
class Suggestion:
    unit: Unit
    reason: Any  # lazy string


def reachable_units(case: Case, access: Any) -> QuerySet[Unit]:
    """Active units the user may dispatch this case to."""
    above = [r for r in (case.street_id, _district_id(case)) if r]
    qs = Unit.objects.filter(active=True).exclude(kind=UnitKind.LEADING_GROUP)
    visible = access.units(Perm.ORG_VIEW).values("id")
    return qs.filter(Q(pk__in=visible) | Q(region_id__in=above)).select_related("region")


def _district_id(case: Case) -> int | None:
    places = routing.places_of(case.community_id)
    district = places.at("district")
    return district.pk if district is not None else None


def suggestions(case: Case, units: QuerySet[Unit]) -> list[Suggestion]:
    """Routing-rule units first, then the units of history; only units in `units`."""
    allowed = set(units.values_list("pk", flat=True))
    found: list[Suggestion] = []
    seen = {case.handling_unit_id}

    def add(unit: Unit | None, reason: Any) -> None:
        if unit is not None and unit.pk in allowed and unit.pk not in seen:
            seen.add(unit.pk)
            found.append(Suggestion(unit, reason))

    places = routing.places_of(case.community_id)
    ancestors = set(case.category.ancestor_ids)
    path = places.path
    for rule in reference.routing_rules():
        if rule.category_id is None or rule.category_id not in ancestors:
            continue  # only rules that say something about this category
        if rule.region_id and not (path and path.startswith(rule.region.path)):
            continue
        add(rule.target_unit or routing.center_for(rule.target_level, places), ROUTING)
    if case.street_id:
        history = (
            Task.objects.filter(
                role=Task.Role.LEAD,
                case__category_id=case.category_id,
                case__street_id=case.street_id,
                unit_id__in=allowed,
            )
            .exclude(case_id=case.pk)
            .values("unit_id")
            .annotate(n=Count("id"))
            .order_by("-n", "unit_id")[: HISTORY_SUGGESTIONS + 1]
        )
        by_pk = Unit.objects.in_bulk([row["unit_id"] for row in history])
        for row in history:
            add(by_pk.get(row["unit_id"]), HISTORY)
    return found


def default_due(case: Case, now: datetime | None = None) -> datetime | None:
    """The deadline a task gets unless the clerk sets another."""
    now = now or timezone.now()
    if case.handle_due is not None and case.handle_due > now:
        return case.handle_due
    policy = routing.policy_for(case.kind, case.category, case.handling_level, case.priority)
    if policy is None:
        return None
    cal: WorkCalendar = reference.calendar()
    return cal.deadline(now, policy.handle_limit, cast(LimitUnit, policy.unit), [])


def grid_workers(case: Case, units: QuerySet[Unit], access: Any) -> QuerySet[GridWorker]:
    """Active grid workers of the case's community station, when the user acts for that
    station (to hand the station's task to one of them: `assign_task`)."""
    from fengqiao.cases.workflow import acts_for_unit

    if case.community_id is None:
        return GridWorker.objects.none()
    stations = [
        u
        for u in units.filter(kind=UnitKind.SERVICE_STATION, region_id=case.community_id)
        if acts_for_unit(access, u, Perm.CASE_HANDLE)
    ]
    return (
        GridWorker.objects.filter(station__in=stations, active=True, user__is_active=True)
        .select_related("user", "station")
        .order_by("station__name", "user__name")
    )
