"""Scoped case queries shared by the staff UI and the API: the case list with its filters and
keyset pagination, the map, and the staff inbox.

Every query starts from `access.visible(Case.objects.all(), perm)` (the rule is
`workflow.case_access_q`), which adds the unit tasks and the cases reported by the unit's
members as ``id IN (SELECT …)`` subqueries, so no row is repeated and no DISTINCT is needed.
"""

import base64
import binascii
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Case, CaseState, Category, Channel, InboxItem
from fengqiao.territory.models import Region

DEFAULT_PAGE = 25
MAX_PAGE = 100


@dataclass
class CaseFilters:
    """Validated list filters (see forms.CaseFilterForm, which builds them from a query)."""

    state: str = ""
    kind: str = ""
    category: Category | None = None
    region: Region | None = None
    channel: Channel | None = None
    risk: str = ""
    overdue: bool | None = None
    created_from: date | None = None
    created_to: date | None = None
    q: str = ""


@dataclass
class Page:
    items: list[Case]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def encode_cursor(case: Case) -> str:
    raw = f"{case.created_at.isoformat()}|{case.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at, id) of the last row of the previous page; InvalidInput when forged."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _sep, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        when = parse_datetime(stamp)
        if when is None or timezone.is_naive(when):
            raise ValueError
        return when, int(pk)
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidInput("cursor", "invalid", _("This page link is not valid.")) from None


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def filtered_cases(
    user: Any, filters: CaseFilters, qs: QuerySet[Case] | None = None
) -> QuerySet[Case]:
    """The cases `user` may see that match `filters` (unordered, unpaginated)."""
    qs = access_for(user).visible(Case.objects.all() if qs is None else qs, Perm.CASE_VIEW)
    f = filters
    if f.state:
        qs = qs.filter(state=f.state)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category is not None:
        # The category and everything below it, as a list of ids read from the (small)
        # taxonomy first: a join on the path prefix hides the selectivity from PostgreSQL,
        # which then sorts every matching case instead of walking the date index.
        ids = Category.objects.filter(path__startswith=f.category.path).values_list("pk", flat=True)
        qs = qs.filter(category_id__in=list(ids))
    if f.region is not None:
        qs = qs.filter(region_path__startswith=f.region.path)
    if f.channel is not None:
        qs = qs.filter(channel=f.channel)
    if f.risk:
        qs = qs.filter(risk_level=f.risk)
    if f.overdue is not None:
        qs = qs.filter(is_overdue=f.overdue)
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + timedelta(days=1)))
    if f.q.strip():
        from fengqiao.search.index import matching_ids

        qs = qs.filter(pk__in=matching_ids("case", f.q))
    return qs


LIST_RELATED = ("category", "channel", "handling_unit", "community", "grid")
# Newest-first search (see _search_newest_first) only for words that each occur in at least
# this share of documents, reading at most SEARCH_WALK_MAX cases in two windows.
SEARCH_WALK_MIN_SHARE = 0.01
SEARCH_WALK_MAX = 8000


def _before(qs: QuerySet[Case], when: datetime, pk: int) -> QuerySet[Case]:
    # (created_at, id) < (when, pk), written so that `created_at <= when` bounds the index
    # scan: with an OR of the two cases the database walks every newer row first.
    return qs.filter(created_at__lte=when).exclude(created_at=when, id__gte=pk)


def case_page(
    user: Any, filters: CaseFilters, *, cursor: str | None = None, limit: int = DEFAULT_PAGE
) -> Page:
    """One page of the case list, newest first, keyset-paginated on (created_at, id)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    start = decode_cursor(cursor) if cursor else None
    if filters.q.strip() and connection.vendor == "postgresql":
        page = _search_newest_first(user, filters, start, limit)
        if page is not None:
            return page
    qs = filtered_cases(user, filters).select_related(*LIST_RELATED)
    if start:
        qs = _before(qs, *start)
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1]) if more and rows else None)


def _search_newest_first(
    user: Any, filters: CaseFilters, start: tuple[datetime, int] | None, limit: int
) -> Page | None:
    """A search page found by walking the user's filtered cases newest first and asking the
    index about each window of ids; None when the words are too rare to fill the page soon.

    PostgreSQL estimates a search of several words by multiplying their frequencies. Words
    that always occur together (燃气 泄漏, 宅基 基地) are then taken for rare, and it reads
    every match from the index and probes each case row (≈ 0.6 s for 55,000 matches in
    1,000,000 cases). A common search fills its page from the newest few hundred cases; a
    rare one (too few matches in the windows) goes to the index, which is fast for it.
    """
    from fengqiao.search.index import least_term_share, matching_among

    share = least_term_share(filters.q)
    if share < SEARCH_WALK_MIN_SHARE:
        return None  # a rare word: the index finds its few matches at once
    # Twice the cases the page needs if the words always came together, then four times that.
    first = min(SEARCH_WALK_MAX // 5, max(100, math.ceil(2 * (limit + 1) / share)))
    base = filtered_cases(user, replace(filters, q="")).order_by("-created_at", "-id")
    found: list[int] = []
    position = start
    for window in (first, 4 * first):
        qs = _before(base, *position) if position else base
        rows = list(qs.values_list("id", "created_at")[:window])
        if not rows:
            break
        hits = matching_among("case", filters.q, [pk for pk, _at in rows])
        found += [pk for pk, _at in rows if pk in hits]
        if len(found) > limit or len(rows) < window:
            break
        position = (rows[-1][1], rows[-1][0])
    else:
        return None  # still short after every window: a rare word
    ids = found[: limit + 1]
    by_id = Case.objects.select_related(*LIST_RELATED).in_bulk(ids)
    cases = [by_id[pk] for pk in ids if pk in by_id]
    more = len(cases) > limit
    cases = cases[:limit]
    return Page(cases, encode_cursor(cases[-1]) if more and cases else None)


def map_cases(user: Any, filters: CaseFilters, limit: int = 2000) -> list[Case]:
    """Located cases for the map, newest first (at most `limit`)."""
    qs = filtered_cases(user, filters).filter(lon__isnull=False, lat__isnull=False)
    return list(
        qs.select_related("category")
        .only(
            "id",
            "tracking_number",
            "title",
            "state",
            "lon",
            "lat",
            "is_overdue",
            "supervision_level",
            "risk_level",
            "category__name",
            "created_at",
        )
        .order_by("-created_at", "-id")[:limit]
    )


def inbox(user: Any, *, unread_only: bool = False, limit: int = 100) -> list[InboxItem]:
    """Inbox items for the user or their units, on cases the user may still see."""
    from fengqiao.cases.actions import inbox_for

    access = access_for(user)
    visible = access.visible(Case.objects.all(), Perm.CASE_VIEW).values("id")
    qs = inbox_for(user, unread_only=unread_only).filter(case_id__in=visible)
    return list(
        qs.select_related("case", "case__category", "unit").order_by("-created_at", "-id")[:limit]
    )


# Items about these cases (or merged ones) need nobody: the grouped inbox leaves them out.
DONE_CASE_STATES = (CaseState.CLOSED, CaseState.CANCELLED)


@dataclass
class InboxGroup:
    case: Case
    items: list[InboxItem] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for i in self.items if i.read_at is None)

    @property
    def latest(self) -> InboxItem:
        return self.items[0]


def inbox_groups(user: Any, *, unread_only: bool = False, limit: int = 50) -> list[InboxGroup]:
    """Inbox items on cases still needing someone, grouped by case, newest case first.

    Items about closed, cancelled or merged cases are left out: nobody has to act on them."""
    items = inbox(user, unread_only=unread_only, limit=500)
    groups: dict[int, InboxGroup] = {}
    for item in items:
        case = item.case
        if case.state in DONE_CASE_STATES or case.merged_into_id:
            continue
        groups.setdefault(case.pk, InboxGroup(case)).items.append(item)
    return list(groups.values())[:limit]
