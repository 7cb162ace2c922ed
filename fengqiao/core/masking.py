"""Masking of sensitive personal information in lists and exports, and logging of full reads."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

from fengqiao.core import chain
from fengqiao.core.models import SensitiveAccess


def mask_id_number(value: str | None) -> str:
    """Keep the area's first 3 and the last 4 characters: 230***********0071."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: 139****1234."""
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 7:
        return "*" * (len(value) - 4) + value[-4:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def log_sensitive_read(
    actor: Any, obj: models.Model, field: str, purpose: str = ""
) -> SensitiveAccess:
    """Record that `actor` was shown the unmasked `field` of `obj`."""
    entry = SensitiveAccess(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        field=field,
        purpose=purpose[:100],
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(entry)
    else:
        entry.save()
    return entry


_batch: ContextVar[list[SensitiveAccess] | None] = ContextVar("sensitive_reads", default=None)


@contextmanager
def batched_sensitive_reads() -> Iterator[None]:
    """Log the reads made inside in one INSERT when the block ends (a page showing several
    sensitive fields). If the block raises, nothing was shown, so nothing is logged."""
    batch: list[SensitiveAccess] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch:
        chain.create_all(SensitiveAccess, list(batch))  # one INSERT, chained
