"""Warnings into webhook events: the same outbox reader as the case history (events.py), over
the warnings' history (risk.WarningEvent), with its own cursor.

A warning raised, acknowledged or closed is an event for each active subscription that wants
its type, whose owner may see warnings (risk.view) over the subscription's region and whose
region contains the warning's. The payload is public-safe: level, kind, state, times, region
and grid codes and the tracking number of the case it concerns; never the title, the evidence,
notes or names.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.risk.models import Warning, WarningEvent, WarningState
from fengqiao.webhooks.events import BATCH, COLLECT_GRACE, _enqueue, _iso
from fengqiao.webhooks.models import (
    Delivery,
    EventType,
    OutboxCursor,
    Subscription,
    WebhookEvent,
)

CURSOR_NAME = "warning_history"
TYPES = frozenset(
    {EventType.WARNING_RAISED, EventType.WARNING_ACKNOWLEDGED, EventType.WARNING_CLOSED}
)


def types_for(entry: WarningEvent) -> list[str]:
    found: list[str] = []
    if entry.action == "raise":
        found.append(EventType.WARNING_RAISED)
    elif entry.action == "acknowledge":
        found.append(EventType.WARNING_ACKNOWLEDGED)
    if entry.to_state == WarningState.CLOSED and entry.from_state != WarningState.CLOSED:
        found.append(EventType.WARNING_CLOSED)
    return found


def warning_payload(w: Warning) -> dict[str, Any]:
    return {
        "id": w.pk,
        "kind": w.kind,
        "level": w.level,
        "state": w.state,
        "rule_kind": w.rule.kind if w.rule_id and w.rule else None,
        "case": w.case.tracking_number if w.case_id and w.case else None,
        "grid": w.grid.code if w.grid_id and w.grid else None,
        "raised_at": _iso(w.raised_at),
        "acknowledged_at": _iso(w.acknowledged_at),
        "handled_at": _iso(w.handled_at),
        "closed_at": _iso(w.closed_at),
    }


def _subscribers() -> list[Subscription]:
    found = []
    for sub in Subscription.objects.filter(active=True, owner__is_active=True).select_related(
        "owner", "region"
    ):
        if not TYPES.intersection(sub.event_types or []):
            continue
        if access_for(sub.owner).scope(Perm.RISK_VIEW).covers_path(sub.region.path):
            found.append(sub)
    return found


def _collect(rows: list[WarningEvent], subs: list[Subscription]) -> list[int]:
    done = set(
        WebhookEvent.objects.filter(
            history_id__in=[r.pk for r in rows], type__in=sorted(TYPES)
        ).values_list("history_id", "type")
    )
    warnings = {
        w.pk: w
        for w in Warning.objects.filter(pk__in={r.warning_id for r in rows}).select_related(
            "rule", "case", "grid"
        )
    }
    new_ids: list[int] = []
    for entry in rows:
        w = warnings.get(entry.warning_id)
        if w is None:
            continue
        for event_type in types_for(entry):
            if (entry.pk, event_type) in done:
                continue
            targets = [
                s
                for s in subs
                if event_type in s.event_types
                and w.region_path
                and w.region_path.startswith(s.region.path)
                and entry.at >= s.created_at
            ]
            if not targets:
                continue
            payload = {
                "event": event_type,
                "occurred_at": _iso(entry.at),
                "warning": warning_payload(w),
                "transition": {
                    "action": entry.action,
                    "from_state": entry.from_state,
                    "to_state": entry.to_state,
                },
            }
            event = WebhookEvent.objects.create(
                type=event_type,
                warning=w,
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


def collect_warning_events() -> list[int]:
    """Read new warning history into events and deliveries (enqueued on commit)."""
    now = timezone.now()
    new_ids: list[int] = []
    with transaction.atomic():
        cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        subs = _subscribers()
        if not subs:
            last = WarningEvent.objects.order_by("-id").values_list("id", flat=True).first()
            cursor.last_history_id = max(cursor.last_history_id, last or 0)
        else:
            if cursor.updated_at is not None:
                recent = WarningEvent.objects.filter(
                    id__lte=cursor.last_history_id, at__gte=cursor.updated_at - COLLECT_GRACE
                ).order_by("id")
                new_ids += _collect(list(recent), subs)
            while True:
                rows = list(
                    WarningEvent.objects.filter(id__gt=cursor.last_history_id).order_by("id")[
                        :BATCH
                    ]
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
