"""Read-only figures for the home pages, every one of them computed inside the user's scope."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm, Role
from fengqiao.org.models import GridWorker, UnitKind
from fengqiao.territory.models import Grid, Region


@dataclass
class StreetRow:
    """One street/town of the leader's table."""

    region: Region
    communities: int = 0
    grids: int = 0
    grid_workers: int = 0


@dataclass
class AreaFigures:
    roots: list[Region]
    streets: int
    communities: int
    grids: int
    grid_workers: int
    units: int
    stations: int
    mediation_committees: int
    by_street: list[StreetRow] = field(default_factory=list)


def my_grids(access: Access) -> QuerySet[Grid]:
    """The grids a grid worker serves: their assignments' grids and their worker record's grids."""
    assigned = {
        g.pk for a in access.assignments if a.role == Role.GRID_WORKER for g in a.grids.all()
    }
    mine = Q(pk__in=sorted(assigned)) | Q(workers__user=access.user, workers__active=True)
    ids = access.grids(Perm.TERRITORY_VIEW).filter(mine).values("pk")
    return Grid.objects.filter(pk__in=ids).select_related("community").order_by("code")


def root_regions(regions: list[Region]) -> list[Region]:
    """The regions of the list whose parent is not in the list: the tops of the visible forest."""
    ids = {r.pk for r in regions}
    return sorted((r for r in regions if r.parent_id not in ids), key=lambda r: r.code)


def workers_in(grids: QuerySet[Grid]) -> QuerySet[GridWorker]:
    return GridWorker.objects.filter(
        active=True, pk__in=GridWorker.objects.filter(grids__in=grids).values("pk")
    )


def area_figures(access: Access, *, by_street: bool = False) -> AreaFigures:
    """Counts of the territory and organisation the user may see (Perm.TERRITORY_VIEW / ORG_VIEW)."""
    regions = list(access.regions(Perm.TERRITORY_VIEW).current())
    grids = access.grids(Perm.TERRITORY_VIEW).filter(active=True)
    units = access.units(Perm.ORG_VIEW).filter(active=True)
    figures = AreaFigures(
        roots=root_regions(regions),
        streets=sum(1 for r in regions if r.level == Region.Level.STREET),
        communities=sum(1 for r in regions if r.level == Region.Level.COMMUNITY),
        grids=grids.count(),
        grid_workers=workers_in(grids).count(),
        units=units.count(),
        stations=units.filter(kind=UnitKind.SERVICE_STATION).count(),
        mediation_committees=units.filter(kind=UnitKind.MEDIATION_COMMITTEE).count(),
    )
    if by_street:
        figures.by_street = _street_rows(regions, grids)
    return figures


def _street_rows(regions: list[Region], grids: QuerySet[Grid]) -> list[StreetRow]:
    rows = [
        StreetRow(r)
        for r in sorted(regions, key=lambda r: r.code)
        if r.level == Region.Level.STREET
    ]
    if not rows:
        return rows
    communities = [r for r in regions if r.level == Region.Level.COMMUNITY]
    grid_paths = list(grids.values_list("pk", "community__path"))
    worker_grids = GridWorker.objects.filter(active=True, grids__in=grids).values_list(
        "pk", "grids__community__path"
    )
    for row in rows:
        prefix = row.region.path
        row.communities = sum(1 for c in communities if c.path.startswith(prefix))
        row.grids = sum(1 for _pk, path in grid_paths if path.startswith(prefix))
        row.grid_workers = len({pk for pk, path in worker_grids if path.startswith(prefix)})
    return rows
