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

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from fengqiao.analytics.models import (
    COUNTER_DIMS,
    CaseFact,
    DailyCounter,
    FactCursor,
    MonthlyCounter,
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
# A fact row's place in the counters: DailyCounter key (day + COUNTER_DIMS) and MonthlyCounter
# key (month, area path, district, category, channel, kind, measure).
FACT_FIELDS = ("day", "district_id", "street_id", "community_id", "grid_id", "region_path",
               "handling_unit_id", "category_id", "channel_id", "kind", "measure")  # fmt: skip
MONTHLY_DIMS = ("month", "area_path", "district_id", "kind", "measure")


def area_path(region_path: str, district_id: int | None) -> str:
    """The region path cut after the district (the path itself when it names no district)."""
    token = f"/{district_id}/"
    if district_id and token in region_path:
        return region_path[: region_path.index(token) + len(token)]
    return region_path


def _daily_key(row: tuple) -> tuple:
    day, district, street, community, grid, path, unit, category, channel, kind, measure = row
    return (day, district or 0, street or 0, community or 0, grid or 0, path or "", unit or 0,
            category, channel, kind, measure)  # fmt: skip


def _monthly_key(daily: tuple) -> tuple:
    day, district, _s, _c, _g, path, _u, _cat, _ch, kind, measure = daily
    return (day.replace(day=1), area_path(path, district), district, kind, measure)


Deltas = dict[tuple, list[int]]


def counter_deltas(old: Iterable[tuple], new: Iterable[tuple]) -> tuple[Deltas, Deltas]:
    """(daily, monthly) changes {key: [Δn, Δtotal]} from old to new fact rows, each given as
    FACT_FIELDS + (value,); keys whose change is zero are left out."""
    daily: Deltas = defaultdict(lambda: [0, 0])
    for sign, rows in ((-1, old), (1, new)):
        for row in rows:
            d = daily[_daily_key(row[:-1])]
            d[0] += sign
            d[1] += sign * row[-1]
    monthly: Deltas = defaultdict(lambda: [0, 0])
    for key, (dn, dt) in daily.items():
        m = monthly[_monthly_key(key)]
        m[0] += dn
        m[1] += dt
    return (
        {k: v for k, v in daily.items() if v != [0, 0]},
        {k: v for k, v in monthly.items() if v != [0, 0]},
    )


def _apply(model: type[Model], fields: tuple[str, ...], deltas: Deltas) -> None:
    """Add the changes row by row with `n = n + Δ` (no lost update under concurrency); a
    missing row is inserted in a savepoint, and if a concurrent transaction inserted it first,
    the update is retried. Keys are taken in sorted order so two refreshes cannot deadlock."""
    for key in sorted(deltas):
        dn, dt = deltas[key]
        where = dict(zip(fields, key, strict=True))
        while True:
            if model.objects.filter(**where).update(n=F("n") + dn, total=F("total") + dt):
                if dn < 0:
                    model.objects.filter(**where, n=0, total=0).delete()
                break
            try:
                with transaction.atomic():
                    model.objects.create(**where, n=dn, total=dt)
                break
            except IntegrityError:
                continue


def apply_counter_deltas(old: Iterable[tuple], new: Iterable[tuple]) -> None:
    """Bring the counters from the old fact rows of some cases to their new ones (call inside
    the transaction that replaces the facts)."""
    daily, monthly = counter_deltas(old, new)
    _apply(DailyCounter, ("day", *COUNTER_DIMS), daily)
    _apply(MonthlyCounter, MONTHLY_DIMS, monthly)


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


def _vendor_sql() -> tuple[str, str]:
    """(first day of the month of `day`, position of a substring) in this database's SQL."""
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('month', day) AS date)", "strpos"
    return "date(day, 'start of month')", "instr"


def rebuild_counters(prefix: str = "") -> None:
    """Recompute both counter tables from the facts with two grouped INSERT … SELECT; with a
    region path `prefix`, only the counters of the places under it (e.g. after a bulk load)."""
    month, strpos = _vendor_sql()
    token = "'/' || CAST(district_id AS TEXT) || '/'"
    area = (
        f"CASE WHEN district_id <> 0 AND {strpos}(region_path, {token}) > 0 "
        f"THEN substr(region_path, 1, {strpos}(region_path, {token}) + "
        f"length(CAST(district_id AS TEXT)) + 1) ELSE region_path END"
    )
    daily_cols = ", ".join(("day", *COUNTER_DIMS))
    fact_cols = (
        "day, COALESCE(district_id, 0), COALESCE(street_id, 0), COALESCE(community_id, 0), "
        "COALESCE(grid_id, 0), COALESCE(region_path, ''), COALESCE(handling_unit_id, 0), "
        "category_id, channel_id, kind, measure"
    )
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Writers already running finish first; later ones wait for the new counters.
            cur.execute(
                f"LOCK TABLE {DailyCounter._meta.db_table}, {MonthlyCounter._meta.db_table} "
                "IN EXCLUSIVE MODE"
            )
            # Room to group millions of facts in memory (hash aggregate) instead of on disk.
            cur.execute("SET LOCAL work_mem = '256MB'")
        # An area path starts with the prefix exactly when the region path does (the cut is
        # after the district, and a prefix of the region path is a whole chain of regions).
        # Paths hold only digits and slashes: nothing to escape in LIKE.
        like = [prefix + "%"]
        escape = ""
        cur.execute(
            f"DELETE FROM {DailyCounter._meta.db_table} WHERE region_path LIKE %s{escape}", like
        )
        cur.execute(
            f"DELETE FROM {MonthlyCounter._meta.db_table} WHERE area_path LIKE %s{escape}", like
        )
        cur.execute(
            f"INSERT INTO {DailyCounter._meta.db_table} ({daily_cols}, n, total) "
            f"SELECT {fact_cols}, COUNT(*), SUM(value) FROM {CaseFact._meta.db_table} "
            f"WHERE COALESCE(region_path, '') LIKE %s{escape} GROUP BY {fact_cols}",
            like,
        )
        cur.execute(
            f"INSERT INTO {MonthlyCounter._meta.db_table} ({', '.join(MONTHLY_DIMS)}, n, total) "
            f"SELECT m, a, district_id, kind, measure, SUM(n), SUM(total) "
            f"FROM (SELECT {month} AS m, {area} AS a, district_id, kind, measure, n, total "
            f"FROM {DailyCounter._meta.db_table} WHERE region_path LIKE %s{escape}) d "
            f"GROUP BY m, a, district_id, kind, measure",
            like,
        )


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
