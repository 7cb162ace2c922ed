"""Warnings into webhook events: the warning source of the outbox reader (outbox.py), over the
warnings' history (risk.WarningEvent), with its own cursor.

A warning raised, acknowledged or closed is an event for each active subscription that wants
its type, whose owner may see warnings (risk.view) over the subscription's region and whose
region contains the warning's. The payload is public-safe: level, kind, state, times, region
and grid codes and the tracking number of the case it concerns; never the title, the evidence,
notes or names.
"""

from typing import Any

from django.db.models import QuerySet

from fengqiao.accounts.roles import Perm
from fengqiao.risk.models import Warning, WarningEvent, WarningState
from fengqiao.webhooks.models import EventType
from fengqiao.webhooks.outbox import Events, Source, collect, iso

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
        "raised_at": iso(w.raised_at),
        "acknowledged_at": iso(w.acknowledged_at),
        "handled_at": iso(w.handled_at),
        "closed_at": iso(w.closed_at),
    }


def events_for(entry: WarningEvent) -> Events:
    transition = {
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
    }
    return [(t, {"transition": transition}) for t in types_for(entry)]


def _warnings() -> "QuerySet[Warning]":
    return Warning.objects.select_related("rule", "case", "grid")


WARNINGS = Source(
    cursor=CURSOR_NAME,
    history=WarningEvent,
    subject="warning",
    subjects=_warnings,
    perm=Perm.RISK_VIEW,
    events=events_for,
    payload=warning_payload,
    types=TYPES,
)


def collect_warning_events() -> list[int]:
    """Read new warning history into events and deliveries (enqueued on commit)."""
    return collect(WARNINGS)
