"""Triage: accept a case, dispatch it to units, return it, escalate it a level up."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import routing
from fengqiao.cases.actions.base import (
    begin,
    inbox,
    notify_reporters,
    now,
    public_reply_text,
    require,
    transition,
    user_or_none,
)
from fengqiao.cases.errors import InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import Case, CaseState, HandlingLevel, InboxItem, Task
from fengqiao.org.models import Unit

NEXT_LEVEL: dict[str, str] = {
    HandlingLevel.COMMUNITY: HandlingLevel.STREET,
    HandlingLevel.STREET: HandlingLevel.DISTRICT,
}


def accept(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """The handling unit takes the case on (受理). `note` is internal; `public_reply` goes to
    the reporter with the acceptance notice."""
    with transaction.atomic():
        case, access = begin(actor, case, "accept", expected_version)
        reply = public_reply_text(case, public_reply, notify=False)
        case.accepted_at = case.accepted_at or now()
        case.needs_triage = False
        transition(actor, case, "accept", access=access, note=note, public_reply=reply)
        body = _("%(unit)s is handling it.") % {"unit": case.handling_unit or ""}
        notify_reporters(
            case,
            _("Your report %(number)s was accepted") % {"number": case.tracking_number},
            f"{body}\n{reply}" if reply else body,
        )
    return case


def dispatch(
    actor: Any,
    case: Case | int,
    *,
    lead_unit: Unit,
    co_units: Sequence[Unit] = (),
    instructions: str = "",
    lead_due: datetime | None = None,
    co_due: Mapping[int, datetime] | datetime | None = None,
    expected_version: int,
) -> Case:
    """Send the case to a lead unit and co-handling units, each with its own task and deadline
    (default: the case's handle deadline; `co_due` maps unit id → deadline, or one for all)."""
    with transaction.atomic():
        case, access = begin(actor, case, "dispatch", expected_version)
        require("lead_unit", lead_unit, _("Choose the lead unit."))
        co_units = list(co_units)
        ids = [lead_unit.pk, *(u.pk for u in co_units)]
        if len(set(ids)) != len(ids):
            raise InvalidInput(
                "co_units", "duplicate", _("A unit can have only one task on a case.")
            )
        units = Unit.objects.in_bulk(ids)
        for key, pk in [("lead_unit", lead_unit.pk), *(("co_units", u.pk) for u in co_units)]:
            if pk not in units or not units[pk].active:
                raise InvalidInput(key, "inactive", _("This unit does not exist or is inactive."))
        at = now()
        for key, due in [("lead_due", lead_due), *(("co_due", d) for d in _dues(co_due))]:
            if due is not None and due <= at:
                raise InvalidInput(key, "past", _("A deadline must lie in the future."))
        # Tasks of an earlier round (before a return) no longer count.
        case.tasks.filter(active=True).update(active=False)
        default_due = case.handle_due
        by = user_or_none(actor)
        tasks = [
            Task(case=case, unit=lead_unit, role=Task.Role.LEAD, instructions=instructions,
                 due=lead_due or default_due, dispatched_by=by, dispatched_at=at)
        ] + [
            Task(case=case, unit=u, role=Task.Role.CO, instructions=instructions,
                 due=_due_for(co_due, u) or default_due, dispatched_by=by, dispatched_at=at)
            for u in co_units
        ]  # fmt: skip
        Task.objects.bulk_create(tasks)
        case.needs_triage = False
        for t in tasks:
            inbox(case, InboxItem.Kind.DISPATCHED, unit=t.unit, text=case.title)
        transition(
            actor,
            case,
            "dispatch",
            access=access,
            note=instructions,
            data={"lead": lead_unit.pk, "co": [u.pk for u in co_units]},
        )
    return case


# A dispatch's co-handling deadline: none, one for every unit, or one per unit id.
CoDue = datetime | Mapping[int, datetime] | None


def _dues(co_due: CoDue) -> list[datetime]:
    if co_due is None:
        return []
    if isinstance(co_due, datetime):
        return [co_due]
    return list(co_due.values())


def _due_for(co_due: CoDue, unit: Unit) -> datetime | None:
    if co_due is None or isinstance(co_due, datetime):
        return co_due
    return co_due.get(unit.pk)


def return_case(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Send the case back with a reason (internal). A dispatched case goes back to the unit that
    dispatched it; a case routed to the wrong unit goes to the district triage queue."""
    with transaction.atomic():
        case, access = begin(actor, case, "return_case", expected_version)
        require("reason", reason, _("Give the reason for returning the case."))
        if case.state in (CaseState.DISPATCHED, CaseState.ACKNOWLEDGED):
            end_tasks(case, reason)
            target = case.handling_unit
        else:
            target = routing.triage_unit(routing.places_of(case.community))
            case.handling_unit, case.handling_level, case.needs_triage = (
                target,
                HandlingLevel.DISTRICT,
                True,
            )
        inbox(case, InboxItem.Kind.RETURNED, unit=target, text=reason)
        reply = public_reply_text(case, public_reply)
        transition(actor, case, "return_case", access=access, note=reason, public_reply=reply)
    return case


def end_tasks(case: Case, reason: str) -> None:
    """The open tasks of the current round are returned; the round is over."""
    case.tasks.filter(active=True).exclude(state__in=[Task.State.DONE, Task.State.WAIVED]).update(
        state=Task.State.RETURNED, waive_reason=reason
    )
    case.tasks.filter(active=True).update(active=False)


def escalate(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Hand the case up one level (community → street → district) to that level's center.
    `reason` is internal."""
    with transaction.atomic():
        case, access = begin(actor, case, "escalate", expected_version)
        require("reason", reason, _("Give the reason for escalating."))
        level = NEXT_LEVEL.get(case.handling_level)
        if level is None:
            raise TransitionNotAllowed(
                "handling_level", "top", _("The case is already handled at district level.")
            )
        places = routing.places_of(case.community)
        unit = routing.center_for(level, places) or routing.triage_unit(places)
        if unit is None:
            raise TransitionNotAllowed(
                "handling_unit", "no_unit", _("No governance center exists at the next level.")
            )
        end_tasks(case, reason)
        case.handling_level, case.handling_unit = level, unit
        case.needs_triage = False
        routing.apply_policy(
            case, routing.policy_for(case.kind, case.category, level, case.priority)
        )
        routing.compute_deadlines(case)
        inbox(case, InboxItem.Kind.DISPATCHED, unit=unit, text=reason)
        transition(
            actor,
            case,
            "escalate",
            access=access,
            note=reason,
            data={"level": level, "unit": unit.pk},
            public_reply=public_reply_text(case, public_reply),
        )
    return case
