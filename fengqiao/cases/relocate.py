"""Cases follow their places when a region or a grid moves to another parent.

A case keeps its places denormalised (community, street, district and the region path) for
scope filters and statistics, and the monitoring room's facts and rollups copy them again. When
a region moves (its path changes: fengqiao.core.tree.PathTree) or a grid moves to another
community, `rewrite_places_task` re-derives the places of every case under it in the background,
in batches: each batch locks its cases, saves the new places, writes a "places_moved" history
entry per case that changed (no version bump: no field a person edits changed) and refreshes
those cases' facts and rollups in the same transaction. It is idempotent (a case whose places
are already right is skipped) and resumable (each batch commits; a run after an interruption
starts over and finds only what is left). Mediations placed by a committee under a moved region
get their facts refreshed as well.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django_tasks import task

from fengqiao.cases.models import Case, CaseHistory
from fengqiao.territory.models import Grid, Region

ACTION = "places_moved"
PLACE_FIELDS = ("community_id", "street_id", "district_id", "region_path")
BATCH = 200
LEVEL_FIELD: dict[int, str] = {
    Region.Level.COMMUNITY: "community_id",
    Region.Level.STREET: "street_id",
    Region.Level.DISTRICT: "district_id",
}


def _anchor_id(case: Case, grids: dict[int, int]) -> int | None:
    """The most precise region the case lies in: its grid's community, else its own."""
    if case.grid_id is not None and case.grid_id in grids:
        return grids[case.grid_id]
    return case.community_id or case.street_id or case.district_id


def expected_places(
    case: Case, grids: dict[int, int], regions: dict[int, Region]
) -> dict[str, Any]:
    """The case's places as its anchor region's current path says (district kept when the
    path names none, as intake keeps the home district)."""
    anchor = regions.get(_anchor_id(case, grids) or 0)
    if anchor is None:
        return {name: getattr(case, name) for name in PLACE_FIELDS}
    places: dict[str, Any] = {"community_id": None, "street_id": None}
    places["district_id"] = case.district_id
    for pk in anchor.path.strip("/").split("/"):
        region = regions.get(int(pk))
        if region is not None and region.level in LEVEL_FIELD:
            places[LEVEL_FIELD[region.level]] = region.pk
    places["region_path"] = anchor.path
    return places


def _load(cases: list[Case]) -> tuple[dict[int, int], dict[int, Region]]:
    grids = dict(
        Grid.objects.filter(pk__in={c.grid_id for c in cases if c.grid_id}).values_list(
            "id", "community_id"
        )
    )
    anchors = {a for c in cases if (a := _anchor_id(c, grids))}
    paths = Region.objects.filter(pk__in=anchors).values_list("path", flat=True)
    ids = {int(p) for path in paths for p in path.strip("/").split("/") if p}
    return grids, Region.objects.in_bulk(ids | anchors)


def restamp(cases: list[Case], reason: dict[str, Any]) -> list[int]:
    """Give these locked cases their current places; returns the ids of those that changed."""
    grids, regions = _load(cases)
    changed = []
    for case in cases:
        want = expected_places(case, grids, regions)
        diff = {
            name: [getattr(case, name), value]
            for name, value in want.items()
            if getattr(case, name) != value
        }
        if not diff:
            continue
        for name, value in want.items():
            setattr(case, name, value)
        entry = CaseHistory.objects.create(
            case=case,
            actor=None,
            action=ACTION,
            from_state=case.state,
            to_state=case.state,
            data={**reason, "changes": diff},
        )
        case.current_history = entry
        case.save(update_fields=[*PLACE_FIELDS, "current_history", "updated_at"])
        changed.append(case.pk)
    return changed


def _selection(region_id: int | None, grid_id: int | None) -> Q:
    if grid_id is not None:
        return Q(grid_id=grid_id)
    # Every path through the region names its id, before and after the move.
    return Q(region_path__contains=f"/{region_id}/")


# Copies of the places kept above the cases (the monitoring room's facts): registered by those
# apps in their AppConfig.ready. `_CASES_MOVED` get the ids of the cases that changed, inside
# the batch's transaction; `_REGION_MOVED` get the moved region's id once its cases are done.
_CASES_MOVED: list[Callable[[list[int]], Any]] = []
_REGION_MOVED: list[Callable[[int], Any]] = []


def register_followers(
    *,
    cases_moved: Callable[[list[int]], Any] | None = None,
    region_moved: Callable[[int], Any] | None = None,
) -> None:
    if cases_moved is not None and cases_moved not in _CASES_MOVED:
        _CASES_MOVED.append(cases_moved)
    if region_moved is not None and region_moved not in _REGION_MOVED:
        _REGION_MOVED.append(region_moved)


def _follow(hooks: Iterable[Callable[[Any], Any]], arg: Any) -> None:
    for hook in hooks:
        hook(arg)


def rewrite_places(*, region_id: int | None = None, grid_id: int | None = None) -> int:
    """Re-derive the places of the cases under a moved region or grid, in batches; returns
    how many cases changed."""
    if (region_id is None) == (grid_id is None):
        raise ValueError("name exactly one of region_id and grid_id")
    reason = {"region": region_id} if region_id is not None else {"grid": grid_id}
    selection = _selection(region_id, grid_id)
    changed = 0
    last = 0
    while True:
        ids = list(
            Case.objects.filter(selection, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
            moved = restamp(cases, reason)
            if moved:
                _follow(_CASES_MOVED, moved)
        changed += len(moved)
        last = ids[-1]
    if region_id is not None:
        _follow(_REGION_MOVED, region_id)
    return changed


@task()
def rewrite_places_task(region_id: int | None = None, grid_id: int | None = None) -> int:
    """Bring the cases (and their facts) under a moved region or grid to their new places."""
    return rewrite_places(region_id=region_id, grid_id=grid_id)
