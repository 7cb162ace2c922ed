"""Where a new case goes (RoutingRule) and how long it may take (DeadlinePolicy).

Both are data an administrator edits; these functions only read them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.conf import settings

from fengqiao.cases import reference
from fengqiao.cases.models import (
    RISK_RANK,
    Case,
    Category,
    Channel,
    DeadlinePolicy,
    HandlingLevel,
    RoutingRule,
)
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Region
from fengqiao.workcalendar.calendar import Unit as LimitUnit
from fengqiao.workcalendar.calendar import WorkCalendar


@dataclass(frozen=True)
class Places:
    """The regions a case lies in (any may be None when the place is unknown)."""

    community: Region | None
    street: Region | None
    district: Region | None

    @property
    def path(self) -> str:
        most_precise = self.community or self.street or self.district
        return most_precise.path if most_precise else ""

    def at(self, level: str) -> Region | None:
        by_level: dict[str, Region | None] = {
            HandlingLevel.COMMUNITY: self.community,
            HandlingLevel.STREET: self.street,
            HandlingLevel.DISTRICT: self.district,
        }
        return by_level[level]


def home_district() -> Region | None:
    """The district this installation serves (settings.DISTRICT_CODE)."""
    code = settings.DISTRICT_CODE.ljust(12, "0")
    found: Region | None = reference.lazy(
        "territory.home_district",
        code,
        lambda: (
            Region.objects.filter(code=code, level=Region.Level.DISTRICT).order_by("-id").first()
        ),
    )
    return found


def places_of(community: Region | int | None) -> Places:
    """The community and the street and district above it (from the process's snapshots)."""
    if isinstance(community, int):
        community = reference.region(community)
    if not isinstance(community, Region):
        return Places(None, None, home_district())
    by_level = {}
    for pk in community.path.strip("/").split("/"):
        r = reference.region(int(pk))
        if r is not None:
            by_level[r.level] = r
    return Places(
        by_level.get(Region.Level.COMMUNITY),
        by_level.get(Region.Level.STREET),
        by_level.get(Region.Level.DISTRICT) or home_district(),
    )


def center_for(level: str, places: Places) -> Unit | None:
    """The service station (community) or governance center (street, district) at `level`."""
    region = places.at(level)
    if region is None:
        return None
    kind = (
        UnitKind.SERVICE_STATION if level == HandlingLevel.COMMUNITY else UnitKind.GOVERNANCE_CENTER
    )
    center: Unit | None = reference.center(region.pk, kind)
    return center


def triage_unit(places: Places) -> Unit | None:
    """The district center, whose triage queue takes every case no rule places."""
    return center_for(HandlingLevel.DISTRICT, places)


@dataclass(frozen=True)
class Routing:
    level: str
    unit: Unit | None
    rule: RoutingRule | None
    triage: bool
    reason: str = ""


def route(
    *,
    category: Category,
    channel: Channel,
    risk_level: str,
    places: Places,
    outside_grids: bool = False,
) -> Routing:
    """First active rule (by order) that matches wins; no match → the district triage queue.

    A point outside every grid always goes to triage: someone must place it by hand.
    """
    if not outside_grids:
        ancestors = set(category.ancestor_ids)
        path = places.path
        for rule in reference.routing_rules():
            if rule.category_id and rule.category_id not in ancestors:
                continue
            if rule.region_id and not (path and path.startswith(rule.region.path)):
                continue
            if rule.channel_id and rule.channel_id != channel.pk:
                continue
            if rule.min_risk and RISK_RANK[risk_level] < RISK_RANK[rule.min_risk]:
                continue
            unit = rule.target_unit or center_for(rule.target_level, places)
            if unit is not None and unit.active:
                return Routing(rule.target_level, unit, rule, False)
            # The rule matched but names no unit that exists here: a person must decide.
            return Routing(HandlingLevel.DISTRICT, triage_unit(places), rule, True, "no_unit")
        reason = "no_rule"
    else:
        reason = "outside_grids"
    return Routing(HandlingLevel.DISTRICT, triage_unit(places), None, True, reason)


def policy_for(kind: str, category: Category, level: str, priority: str) -> DeadlinePolicy | None:
    """The most specific active policy: priority beats category beats kind beats level;
    a deeper category beats its ancestors."""
    ancestors = category.ancestor_ids
    candidates = [
        p
        for p in reference.deadline_policies()
        if p.kind in ("", kind)
        and p.level in ("", level)
        and p.priority in ("", priority)
        and (p.category_id is None or p.category_id in ancestors)
    ]

    def specificity(p: DeadlinePolicy) -> tuple[int, int]:
        score = 0
        if p.priority:
            score += 1000
        if p.category_id:
            score += 100 + ancestors.index(p.category_id)
        if p.kind:
            score += 10
        if p.level:
            score += 1
        return score, -p.pk

    return max(candidates, key=specificity, default=None)


def apply_policy(case: Case, policy: DeadlinePolicy | None) -> None:
    """Copy the policy's limits onto the case (deadlines are then computed from them)."""
    if policy is None:
        case.acknowledge_limit = case.handle_limit = case.verify_limit = 0
        return
    case.limit_unit = policy.unit
    case.acknowledge_limit = policy.acknowledge_limit
    case.handle_limit = policy.handle_limit
    case.verify_limit = policy.verify_limit


def _pauses(case: Case) -> list[tuple[datetime, datetime | None]]:
    pauses: list[tuple[datetime, datetime | None]] = [
        (datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in case.pauses
    ]
    if case.suspended_at is not None:
        pauses.append((case.suspended_at, None))
    return pauses


def compute_deadlines(case: Case, cal: WorkCalendar | None = None) -> None:
    """Set acknowledge_due, handle_due and verify_due from the limits, the clock start, the
    finished pauses and approved extensions. While suspended the stored deadlines stay as
    they were (the calendar cannot know when the pause ends); resume recomputes them."""
    if case.suspended_at is not None:
        return
    cal = cal or reference.calendar()
    start = case.clock_start or case.created_at
    pauses = _pauses(case)
    # The column's choices are the calendar's units.
    unit = cast(LimitUnit, case.limit_unit)
    has_policy = case.acknowledge_limit or case.handle_limit or case.verify_limit
    if not has_policy:
        case.acknowledge_due = case.handle_due = case.verify_due = None
        return
    case.acknowledge_due = cal.deadline(start, case.acknowledge_limit, unit, pauses)
    due = cal.deadline(start, case.handle_limit, unit, pauses)
    if due is not None and case.extension_days:
        due = cal.add_working_days(due, case.extension_days)
    case.handle_due = due
    case.verify_due = (
        cal.deadline(case.resolved_at, case.verify_limit, unit, pauses)
        if case.resolved_at
        else None
    )
