"""Possible duplicates of a new report: same category, same grid or within ~300 m, recent,
similar text (Dice overlap of jieba tokens). One indexed query, then scoring in Python."""

import functools
import math
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from fengqiao.cases.models import Case, CaseState
from fengqiao.core import caches

RADIUS_M = 300
DAYS = 30
MAX_SCANNED = 100
MIN_SIMILARITY = 0.2
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_STOP = {"的", "了", "在", "是", "和", "与", "及", "有", "我", "我们", "他们", "一个", "这个"}


def tokens(text: str) -> frozenset[str]:
    """Search-mode jieba tokens of two or more characters, without punctuation and stop words."""
    return _tokens(text or "")


# Every intake compares itself with up to MAX_SCANNED recent cases nearby: segment each text once.
@functools.lru_cache(maxsize=8192)
def _tokens(text: str) -> frozenset[str]:
    # The search module's tokenizer: one dictionary per process, with the domain words.
    from fengqiao.search.text import tokenizer

    words = set()
    for w in tokenizer().lcut_for_search(text or ""):
        w = w.strip().lower()
        if not w or w in _STOP or not _WORD.search(w):
            continue
        if len(w) == 1:
            continue  # single characters (被, 大, a) say nothing about the matter
        words.add(w)
    return frozenset(words)


caches.register("cases.duplicates.tokens", _tokens.cache_clear)


def similarity(a: Set[str], b: Set[str]) -> float:
    """Dice coefficient: kinder than Jaccard to a short report against a long one."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


_FIELDS = {"id", "tracking_number", "title", "description", "lon", "lat", "grid_id", "state"}
# In the model's order: Model.from_db takes the values of the loaded fields in that order.
_COLUMNS = tuple(f.attname for f in Case._meta.concrete_fields if f.attname in _FIELDS)


def _box(lon: float, lat: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(lon range, lat range) of the square of RADIUS_M around the point."""
    dlat = RADIUS_M / 111_320
    dlon = RADIUS_M / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return (lon - dlon, lon + dlon), (lat - dlat, lat + dlat)


@functools.cache
def _recent_nearby_sql(by_grid: bool, by_point: bool, near_grids: int) -> str:
    """The intake's candidate query, written once per process: the ORM's compiling of it cost
    more CPU than the database spends answering it. Same rows as the QuerySet branch.

    With a point, `near_grids` ids (see `_grids_near`) and the cases outside every grid bound
    it, so the (grid, created_at) index finds the rows instead of the database reading every
    recent case of the category in the whole installation."""
    meta = Case._meta
    # Concrete columns only (no reverse relations among these names).
    col = {
        name: str(getattr(meta.get_field(name), "column", name))
        for name in (*_COLUMNS, "category", "created_at")
    }
    place = []
    if by_grid:
        place.append(f"{col['grid_id']} = %s")
    if by_point:
        place.append(f"({col['lat']} BETWEEN %s AND %s AND {col['lon']} BETWEEN %s AND %s)")
    where = f"({' OR '.join(place)})"
    if by_point:
        near = [f"{col['grid_id']} IS NULL"]
        if near_grids:
            near.insert(0, f"{col['grid_id']} IN ({', '.join(['%s'] * near_grids)})")
        where += f" AND ({' OR '.join(near)})"
    return (
        f"SELECT {', '.join(col[c] for c in _COLUMNS)} FROM {meta.db_table} "
        f"WHERE {where} AND {col['category']} = %s AND {col['created_at']} >= %s "
        f"AND NOT ({col['state']} = %s) ORDER BY {col['created_at']} DESC LIMIT {MAX_SCANNED}"
    )


caches.register("cases.duplicates.sql", _recent_nearby_sql.cache_clear)


# ((lon0, lon1), (lat0, lat1)) around a point.
Box = tuple[tuple[float, float], tuple[float, float]]


def _grids_near(box: Box, grid_id: int | None) -> list[int]:
    """The grids around the point (today's boundaries) and the case's own grid. A case within
    RADIUS_M lies in one of them, unless its grid was since redrawn away or retired: such a
    case is no longer "nearby" by grid and is not suggested."""
    from fengqiao.territory.locate import get_locator

    (lon0, lon1), (lat0, lat1) = box
    near = get_locator().grids_near(lon0, lat0, lon1, lat1)
    if grid_id is not None and grid_id not in near:
        near.append(grid_id)
    return near


def _recent_nearby(
    category_id: int, grid_id: int | None, box: Box | None, near: list[int], since: datetime
) -> list[Case]:
    by_point = box is not None
    params: list[Any] = []
    if grid_id is not None:
        params.append(grid_id)
    if box is not None:
        (lon0, lon1), (lat0, lat1) = box
        params += [lat0, lat1, lon0, lon1, *near]
    params += [category_id, connection.ops.adapt_datetimefield_value(since), CaseState.CANCELLED]
    sql = _recent_nearby_sql(grid_id is not None, by_point, len(near))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Case.from_db(connection.alias, list(_COLUMNS), row) for row in cursor.fetchall()]


@dataclass
class Candidate:
    case: Case
    score: float
    similarity: float
    nearby: bool
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case.pk,
            "tracking_number": self.case.tracking_number,
            "score": self.score,
        }


def suggest_duplicates(
    source: Case | Mapping[str, Any],
    *,
    limit: int = 5,
    now: datetime | None = None,
    qs: QuerySet[Case] | None = None,
) -> list[Candidate]:
    """Candidates, best first. `source` is a case or intake data with category (object or id),
    grid (object or id), lon, lat, title and description. `qs` narrows the search (pass the
    viewer's visible cases to show only what they may see)."""
    if isinstance(source, Case):
        data: Mapping[str, Any] = {
            "category": source.category_id,
            "grid": source.grid_id,
            "lon": source.lon,
            "lat": source.lat,
            "title": source.title,
            "description": source.description,
        }
        exclude_pk = source.pk
    else:
        data, exclude_pk = source, None
    category = data.get("category")
    category_id = getattr(category, "pk", category)
    grid = data.get("grid")
    grid_id = getattr(grid, "pk", grid)
    lon, lat = data.get("lon"), data.get("lat")
    if category_id is None or (grid_id is None and (lon is None or lat is None)):
        return []
    now = now or timezone.now()
    place = Q()
    box, near = None, []
    if grid_id is not None:
        place |= Q(grid_id=grid_id)
    if lon is not None and lat is not None:
        box = _box(lon, lat)
        place |= Q(lon__range=box[0], lat__range=box[1])
        near = _grids_near(box, grid_id)
        place &= Q(grid_id__in=near) | Q(grid_id__isnull=True)
    since = now - timedelta(days=DAYS)
    if qs is None and exclude_pk is None:
        rows = _recent_nearby(category_id, grid_id, box, near, since)
    else:
        qs = Case.objects.all() if qs is None else qs
        if exclude_pk is not None:
            qs = qs.exclude(pk=exclude_pk)
        rows = list(
            qs.filter(place, category_id=category_id, created_at__gte=since)
            .exclude(state=CaseState.CANCELLED)
            .only(*_COLUMNS)
            .order_by("-created_at")[:MAX_SCANNED]
        )
    mine = tokens(f"{data.get('title') or ''} {data.get('description') or ''}")
    found = []
    for other in rows:
        sim = similarity(mine, tokens(f"{other.title} {other.description}"))
        if sim < MIN_SIMILARITY:
            continue
        reasons = ["same_category"]
        nearby = grid_id is not None and other.grid_id == grid_id
        if nearby:
            reasons.append("same_grid")
        if (
            lon is not None
            and lat is not None
            and other.lon is not None
            and other.lat is not None
            and distance_m(lon, lat, other.lon, other.lat) <= RADIUS_M
        ):
            nearby = True
            reasons.append("nearby")
        if not nearby:
            continue
        reasons.append("similar_text")
        found.append(Candidate(other, round(0.4 + 0.6 * sim, 3), round(sim, 3), nearby, reasons))
    found.sort(key=lambda c: (-c.score, -c.case.pk))
    return found[:limit]
