"""Recording changes: snapshot a model instance before and after, store the difference; and
the words the audit trail shows for what was recorded (`register`, `type_label`, `key_label`,
`value_label`)."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext

from fengqiao.core.models import AuditEntry

Label = str | Promise


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | dict):
        # A JSON field's data stays data (shown as such), not its Python spelling.
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
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
    _check_action(action)
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

    _check_action(action)
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


def _check_action(action: str) -> None:
    # The trail names each action in words: a new kind of action needs its label first.
    if action not in AuditEntry.Action.values:
        raise ValueError(f"unknown audit action {action!r}: one of {AuditEntry.Action.values}")


# What the audit trail shows, beyond the models' own names, for what the apps record: an object
# type that is no model ("demo.district"), a key of the changes that is no field of the model (a
# count, a step), a value that is a key of the app's own (a campaign's step "activate", a
# warning's kind "assessment"). Each app registers its own when it is ready (core imports no
# app); what nobody registered is shown as recorded.
_TYPES: dict[str, Label] = {}
_KEYS: dict[tuple[str, str], Label] = {}
_VALUES: dict[tuple[str, str], dict[str, Label]] = {}


def register(
    object_type: str,
    *,
    label: Label | None = None,
    keys: Mapping[str, Label] | None = None,
    values: Mapping[str, Mapping[str, Label]] | None = None,
) -> None:
    """Words for the entries of `object_type` ("app_label.model_name"): its own name when it is
    no model, the names of `keys` of its changes, and the names of the `values` stored under a
    key ({key: {value: label}})."""
    if label is not None:
        _TYPES[object_type] = label
    for key, text in (keys or {}).items():
        _KEYS[object_type, key] = text
    for key, labels in (values or {}).items():
        _VALUES.setdefault((object_type, key), {}).update(labels)


def registered_labels() -> list[Label]:
    """Every label registered (to check that each has its translation)."""
    return [*_TYPES.values(), *_KEYS.values(), *(t for v in _VALUES.values() for t in v.values())]


def registered_values(object_type: str, key: str) -> dict[str, Label]:
    """The labels registered for the values of `key` in the changes of `object_type`."""
    return dict(_VALUES.get((object_type, key), {}))


def _words(label: Any) -> str:
    # A verbose name Django made from a name is a plain str; a lazy one is translated already.
    return gettext(label) if isinstance(label, str) else str(label)


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def field(object_type: str, key: str) -> Any:
    """The model field `key` of `object_type`, or None."""
    model = _model(object_type)
    try:
        return model._meta.get_field(key) if model else None
    except FieldDoesNotExist:
        return None


def action_label(action: str) -> str:
    try:
        return str(AuditEntry.Action(action).label)
    except ValueError:
        return action


def type_label(object_type: str) -> str:
    """The verbose name of the model "app_label.model_name", a registered name, or the type."""
    if object_type in _TYPES:
        return str(_TYPES[object_type])
    model = _model(object_type)
    return _words(model._meta.verbose_name) if model else object_type


def key_label(object_type: str, key: str) -> str:
    """A registered name, the verbose name of the model's field, or the key as recorded."""
    if (object_type, key) in _KEYS:
        return str(_KEYS[object_type, key])
    found = field(object_type, key)
    name = getattr(found, "verbose_name", None)
    return _words(name) if name else key


def value_label(object_type: str, key: str, value: Any) -> Any:
    """A stored choice shown by its label (草稿 → 已启动, not draft → active), a yes/no in words;
    other values as they were recorded."""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if not isinstance(value, str | int):
        return value
    labels = _VALUES.get((object_type, key), {})
    if isinstance(value, str) and value in labels:
        return str(labels[value])
    choices = dict(getattr(field(object_type, key), "flatchoices", None) or ())
    return str(choices[value]) if value in choices else value


def is_data(object_type: str, key: str) -> bool:
    """Whether `key` holds data of its own shape (a JSON field's, shown as it is stored)."""
    return isinstance(field(object_type, key), models.JSONField)
