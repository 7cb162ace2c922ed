"""The inbox: items addressed to a user or to the units the user acts for."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import now
from fengqiao.cases.models import InboxItem
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry

# The entry of items marked read lists them ("items": [None, ids]), beside their read time.
AUDIT_KEYS = {"items": gettext_lazy("inbox items")}


def inbox_for(user: Any, *, unread_only: bool = False) -> QuerySet[InboxItem]:
    """Inbox items addressed to the user or to a unit the user belongs to or acts for."""
    access = access_for(user)
    units = set(access.scope(Perm.CASE_VIEW).unit_ids)
    if getattr(user, "unit_id", None):
        units.add(user.unit_id)
    q = Q(user_id=getattr(user, "pk", None)) | Q(unit_id__in=sorted(units))
    qs = InboxItem.objects.filter(q).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def mark_read(user: Any, item_ids: Iterable[int]) -> int:
    """Mark the user's unread items read; audited (every write is), one entry per call."""
    with transaction.atomic():
        items = inbox_for(user, unread_only=True).filter(pk__in=list(item_ids))
        ids = sorted(items.values_list("pk", flat=True))
        at = now()
        count = InboxItem.objects.filter(pk__in=ids).update(read_at=at)
        if count:
            audit.record(
                user,
                AuditEntry.Action.UPDATE,
                object_type=InboxItem._meta.label_lower,
                object_id=",".join(map(str, ids))[:64],
                object_repr=_("%(count)d inbox items") % {"count": count},
                changes={"read_at": [None, at.isoformat()], "items": [None, ids]},
            )
    return count
