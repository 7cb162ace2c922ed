"""Per-process snapshots of the reference data every request reads: channels, categories, regions,
grids, units, routing rules, deadline policies, calendar overrides.

These rows are edited by administrators a few times a month and read on every intake, so each
process keeps what it loaded, keyed by a generation number:

- the apps list the models they own with `watch(...)` (in their AppConfig.ready); any save or
  delete of such a row gives `RefDataState.generation` a new value in the same transaction and drops this
  process's snapshots at once; bulk writes (imports, loaders) call `changed()` themselves;
- every process compares its generation with the database's at most every
  REFDATA_CHECK_SECONDS and drops its snapshots when they differ. An edit made elsewhere is
  therefore seen within that many seconds; the snapshot read inside a transaction that later
  rolls back carries that transaction's generation, which no other state ever has (see
  `changed`), so it is dropped at the next check;
- a query that reads the generation anyway (the access key of every request) hands it over
  with `observe(...)`, which counts as a check: that request's snapshots cost no query.

Snapshot values are shared by every request of the process: treat them as read-only.
"""

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from fengqiao.core import caches

T = TypeVar("T")

_lock = threading.Lock()
_values: dict[str, Any] = {}
_generation: int | None = None
_checked_at = 0.0
_watched: set[type[Model]] = set()


def current_generation() -> int:
    from fengqiao.core.models import RefDataState

    found = RefDataState.objects.filter(pk=1).values_list("generation", flat=True).first()
    return found or 0


def _refresh() -> None:
    global _generation, _checked_at
    now = time.monotonic()
    if _generation is not None and now - _checked_at < settings.REFDATA_CHECK_SECONDS:
        return
    generation = current_generation()
    with _lock:
        if generation != _generation:
            _values.clear()
            _generation = generation
        _checked_at = now


def observe(generation: int) -> None:
    """The generation another query just read from the database (the access key reads it on
    every request): it counts as this process's check, so `get` needs no query of its own."""
    global _generation, _checked_at
    with _lock:
        if generation != _generation:
            _values.clear()
            _generation = generation
        _checked_at = time.monotonic()


def get(name: str, loader: Callable[[], T]) -> T:
    """The snapshot `name`, loaded by `loader()` when this process has none for the generation."""
    _refresh()
    try:
        return cast(T, _values[name])
    except KeyError:
        value = loader()
        _values[name] = value
        return value


def clear() -> None:
    """Drop this process's snapshots; the next read checks the generation again."""
    global _generation, _checked_at
    with _lock:
        _values.clear()
        _generation = None
        _checked_at = 0.0


caches.register("core.refdata", clear)


def changed() -> None:
    """Call inside the transaction that changed reference data (bulk writes send no signals).

    The generation becomes a new random number rather than the next one: a transaction that
    rolls back gives its number back, and with `+ 1` another process could then commit other
    data under it while this process still holds what it built on the rolled-back change. A
    random 62-bit number is never handed out twice, so a key read with it names one state."""
    from fengqiao.core.models import RefDataState

    generation = secrets.randbits(62) + 1
    if not RefDataState.objects.filter(pk=1).update(generation=generation):
        RefDataState.objects.update_or_create(pk=1, defaults={"generation": generation})
    clear()
    transaction.on_commit(clear)


def _on_change(sender: type[Model], **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loading: the loader calls changed() once
    changed()


def watch(*models: type[Model]) -> None:
    """Keep snapshots of these models in step with every save and delete."""
    for model in models:
        if model in _watched:
            continue
        _watched.add(model)
        uid = f"refdata:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete")
