"""Recording changes: snapshot a model instance before and after, store the difference."""

from collections.abc import Sequence
from typing import Any

from django.db import models

from fengqiao.core.models import AuditEntry


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of `obj`, JSON-ready (foreign keys as their ids)."""
    data = {}
    for field in obj._meta.concrete_fields:
        data[field.name] = _plain(getattr(obj, field.attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one audit entry. Call inside the transaction that makes the change."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
    )


def record_many(
    actor: Any, action: str, changed: Sequence[tuple[models.Model, dict[str, Any]]]
) -> list[AuditEntry]:
    """Append one audit entry per (saved object, changes), in one INSERT: the entries are
    sealed together (one shard lock, one head look-up, one anchor for the chain's new head),
    in the given order. Call inside the transaction that makes the changes."""
    from fengqiao.core import chain

    user = actor if getattr(actor, "is_authenticated", False) else None
    entries = [
        AuditEntry(
            actor=user,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            changes=changes or {},
        )
        for obj, changes in changed
    ]
    rows: list[models.Model] = list(entries)
    chain.create_all(AuditEntry, rows)
    return entries
