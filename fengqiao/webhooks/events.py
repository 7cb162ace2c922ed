"""Turning case history into webhook events and deliveries (the outbox reader).

Every service in fengqiao.cases writes a CaseHistory row in the transaction of its change.
`collect_events()` reads the rows after a cursor (OutboxCursor), derives events from each row
(`events_for`), and creates one Delivery per active subscription that wants the event type and
whose region contains the case. As in fengqiao.analytics.facts, history ids can commit out of
order on PostgreSQL, so each run also re-reads the last COLLECT_GRACE of history; an event is
unique per (history row, type), so a row read twice produces nothing new.

Payloads carry public facts only: tracking number, kind, state, category code, region and grid
codes, times, and the public reply of an entry shown to the reporter (`transition.public_reply`).
Never names, phone numbers, addresses, descriptions or notes (a staff member's reason or note is
internal).
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.models import Case, CaseHistory, CaseState
from fengqiao.webhooks.models import (
    Delivery,
    EventType,
    OutboxCursor,
    Subscription,
    WebhookEvent,
)

COLLECT_GRACE = timedelta(minutes=10)
CURSOR_NAME = "case_history"
BATCH = 1000


def events_for(entry: CaseHistory) -> list[tuple[str, dict[str, Any]]]:
    """The event types one history row stands for, with what each adds to the payload."""
    found: list[tuple[str, dict[str, Any]]] = []
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


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def case_payload(case: Case) -> dict[str, Any]:
    """The public facts of a case (no personal data)."""
    return {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "kind": case.kind,
        "state": case.state,
        "category": case.category.code,
        "regions": {
            "district": case.district.code if case.district_id else None,
            "street": case.street.code if case.street_id else None,
            "community": case.community.code if case.community_id else None,
            "grid": case.grid.code if case.grid_id else None,
        },
        "is_overdue": case.is_overdue,
        "supervision_level": case.supervision_level,
        "created_at": _iso(case.created_at),
        "accepted_at": _iso(case.accepted_at),
        "handle_due": _iso(case.handle_due),
        "resolved_at": _iso(case.resolved_at),
        "closed_at": _iso(case.closed_at),
    }


def _subscribers() -> list[Subscription]:
    """Active subscriptions whose owner still may see their region's cases."""
    found = []
    for sub in Subscription.objects.filter(active=True, owner__is_active=True).select_related(
        "owner", "region"
    ):
        if access_for(sub.owner).scope(Perm.CASE_VIEW).covers_path(sub.region.path):
            found.append(sub)
    return found


def _collect(rows: list[CaseHistory], subs: list[Subscription]) -> list[int]:
    """Events and deliveries for these rows; returns the new delivery ids."""
    done = set(
        WebhookEvent.objects.filter(history_id__in=[r.pk for r in rows]).values_list(
            "history_id", "type"
        )
    )
    cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in={r.case_id for r in rows}).select_related(
            "category", "district", "street", "community", "grid"
        )
    }
    new_ids: list[int] = []
    for entry in rows:
        case = cases.get(entry.case_id)
        if case is None:
            continue
        for event_type, extra in events_for(entry):
            if (entry.pk, event_type) in done:
                continue
            targets = [
                s
                for s in subs
                if event_type in s.event_types
                and (case.region_path or "").startswith(s.region.path)
                and entry.at >= s.created_at
            ]
            if not targets:
                continue
            payload = {
                "event": event_type,
                "occurred_at": _iso(entry.at),
                "case": case_payload(case),
                **extra,
            }
            event = WebhookEvent.objects.create(
                type=event_type,
                case=case,
                history_id=entry.pk,
                payload=payload,
                occurred_at=entry.at,
            )
            now = timezone.now()
            created = Delivery.objects.bulk_create(
                [Delivery(event=event, subscription=s, next_attempt_at=now) for s in targets]
            )
            new_ids += [d.pk for d in created if d.pk is not None]
    return new_ids


def collect_events() -> list[int]:
    """Read new case history into events and deliveries. Returns the new delivery ids; each
    is enqueued for delivery when this transaction commits."""
    now = timezone.now()
    new_ids: list[int] = []
    with transaction.atomic():
        # The cursor row lock serialises concurrent collectors.
        cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        subs = _subscribers()
        if not subs:
            # Nobody listens: move on without reading the history.
            last = CaseHistory.objects.order_by("-id").values_list("id", flat=True).first()
            cursor.last_history_id = max(cursor.last_history_id, last or 0)
        else:
            if cursor.updated_at is not None:
                since = cursor.updated_at - COLLECT_GRACE
                recent = CaseHistory.objects.filter(
                    id__lte=cursor.last_history_id, at__gte=since
                ).order_by("id")
                new_ids += _collect(list(recent), subs)
            while True:
                rows = list(
                    CaseHistory.objects.filter(id__gt=cursor.last_history_id).order_by("id")[:BATCH]
                )
                if not rows:
                    break
                new_ids += _collect(rows, subs)
                cursor.last_history_id = rows[-1].pk
        cursor.updated_at = now
        cursor.save()
        if new_ids:
            transaction.on_commit(lambda: _enqueue(new_ids))
    return new_ids


def _enqueue(ids: Iterable[int]) -> None:
    from fengqiao.webhooks.tasks import deliver_webhook

    for pk in ids:
        deliver_webhook.enqueue(pk)
