"""Keeping the indicator aggregates (CaseFact rows) in step with the cases.

What a case contributes is a pure function of the case row, its follow-up visits, its
supervision cards and its reopen history (`case_facts`). `refresh_case_facts(ids)` replaces
the rows of those cases, so refreshing is idempotent and the aggregates always equal a full
recount (`rebuild_all_facts`, and the hypothesis test in tests/test_analytics_facts.py).

How changes reach us, explicitly and without signals: every service in fengqiao.cases writes a
CaseHistory row in the same transaction as the change. `refresh_from_history()` reads the
history rows after a cursor (FactCursor) and refreshes the cases they name. It runs as the
django-tasks task `refresh_facts_task` (every minute, like the deadline sweep) and can be
called directly, e.g. at the end of a bulk import. History ids can commit out of order on
PostgreSQL, so each run also re-reads the last REFRESH_GRACE of history; refreshing a case
twice is harmless. Mediations reach us the same way: every mediation service writes a
MediationEvent, read after its own cursor, and the mediation's case is refreshed. What a
mediation contributes is defined in fengqiao.mediation.counting (the definition the mediation
figures use), placed by its committee.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from fengqiao.analytics.models import (
    ROLLUP_KEY,
    ROLLUPS,
    CaseFact,
    FactCursor,
    Rollup,
    cut_path,
)
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    FollowUpVisit,
    Satisfaction,
    SupervisionCard,
    SupervisionLevel,
)
from fengqiao.cases.workflow import OPEN
from fengqiao.mediation import counting as mediation_counting
from fengqiao.mediation.models import Mediation, MediationEvent
from fengqiao.territory.models import Region

REFRESH_GRACE = timedelta(minutes=10)
CURSOR_NAME = "case_history"
MEDIATION_CURSOR = "mediation_event"
CONCLUDED = (CaseState.RESOLVED, CaseState.CLOSED)
BATCH = 2000


# What each measure counts, and on which day. Indicators (indicators.py) combine these.
MEASURES: dict[str, str] = {
    "registered": "every case except repeat reports merged into another; day = registered",
    "resolved": "registered cases now resolved or closed, not marked unsuccessful; "
    "day = registered (cohort of the period's cases)",
    "accepted": "cases accepted; day = accepted",
    "concluded": "cases now resolved or closed; day = resolved (closed if never resolved)",
    "concluded_on_time": "concluded cases never overdue and finished by the handle deadline; "
    "day = concluded",
    "handling_minutes": "minutes from registration to conclusion; day = concluded",
    "with_outcome": "concluded cases with a recorded success or failure; day = concluded",
    "success": "concluded cases recorded as successful; day = concluded",
    "open_overdue": "cases still open and overdue; day = the handle deadline",
    "visit": "follow-up visits and online ratings; day = visit",
    "visit_satisfied": "visits rated satisfied or basically satisfied; day = visit",
    "reopen": "reopenings; day = reopened",
    "merged": "repeat reports merged into another case; day = registered",
    "card_yellow": "yellow supervision cards; day = raised",
    "card_red": "red supervision cards; day = raised",
    **mediation_counting.MEASURES,
}


@dataclass(frozen=True)
class Contribution:
    measure: str
    day: date
    value: int = 1


def _day(dt: datetime) -> date:
    return timezone.localdate(dt)


def case_facts(
    case: Case,
    visits: Iterable[FollowUpVisit] = (),
    cards: Iterable[SupervisionCard] = (),
    reopens: Iterable[datetime] = (),
    _day: Callable[[datetime], date] = _day,
) -> list[Contribution]:
    """Everything one case contributes, from its current rows. (`_day`: the local date of a
    time; bulk loaders pass a faster equivalent bound to one time zone.)"""
    out: list[Contribution] = []
    created = _day(case.created_at)
    if case.merged_into_id:
        out.append(Contribution("merged", created))
    else:
        out.append(Contribution("registered", created))
        if case.state in CONCLUDED and case.outcome_success is not False:
            out.append(Contribution("resolved", created))
    if case.accepted_at:
        out.append(Contribution("accepted", _day(case.accepted_at)))
    finish = case.resolved_at or case.closed_at
    if case.state in CONCLUDED and finish is not None:
        day = _day(finish)
        out.append(Contribution("concluded", day))
        minutes = max(0, int((finish - case.created_at).total_seconds() // 60))
        out.append(Contribution("handling_minutes", day, minutes))
        if not case.is_overdue and (case.handle_due is None or finish <= case.handle_due):
            out.append(Contribution("concluded_on_time", day))
        if case.outcome_success is not None:
            out.append(Contribution("with_outcome", day))
            if case.outcome_success:
                out.append(Contribution("success", day))
    if case.state in OPEN and case.is_overdue and case.handle_due is not None:
        out.append(Contribution("open_overdue", _day(case.handle_due)))
    for v in visits:
        out.append(Contribution("visit", _day(v.visited_at)))
        if v.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
            out.append(Contribution("visit_satisfied", _day(v.visited_at)))
    for card in cards:
        measure = "card_red" if card.level == SupervisionLevel.RED else "card_yellow"
        out.append(Contribution(measure, _day(card.raised_at)))
    for at in reopens:
        out.append(Contribution("reopen", _day(at)))
    return out


def mediation_facts(state: str, accepted_at: datetime | None) -> list[Contribution]:
    """What one mediation contributes (fengqiao.mediation.counting: the one definition)."""
    if accepted_at is None:
        return []
    day = _day(accepted_at)
    return [Contribution(m, day) for m in mediation_counting.measures_of(state, accepted_at)]


def _committee_places(paths: Iterable[str]) -> dict[str, dict[str, int | None]]:
    """{committee region path: its district, street and community ids} (by the levels of the
    regions on the path)."""
    ids = {int(i) for p in paths for i in p.strip("/").split("/") if i}
    levels = dict(Region.objects.filter(pk__in=ids).values_list("id", "level"))
    names = {Region.Level.DISTRICT: "district_id", Region.Level.STREET: "street_id",
             Region.Level.COMMUNITY: "community_id"}  # fmt: skip
    out = {}
    for p in paths:
        place: dict[str, int | None] = dict.fromkeys(names.values())
        for i in p.strip("/").split("/"):
            if i and levels.get(int(i)) in names:
                place[names[levels[int(i)]]] = int(i)
        out[p] = place
    return out


def _mediation_rows(cases: list[Case]) -> Iterator[CaseFact]:
    """A mediation is placed by its committee (region path, district/street/community of the
    committee's region, the committee as the unit, no grid), so a scope selects the same
    mediations here as in fengqiao.mediation.figures; type and channel are the case's."""
    by_id = {c.pk: c for c in cases}
    rows = list(
        Mediation.objects.filter(case_id__in=list(by_id), accepted_at__isnull=False).values_list(
            "case_id", "state", "accepted_at", "committee_id", "committee__region__path"
        )
    )
    places = _committee_places({r[4] for r in rows})
    for case_id, state, accepted_at, committee_id, path in rows:
        case = by_id[case_id]
        dims = {
            "case_id": case_id,
            **places[path],
            "grid_id": None,
            "region_path": path,
            "handling_unit_id": committee_id,
            "category_id": case.category_id,
            "category_path": case.category.path,
            "channel_id": case.channel_id,
            "kind": case.kind,
        }
        for f in mediation_facts(state, accepted_at):
            yield CaseFact(measure=f.measure, day=f.day, value=f.value, **dims)


def _rows(cases: list[Case]) -> Iterator[CaseFact]:
    ids = [c.pk for c in cases]
    visits: dict[int, list] = {}
    for v in FollowUpVisit.objects.filter(case_id__in=ids).only(
        "case_id", "visited_at", "satisfaction"
    ):
        visits.setdefault(v.case_id, []).append(v)
    cards: dict[int, list] = {}
    for c in SupervisionCard.objects.filter(case_id__in=ids).only("case_id", "level", "raised_at"):
        cards.setdefault(c.case_id, []).append(c)
    reopens: dict[int, list] = {}
    for case_id, at in CaseHistory.objects.filter(case_id__in=ids, action="reopen").values_list(
        "case_id", "at"
    ):
        reopens.setdefault(case_id, []).append(at)
    for case in cases:
        dims = {
            "case_id": case.pk,
            "district_id": case.district_id,
            "street_id": case.street_id,
            "community_id": case.community_id,
            "grid_id": case.grid_id,
            "region_path": case.region_path or "",
            "handling_unit_id": case.handling_unit_id,
            "category_id": case.category_id,
            "category_path": case.category.path,
            "channel_id": case.channel_id,
            "kind": case.kind,
        }
        for f in case_facts(
            case, visits.get(case.pk, ()), cards.get(case.pk, ()), reopens.get(case.pk, ())
        ):
            yield CaseFact(measure=f.measure, day=f.day, value=f.value, **dims)
    yield from _mediation_rows(cases)


# -- counters ------------------------------------------------------------------------------
# A fact row as the rollups see it: FACT_FIELDS + (value,). Each row adds to one Rollup row per
# spec in ROLLUPS (rollup_key).
FACT_FIELDS = ("day", "region_path", "category_id", "channel_id", "kind", "measure")
UPSERT_CHUNK = 500


def rollup_keys(day: date, path: str | None, category: int, channel: int, kind: str,
                measure: str) -> Iterator[tuple]:  # fmt: skip
    """The Rollup keys (ROLLUP_KEY order) a fact adds to, one per spec."""
    path = path or ""
    month = day.replace(day=1)
    for spec in ROLLUPS:
        dim_id = category if spec.dim == "category" else channel if spec.dim == "channel" else 0
        yield (spec.grain, day if spec.grain == "d" else month, spec.depth,
               cut_path(path, spec.depth), spec.dim, dim_id, kind, measure)  # fmt: skip


Deltas = dict[tuple, list[int]]


def counter_deltas(old: Iterable[tuple], new: Iterable[tuple]) -> Deltas:
    """Rollup changes {key: [Δn, Δtotal]} from old to new fact rows, each given as
    FACT_FIELDS + (value,) (or, summed already, FACT_FIELDS + (n, total)); keys whose change is
    zero are left out."""
    out: Deltas = defaultdict(lambda: [0, 0])
    for sign, rows in ((-1, old), (1, new)):
        for row in rows:
            if len(row) == len(FACT_FIELDS) + 1:
                n, total = 1, row[-1]
            else:
                n, total = row[-2], row[-1]
            for key in rollup_keys(*row[: len(FACT_FIELDS)]):
                d = out[key]
                d[0] += sign * n
                d[1] += sign * total
    return {k: v for k, v in out.items() if v != [0, 0]}


def _apply(deltas: Deltas) -> None:
    """Add the changes with one INSERT … ON CONFLICT DO UPDATE SET n = n + Δ per chunk (atomic
    under concurrency on both databases), then delete the rows that came to zero. Keys go in
    sorted order so two refreshes cannot deadlock."""
    table = Rollup._meta.db_table
    cols = ", ".join((*ROLLUP_KEY, "n", "total"))
    marks = "(" + ", ".join(["%s"] * (len(ROLLUP_KEY) + 2)) + ")"
    keys = sorted(deltas)
    with connection.cursor() as cur:
        for i in range(0, len(keys), UPSERT_CHUNK):
            chunk = keys[i : i + UPSERT_CHUNK]
            params = [v for k in chunk for v in (*k, *deltas[k])]
            cur.execute(
                f"INSERT INTO {table} ({cols}) VALUES {', '.join([marks] * len(chunk))} "
                f"ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET n = {table}.n + excluded.n,"
                f" total = {table}.total + excluded.total RETURNING id, n, total",
                params,
            )
            zero = [pk for pk, n, total in cur.fetchall() if n == 0 and total == 0]
            if zero:
                cur.execute(
                    f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(zero))})", zero
                )


def apply_counter_deltas(old: Iterable[tuple], new: Iterable[tuple]) -> None:
    """Bring the rollups from the old fact rows of some cases to their new ones (call inside
    the transaction that replaces the facts)."""
    _apply(counter_deltas(old, new))


def _fact_tuple(f: CaseFact) -> tuple:
    return (*(getattr(f, name) for name in FACT_FIELDS), f.value)


def refresh_case_facts(case_ids: Iterable[int], *, counters: bool = True) -> int:
    """Replace the facts of these cases by a fresh computation; returns the rows written.

    The case rows are locked first, so a refresh waits for a running service transaction on
    the same case and two refreshes of one case cannot interleave. The counters get the
    difference between the old and the new facts in the same transaction (`counters=False`
    only for rebuild_all_facts, which rebuilds the counters wholesale afterwards).
    """
    ids = sorted(set(case_ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            locked = list(
                Case.objects.select_for_update().filter(pk__in=chunk).values_list("id", flat=True)
            )
            old_facts = CaseFact.objects.filter(case_id__in=chunk)
            old = list(old_facts.values_list(*FACT_FIELDS, "value")) if counters else []
            old_facts.delete()
            cases = list(Case.objects.filter(pk__in=locked).select_related("category"))
            rows = list(_rows(cases))
            CaseFact.objects.bulk_create(rows, batch_size=BATCH)
            if counters:
                apply_counter_deltas(old, [_fact_tuple(r) for r in rows])
            written += len(rows)
    return written


def refresh_region_mediation_facts(region_id: int) -> None:
    """Mediation facts are placed by the committee's region: after a region moved, refresh those
    of the mediations whose committee stands under it (registered with fengqiao.cases.relocate)."""
    path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
    if path is None:
        return
    ids = list(
        Mediation.objects.filter(committee__region__path__startswith=path)
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        refresh_case_facts(ids[start : start + BATCH])


def rebuild_counters(prefix: str = "") -> None:
    """Recompute the rollups from the facts; with a region path `prefix`, only those of the
    places under it (e.g. after a bulk load). The facts are summed per day and fact dimension in
    SQL and cut into rollup keys by `counter_deltas`, the function the incremental path uses."""
    table = Rollup._meta.db_table
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                # Writers already running finish first; later ones wait for the new rollups.
                cur.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
                cur.execute("SET LOCAL work_mem = '256MB'")
        # An area path starts with the prefix exactly when the region path does (a cut keeps
        # whole regions).
        Rollup.objects.filter(area_path__startswith=prefix).delete()
        sums = (
            CaseFact.objects.filter(region_path__startswith=prefix)
            if prefix
            else CaseFact.objects.all()
        )
        rows = sums.values_list(*FACT_FIELDS).annotate(n=Count("id"), t=Sum("value")).order_by()
        deltas = counter_deltas([], rows.iterator(chunk_size=10_000))
        Rollup.objects.bulk_create(
            (Rollup(**dict(zip(ROLLUP_KEY, k, strict=True)), n=n, total=t)
             for k, (n, t) in deltas.items()),
            batch_size=5000,
        )  # fmt: skip


def rebuild_all_facts() -> int:
    """Recompute every case's facts and then the counters (after a bulk load, or to repair).
    Returns the fact rows written."""
    written = 0
    last = 0
    while True:
        ids = list(
            Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        written += refresh_case_facts(ids, counters=False)
        last = ids[-1]
    rebuild_counters()
    # Facts of cases that no longer exist go with their case (CASCADE); the cursors move on.
    with transaction.atomic():
        for name, model, _case in HISTORY_SOURCES:
            cursor, _ = FactCursor.objects.select_for_update().get_or_create(name=name)
            last_id = model.objects.order_by("-id").values_list("id", flat=True).first()
            cursor.last_history_id = last_id or 0
            cursor.updated_at = timezone.now()
            cursor.save()
    return written


# The append-only timelines that name what changed: (cursor name, model, lookup of the case).
HISTORY_SOURCES = (
    (CURSOR_NAME, CaseHistory, "case_id"),
    (MEDIATION_CURSOR, MediationEvent, "mediation__case_id"),
)


def refresh_from_history() -> int:
    """Refresh the cases named by case history and mediation events written since the last
    run. Returns the number of cases refreshed."""
    now = timezone.now()
    with transaction.atomic():
        case_ids: set[int] = set()
        cursors = []
        for name, model, case_lookup in HISTORY_SOURCES:
            cursor, _ = FactCursor.objects.select_for_update().get_or_create(name=name)
            recent = model.objects.filter(id__gt=cursor.last_history_id)
            if cursor.updated_at is not None:
                recent = recent | model.objects.filter(at__gte=cursor.updated_at - REFRESH_GRACE)
            rows = list(recent.values_list("id", case_lookup))
            case_ids.update(case_id for _id, case_id in rows)
            cursors.append((cursor, max((i for i, _c in rows), default=0)))
        refresh_case_facts(case_ids)
        for cursor, last in cursors:
            cursor.last_history_id = max(cursor.last_history_id, last)
            cursor.updated_at = now
            cursor.save()
    return len(case_ids)
