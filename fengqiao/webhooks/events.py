"""Case history into webhook events and deliveries: the case source of the outbox reader
(outbox.py).

Every service in fengqiao.cases writes a CaseHistory row in the transaction of its change.
`collect_events()` reads the rows after their cursor, derives events from each row
(`events_for`), and creates one Delivery per active subscription that wants the event type,
whose owner may see cases over its region and whose region contains the case.

Payloads carry public facts only: tracking number, kind, state, category code, region and grid
codes, times, and the public reply of an entry shown to the reporter (`transition.public_reply`).
Never names, phone numbers, addresses, descriptions or notes (a staff member's reason or note is
internal).
"""

from typing import Any

from django.db.models import QuerySet

from fengqiao.accounts.roles import Perm
from fengqiao.cases.models import Case, CaseHistory, CaseState
from fengqiao.webhooks.models import EventType
from fengqiao.webhooks.outbox import Events, Source, collect, iso

CURSOR_NAME = "case_history"


def events_for(entry: CaseHistory) -> Events:
    """The event types one history row stands for, with what each adds to the payload."""
    found: Events = []
    transition = {
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
    }
    if entry.public and entry.public_reply:
        transition["public_reply"] = entry.public_reply
    if entry.action == "intake":
        found.append((EventType.CASE_CREATED, {}))
        return found
    if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
        found.append((EventType.CASE_STATE_CHANGED, {"transition": transition}))
        if entry.to_state == CaseState.CLOSED:
            found.append((EventType.CASE_CLOSED, {"transition": transition}))
    if entry.action == "reopen":
        found.append((EventType.CASE_REOPENED, {"transition": transition}))
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.action == "deadline_sweep":
        changes = data.get("changes") or []
        if "overdue" in changes:
            found.append((EventType.CASE_OVERDUE, {}))
        for level in ("yellow", "red"):
            if level in changes:
                found.append((EventType.SUPERVISION_RAISED, {"supervision": {"level": level}}))
    elif entry.action == "supervision":
        found.append(
            (EventType.SUPERVISION_RAISED, {"supervision": {"level": str(data.get("level", ""))}})
        )
    return found


def case_payload(case: Case) -> dict[str, Any]:
    """The public facts of a case (no personal data)."""
    return {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "kind": case.kind,
        "state": case.state,
        "category": case.category.code,
        "regions": {
            "district": case.district.code if case.district else None,
            "street": case.street.code if case.street else None,
            "community": case.community.code if case.community else None,
            "grid": case.grid.code if case.grid else None,
        },
        "is_overdue": case.is_overdue,
        "supervision_level": case.supervision_level,
        "created_at": iso(case.created_at),
        "accepted_at": iso(case.accepted_at),
        "handle_due": iso(case.handle_due),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
    }


def _cases() -> "QuerySet[Case]":
    return Case.objects.select_related("category", "district", "street", "community", "grid")


CASES = Source(
    cursor=CURSOR_NAME,
    history=CaseHistory,
    subject="case",
    subjects=_cases,
    perm=Perm.CASE_VIEW,
    events=events_for,
    payload=case_payload,
)


def collect_events() -> list[int]:
    """Read new case history into events and deliveries. Returns the new delivery ids; each
    is enqueued for delivery when this transaction commits."""
    return collect(CASES)
