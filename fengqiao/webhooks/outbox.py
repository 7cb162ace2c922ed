"""The one outbox reader: a history table into webhook events and deliveries.

A `Source` names a history table whose rows each concern one subject (a case, a warning), the
events a row stands for, and the public payload of its subject. `collect(source)` reads the
rows after the source's cursor (OutboxCursor), derives events from each row, and creates one
Delivery per active subscription that wants the event type, whose owner may see the source's
rows (`perm`) over the subscription's region, and whose region contains the subject. History
ids can commit out of order on PostgreSQL (as in fengqiao.analytics.facts), so each run also
re-reads the last COLLECT_GRACE of history; an event is unique per (history row, type), so a
row read twice produces nothing new. The sources: case history (events.py) and the warnings'
history (warning_events.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.webhooks.models import Delivery, OutboxCursor, Subscription, WebhookEvent

COLLECT_GRACE = timedelta(minutes=10)
BATCH = 1000

# One history row → the event types it stands for, each with what it adds to the payload.
Events = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Source:
    cursor: str  # the OutboxCursor's name
    history: type[Model]  # the history rows (id, at, and a foreign key named `subject`)
    subject: str  # the history's and WebhookEvent's foreign key, and the payload's key
    subjects: Callable[[], QuerySet[Any]]  # the subject rows, with what `payload` reads
    perm: str  # the owner of a subscription must hold it over the subscription's region
    events: Callable[[Any], Events]
    payload: Callable[[Any], dict[str, Any]]  # public facts only: never names or notes
    # The event types this source makes, to pass over subscriptions wanting none of them, and
    # events of other sources sharing a history id; None: no such filter (the case history).
    types: frozenset[str] | None = None


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _subscribers(source: Source) -> list[Subscription]:
    """Active subscriptions that may want this source's events, whose owner still may see
    its rows over their region."""
    found = []
    for sub in Subscription.objects.filter(active=True, owner__is_active=True).select_related(
        "owner", "region"
    ):
        if source.types is not None and not source.types.intersection(sub.event_types or []):
            continue
        if access_for(sub.owner).scope(source.perm).covers_path(sub.region.path):
            found.append(sub)
    return found


def _collect(source: Source, rows: list[Any], subs: list[Subscription]) -> list[int]:
    """Events and deliveries for these rows; returns the new delivery ids."""
    done_qs = WebhookEvent.objects.filter(history_id__in=[r.pk for r in rows])
    if source.types is not None:
        done_qs = done_qs.filter(type__in=sorted(source.types))
    done = set(done_qs.values_list("history_id", "type"))
    key = f"{source.subject}_id"
    subjects = {s.pk: s for s in source.subjects().filter(pk__in={getattr(r, key) for r in rows})}
    new_ids: list[int] = []
    for entry in rows:
        subject = subjects.get(getattr(entry, key))
        if subject is None:
            continue
        for event_type, extra in source.events(entry):
            if (entry.pk, event_type) in done:
                continue
            targets = [
                s
                for s in subs
                if event_type in s.event_types
                and (subject.region_path or "").startswith(s.region.path)
                and entry.at >= s.created_at
            ]
            if not targets:
                continue
            payload = {
                "event": event_type,
                "occurred_at": iso(entry.at),
                source.subject: source.payload(subject),
                **extra,
            }
            event = WebhookEvent.objects.create(
                type=event_type,
                history_id=entry.pk,
                payload=payload,
                occurred_at=entry.at,
                **{source.subject: subject},
            )
            now = timezone.now()
            created = Delivery.objects.bulk_create(
                [Delivery(event=event, subscription=s, next_attempt_at=now) for s in targets]
            )
            new_ids += [d.pk for d in created if d.pk is not None]
    return new_ids


def collect(source: Source) -> list[int]:
    """Read the source's new history into events and deliveries. Returns the new delivery ids;
    each is enqueued for delivery when this transaction commits."""
    now = timezone.now()
    new_ids: list[int] = []
    history = source.history._default_manager
    with transaction.atomic():
        # The cursor row lock serialises concurrent collectors.
        cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(name=source.cursor)
        subs = _subscribers(source)
        if not subs:
            # Nobody listens: move on without reading the history.
            last = history.order_by("-id").values_list("id", flat=True).first()
            cursor.last_history_id = max(cursor.last_history_id, last or 0)
        else:
            if cursor.updated_at is not None:
                since = cursor.updated_at - COLLECT_GRACE
                recent = history.filter(id__lte=cursor.last_history_id, at__gte=since)
                new_ids += _collect(source, list(recent.order_by("id")), subs)
            while True:
                rows = list(history.filter(id__gt=cursor.last_history_id).order_by("id")[:BATCH])
                if not rows:
                    break
                new_ids += _collect(source, rows, subs)
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
