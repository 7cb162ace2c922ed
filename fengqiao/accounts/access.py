"""The one place that decides what a user may see and do.

Every view, API endpoint, export and search asks an `Access` for a `Scope` per capability and
filters its queryset with `Scope.q(...)`. There is no bypass flag: an administrator, too, sees
only the regions their assignment names.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import ROLE_PERMISSIONS

NOTHING = Q(pk__in=[])
# Region.Level.COMMUNITY: regions of this level have no children.
LOWEST_LEVEL = 5


@dataclass(frozen=True)
class Scope:
    """Where a capability holds: region subtrees (by path), explicit grids and units."""

    region_paths: tuple[str, ...] = ()
    grid_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    # Region paths of the units in `unit_ids`, for data located by place rather than by unit.
    unit_region_paths: tuple[str, ...] = ()
    # Paths of communities/villages, the lowest level: nothing lies below them, so "inside" is
    # "equal", which an index on (path, date) can walk in date order (a prefix cannot).
    leaf_paths: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.region_paths or self.grid_ids or self.unit_ids)

    def q(
        self,
        *,
        path: str | None = None,
        grid: str | None = None,
        unit: str | None = None,
        unit_regions: bool = False,
    ) -> Q:
        """A filter for rows inside this scope.

        path: lookup of the row's region path (e.g. "community__path");
        grid: lookup of the row's grid id (e.g. "grid_id");
        unit: lookup of the unit the row is assigned to (e.g. "tasks__unit_id");
        unit_regions: let a unit scope also cover its unit's region subtree (territory browsing).
        """
        parts: list[Q] = []
        if path:
            paths = self.region_paths + (self.unit_region_paths if unit_regions else ())
            parts += [
                Q(**{path: p}) if p in self.leaf_paths else Q(**{f"{path}__startswith": p})
                for p in _outermost(paths)
            ]
        if grid and self.grid_ids:
            parts.append(Q(**{f"{grid}__in": sorted(self.grid_ids)}))
        if unit and self.unit_ids:
            parts.append(Q(**{f"{unit}__in": sorted(self.unit_ids)}))
        return reduce(or_, parts) if parts else NOTHING

    def covers_path(self, path: str, *, unit_regions: bool = False) -> bool:
        paths = self.region_paths + (self.unit_region_paths if unit_regions else ())
        return any(path.startswith(p) for p in paths)


def _outermost(paths: tuple[str, ...]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(r) for r in result):
            result.append(p)
    return result


@dataclass
class Access:
    """What one user may do where. Build with `access_for(user)`; cached on the user object."""

    user: Any
    assignments: list[RoleAssignment] = field(default_factory=list)
    _scopes: dict[str, Scope] = field(default_factory=dict, repr=False)

    @property
    def roles(self) -> set[str]:
        return {a.role for a in self.assignments}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def has_perm(self, perm: str) -> bool:
        return any(perm in ROLE_PERMISSIONS.get(a.role, ()) for a in self.assignments)

    def scope(self, perm: str) -> Scope:
        """The union of the scopes of every role that grants `perm`."""
        if perm not in self._scopes:
            self._scopes[perm] = self._build_scope(perm)
        return self._scopes[perm]

    def _build_scope(self, perm: str) -> Scope:
        paths: list[str] = []
        grids: set[int] = set()
        units: set[int] = set()
        unit_paths: list[str] = []
        leaves: set[str] = set()
        for a in self.assignments:
            if perm not in ROLE_PERMISSIONS.get(a.role, ()):
                continue
            if a.scope_type == ScopeType.REGION and a.region is not None:
                paths.append(a.region.path)
                if a.region.level == LOWEST_LEVEL:
                    leaves.add(a.region.path)
            elif a.scope_type == ScopeType.GRIDS:
                grids.update(g.pk for g in a.grids.all())
            elif a.scope_type == ScopeType.UNIT and a.unit is not None:
                units.add(a.unit.pk)
                units.update(_descendant_unit_ids(a.unit))
                unit_paths.append(a.unit.region.path)
                if a.unit.region.level == LOWEST_LEVEL:
                    leaves.add(a.unit.region.path)
        return Scope(
            tuple(paths), frozenset(grids), frozenset(units), tuple(unit_paths), frozenset(leaves)
        )

    # Territory and organisation helpers used across the platform.

    def regions(self, perm: str, qs: QuerySet | None = None) -> QuerySet:
        """Regions visible for `perm`: region subtrees, units' regions, and grids' communities."""
        from fengqiao.territory.models import Grid, Region

        qs = Region.objects.all() if qs is None else qs
        scope = self.scope(perm)
        q = scope.q(path="path", unit_regions=True)
        if scope.grid_ids:
            community_ids = Grid.objects.filter(pk__in=scope.grid_ids).values("community_id")
            q |= Q(pk__in=community_ids)
        return qs.filter(q)

    def grids(self, perm: str, qs: QuerySet | None = None) -> QuerySet:
        from fengqiao.territory.models import Grid

        qs = Grid.objects.all() if qs is None else qs
        return qs.filter(self.scope(perm).q(path="community__path", grid="id", unit_regions=True))

    def units(self, perm: str, qs: QuerySet | None = None) -> QuerySet:
        from fengqiao.org.models import Unit

        qs = Unit.objects.all() if qs is None else qs
        scope = self.scope(perm)
        q = scope.q(path="region__path", unit="id")
        if scope.grid_ids:
            # A grid worker sees the units of the communities they work in, and those above.
            from fengqiao.territory.models import Grid

            paths = Grid.objects.filter(pk__in=scope.grid_ids).values_list(
                "community__path", flat=True
            )
            ancestor_ids = {int(i) for p in paths for i in p.strip("/").split("/")}
            q |= Q(region_id__in=ancestor_ids)
        return qs.filter(q)

    def can_see_region(self, perm: str, region) -> bool:
        return self.regions(perm).filter(pk=region.pk).exists()

    def can_see_grid(self, perm: str, grid) -> bool:
        return self.grids(perm).filter(pk=grid.pk).exists()


def _descendant_unit_ids(unit) -> set[int]:
    from fengqiao.org.models import Unit

    found: set[int] = set()
    frontier = [unit.pk]
    while frontier:
        children = list(Unit.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        children = [c for c in children if c not in found]
        found.update(children)
        frontier = children
    return found


def access_for(user: Any) -> Access:
    """The Access of `user` (anonymous or inactive users get an empty one)."""
    cached = getattr(user, "_fengqiao_access", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(user, [])
    assignments = list(
        RoleAssignment.objects.filter(user=user, active=True).select_related(
            "region", "unit", "unit__region"
        )
    )
    # Only grid-scoped roles need their grids, and only their ids: no boundaries, and no query
    # at all for the many users whose roles are held over regions or units.
    by_grids = [a for a in assignments if a.scope_type == ScopeType.GRIDS]
    if by_grids:
        from fengqiao.territory.models import Grid

        prefetch_related_objects(
            by_grids, Prefetch("grids", queryset=Grid.objects.only("id", "community_id"))
        )
    access = Access(user, assignments)
    user._fengqiao_access = access
    return access
