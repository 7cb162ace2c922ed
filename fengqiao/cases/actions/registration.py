"""Intake: a new case from any channel (web form, public form, REST API, Open311, split).

Step by step: validate (`input.clean_case_data`), find the grid from the point, route by
RoutingRule, store deadlines from DeadlinePolicy, look for duplicates, take the tracking number
(`numbers`), write the case, its parties, attachments and first history entry, put it in the
handling unit's inbox, index its text and queue the reporter's notification; one transaction.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import notifications, reference, routing
from fengqiao.cases.actions.base import inbox, index, now, user_or_none
from fengqiao.cases.actions.details import store_attachment
from fengqiao.cases.actions.input import CaseInput, clean_case_data
from fengqiao.cases.actions.numbers import allocate_tracking_number
from fengqiao.cases.duplicates import Candidate, suggest_duplicates
from fengqiao.cases.errors import InvalidInput, NotPermitted
from fengqiao.cases.hooks import run_intake_hooks
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    Channel,
    InboxItem,
    LocationFlag,
    Party,
)
from fengqiao.core import chain


@dataclass
class IntakeResult:
    case: Case
    duplicates: list[Candidate] = field(default_factory=list)
    answer: Any = None  # what `respond(case)` returned, inside the intake's transaction


def intake(
    actor: Any,
    data: Mapping[str, Any],
    channel: Channel | str,
    *,
    respond: Callable[[Case, list[Party]], Any] | None = None,
) -> IntakeResult:
    """Register a new case from any channel; `actor` None is a resident's public report.

    data: kind, category (object, id or code), title, description, address, lon, lat,
    reporter_name, reporter_phone, reporter_email, people_involved, risk_level, priority,
    parties (list of dicts: party_type, role, name, id_type, id_number, phone, sex, ethnicity,
    education, address, is_vulnerable, notes), attachments (uploaded files).

    Validates everything first (InvalidInput names every bad field; nothing is saved), finds
    the grid from the point (outside every grid → flagged, sent to triage, not refused), routes
    by RoutingRule, stores deadlines from DeadlinePolicy on the working-day calendar, allocates
    the tracking number, writes the history, indexes the text and queues the reporter's
    notification of the tracking number, all in one transaction. Returns the case and its
    possible duplicates.

    `respond(case, parties)`, if given, runs last inside the intake's transaction (an API answer
    whose log of sensitive reads must commit with the case, in one commit) with the parties just
    written; its result is `answer`. The chains' anchors of the whole intake (its history, the
    answer's read log, a warning raised) are written in one INSERT.
    """
    public = actor is None
    channel = channel_of(channel)
    if public:
        if not channel.public:
            raise NotPermitted("channel", "channel", _("This channel is not open to the public."))
    else:
        access = access_for(actor)
        if not (access.has_perm(Perm.CASE_REPORT) or access.has_perm(Perm.CASE_REGISTER)):
            raise NotPermitted("", "permission", _("You may not register cases."))
    cleaned = clean_case_data(data, public=public)
    at = now()
    with transaction.atomic(), chain.batched_anchors():
        case, duplicates, parties = create_case(actor, cleaned, channel, at)
        notify_registered(case)
        answer = respond(case, parties) if respond is not None else None
    return IntakeResult(case, duplicates, answer)


def channel_of(channel: Channel | str) -> Channel:
    if isinstance(channel, Channel):
        return channel
    found = reference.active_channel(channel)
    if not isinstance(found, Channel):
        raise InvalidInput("channel", "choice", _("Unknown channel."))
    return found


def create_case(
    actor: Any, cleaned: CaseInput, channel: Channel, at: datetime, *, parent: Case | None = None
) -> tuple[Case, list[Candidate], list[Party]]:
    """Locate, route, number and store one validated case (intake and split); returns it, its
    possible duplicates and its parties as written."""
    grid = None
    flag = LocationFlag.NO_LOCATION
    if cleaned.lon is not None and cleaned.lat is not None:
        from fengqiao.territory.locate import get_locator

        grid_id = get_locator().locate(cleaned.lon, cleaned.lat)
        grid = reference.grid(grid_id) if grid_id is not None else None
        flag = LocationFlag.NONE if grid else LocationFlag.OUTSIDE_GRIDS
    places = routing.places_of(grid.community_id if grid else None)
    routed = routing.route(
        category=cleaned.category,
        channel=channel,
        risk_level=cleaned.risk_level,
        places=places,
        outside_grids=flag == LocationFlag.OUTSIDE_GRIDS,
    )
    duplicates = suggest_duplicates(
        {
            "category": cleaned.category,
            "grid": grid,
            "lon": cleaned.lon,
            "lat": cleaned.lat,
            "title": cleaned.title,
            "description": cleaned.description,
        },
        now=at,
    )
    case = Case(
        kind=cleaned.kind,
        category=cleaned.category,
        title=cleaned.title,
        description=cleaned.description,
        address=cleaned.address,
        lon=cleaned.lon,
        lat=cleaned.lat,
        grid=grid,
        community=places.community,
        street=places.street,
        district=places.district,
        region_path=places.path,
        location_flag=flag,
        channel=channel,
        reporter_name=cleaned.reporter_name,
        reporter_phone=cleaned.reporter_phone,
        reporter_email=cleaned.reporter_email,
        people_involved=cleaned.people_involved,
        risk_level=cleaned.risk_level,
        priority=cleaned.priority,
        state=CaseState.REGISTERED,
        handling_level=routed.level,
        handling_unit=routed.unit,
        needs_triage=routed.triage,
        routing_rule=routed.rule,
        created_by=user_or_none(actor),
        created_at=at,
        clock_start=at,
        parent=parent,
    )
    routing.apply_policy(
        case, routing.policy_for(case.kind, case.category, case.handling_level, case.priority)
    )
    routing.compute_deadlines(case)
    district_code = places.district.code[:6] if places.district else settings.DISTRICT_CODE
    # Taken last: the district's counter row stays locked until commit.
    case.tracking_number = allocate_tracking_number(district_code, timezone.localtime(at).year)
    case.save(force_insert=True)
    chain.mark_new_chain(case)  # its history chain starts below: no head to look up
    parties = Party.objects.bulk_create([Party(case=case, **p) for p in cleaned.parties])
    for upload in cleaned.attachments:
        store_attachment(case, upload, actor)
    entry = CaseHistory.objects.create(
        case=case,
        actor=case.created_by,
        action="intake",
        from_state="",
        to_state=case.state,
        data={
            "channel": channel.code,
            "routing_rule": routed.rule.pk if routed.rule else None,
            "triage": routed.triage,
            "triage_reason": routed.reason,
            "location_flag": flag,
            "duplicates": [d.as_dict() for d in duplicates],
            "parent": parent.pk if parent else None,
        },
        public=True,
    )
    # Only the pointer to the first history entry changes: not the whole wide row again.
    Case.objects.filter(pk=case.pk).update(current_history=entry)
    case.current_history = entry
    kind = InboxItem.Kind.TRIAGE if routed.triage else InboxItem.Kind.DISPATCHED
    inbox(case, kind, unit=routed.unit, text=case.title)
    index(case)
    run_intake_hooks(case)
    return case, duplicates, parties


def notify_registered(case: Case) -> None:
    """Tell the reporter of a new case its tracking number (a new case has no merged cases)."""
    subject = _("Your report %(number)s was registered") % {"number": case.tracking_number}
    body = _(
        "Tracking number %(number)s. Follow it online with the last 4 digits of your phone number."
    ) % {"number": case.tracking_number}
    recipient = notifications.Recipient(
        case.reporter_name, case.reporter_email, case.reporter_phone
    )
    notifications.queue(recipient, subject, body)
