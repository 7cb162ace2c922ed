"""The one place that decides what a user may see and do.

Every view, API endpoint, export and search narrows its queryset with the one scope API of
`Access`: `access.visible(qs, perm)` (the rows `perm` holds over), `access.holds(obj, perm)`
(does it hold over one row), `access.get(qs, pk, perm, missing=...)` (one row, or the app's
404) and `access.select_for_update(...)` (the same row locked: an action's first step), with
named shortcuts for the platform's own rows (`regions`, `grids`, `units`,
`grid_workers`, `role_assignments`, `users`). The rule for each model lives with the model's app
and is registered with `register_scope` in its AppConfig.ready (cases, mediation): accounts
never imports the apps above it. There is no bypass flag: an administrator, too, sees only the
regions their assignment names.
"""

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import (
    FilteredRelation,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import ROLE_PERMISSIONS
from fengqiao.core import caches, refdata
from fengqiao.core.models import RefDataState

NOTHING = Q(pk__in=[])
M = TypeVar("M", bound=Model)
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
    """What one user may do where. Build with `access_for(user)`; cached on the user object.

    `assignments` and the scopes may be shared with other requests of the same user in this
    process (see `access_for`): read them, never change them.
    """

    user: Any
    assignments: Sequence[RoleAssignment] = ()
    _scopes: dict[str, Scope] = field(default_factory=dict, repr=False)
    # Unit id → ids of the units below it, for unit-scoped roles (loaded with the assignments).
    _units_below: Mapping[int, frozenset[int]] = field(default_factory=dict, repr=False)

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
                below = self._units_below.get(a.unit.pk)
                units.update(_descendant_unit_ids(a.unit) if below is None else below)
                unit_paths.append(a.unit.region.path)
                if a.unit.region.level == LOWEST_LEVEL:
                    leaves.add(a.unit.region.path)
        return Scope(
            tuple(paths), frozenset(grids), frozenset(units), tuple(unit_paths), frozenset(leaves)
        )

    # -- the one scope API ------------------------------------------------------------------

    def visible(self, qs: QuerySet[M], perm: str) -> QuerySet[M]:
        """The rows of `qs` that `perm` holds over, by the rule registered for its model."""
        rule, role_needed = _rule_for(qs.model)
        if role_needed and not self.has_perm(perm):
            return qs.none()
        return qs.filter(rule(self, perm))

    def holds(self, obj: Model, perm: str) -> bool:
        """Does `perm` hold over `obj` (one query)?"""
        return self.visible(type(obj)._default_manager.filter(pk=obj.pk), perm).exists()

    def get(
        self, qs: QuerySet[M], pk: Any, perm: str, *, missing: Callable[[], Exception] = Http404
    ) -> M:
        """The row `pk` (or a row's pk) of `qs` if `perm` holds over it (one query); else raise
        `missing()`, for a row out of scope, absent, or a malformed pk alike: the caller learns
        nothing. Apps pass their own 404 error (a CaseError) as `missing`."""
        try:
            found = self.visible(qs, perm).filter(pk=getattr(pk, "pk", pk)).first()
        except (TypeError, ValueError, ValidationError):
            found = None
        if found is None:
            raise missing()
        return found

    def select_for_update(
        self, qs: QuerySet[M], pk: Any, perm: str, *, missing: Callable[[], Exception] = Http404
    ) -> M:
        """`get`, then the row read again from `qs` locked (select_for_update) until the end
        of the transaction: the write path's first step. The locking query is not scoped, so
        the joins of the scope rule are neither locked nor in the way of FOR UPDATE."""
        found = self.get(qs, pk, perm, missing=missing)
        return qs.select_for_update().get(pk=found.pk)

    def regions(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """Regions visible for `perm`: region subtrees, units' regions, and grids' communities."""
        from fengqiao.territory.models import Region

        return self.visible(Region.objects.all() if qs is None else qs, perm)

    def grids(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        from fengqiao.territory.models import Grid

        return self.visible(Grid.objects.all() if qs is None else qs, perm)

    def units(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        from fengqiao.org.models import Unit

        return self.visible(Unit.objects.all() if qs is None else qs, perm)

    def grid_workers(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """Workers whose every grid, and whose station, lie inside the scope of `perm`."""
        from fengqiao.org.models import GridWorker

        return self.visible(GridWorker.objects.all() if qs is None else qs, perm)

    def role_assignments(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """Role assignments whose region, unit or every grid lies inside the scope of `perm`."""
        return self.visible(RoleAssignment.objects.all() if qs is None else qs, perm)

    def users(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """Accounts all of whose active assignments, and whose unit, lie inside the scope of
        `perm`. Accounts with neither unit nor role (just created, or retired) are visible to
        every administrator, so that someone can give them a role."""
        return self.visible(User.objects.all() if qs is None else qs, perm)

    def can_see_region(self, perm: str, region: Any) -> bool:
        return self.holds(region, perm)

    def can_see_grid(self, perm: str, grid: Any) -> bool:
        return self.holds(grid, perm)


# How one model's rows are scoped: (access, perm) → a filter on that model.
ScopeRule = Callable[[Access, str], Q]
# Model → (its rule, whether `perm` must also be granted by one of the user's roles).
_rules: dict[type[Model], tuple[ScopeRule, bool]] = {}


def register_scope(model: type[Model], rule: ScopeRule, *, role_needed: bool = True) -> None:
    """Let `access.visible` scope `model`'s rows with `rule` (call in the app's ready()).

    role_needed=False: the rule alone decides, for rows seen by the work a user does rather
    than by a role (legal services: a lawyer's account may hold no role at all).
    """
    _rules[model] = (rule, role_needed)


def _rule_for(model: type[Model]) -> tuple[ScopeRule, bool]:
    for klass in model.__mro__:
        found = _rules.get(klass) if isinstance(klass, type) else None
        if found is not None:
            return found
    raise LookupError(f"no scope rule is registered for {model._meta.label}")


def _region_rule(access: Access, perm: str) -> Q:
    from fengqiao.territory.models import Grid

    scope = access.scope(perm)
    q = scope.q(path="path", unit_regions=True)
    if scope.grid_ids:
        community_ids = Grid.objects.filter(pk__in=scope.grid_ids).values("community_id")
        q |= Q(pk__in=community_ids)
    return q


def _grid_rule(access: Access, perm: str) -> Q:
    return access.scope(perm).q(path="community__path", grid="id", unit_regions=True)


def _unit_rule(access: Access, perm: str) -> Q:
    scope = access.scope(perm)
    q = scope.q(path="region__path", unit="id")
    if scope.grid_ids:
        # A grid worker sees the units of the communities they work in, and those above.
        from fengqiao.territory.models import Grid

        paths = Grid.objects.filter(pk__in=scope.grid_ids).values_list("community__path", flat=True)
        ancestor_ids = {int(i) for p in paths for i in p.strip("/").split("/")}
        q |= Q(region_id__in=ancestor_ids)
    return q


def _outside_grids(access: Access, perm: str) -> "QuerySet[Any]":
    from fengqiao.territory.models import Grid

    return Grid.objects.exclude(pk__in=access.grids(perm).values("pk"))


def _grid_worker_rule(access: Access, perm: str) -> Q:
    station = Q(station__isnull=True) | Q(station__in=access.units(perm))
    return station & ~Q(grids__in=_outside_grids(access, perm))


def _assignment_rule(access: Access, perm: str) -> Q:
    scope = access.scope(perm)
    with_outside_grid = RoleAssignment.grids.through.objects.filter(
        grid__in=_outside_grids(access, perm)
    ).values("roleassignment_id")
    return (
        (Q(scope_type=ScopeType.REGION) & scope.q(path="region__path"))
        | Q(scope_type=ScopeType.UNIT, unit__in=access.units(perm))
        | (Q(scope_type=ScopeType.GRIDS) & ~Q(pk__in=with_outside_grid))
    )


def _user_rule(access: Access, perm: str) -> Q:
    if access.scope(perm).empty:
        return NOTHING
    active = RoleAssignment.objects.filter(active=True)
    outside = active.exclude(pk__in=access.role_assignments(perm, active).values("pk"))
    unit = Q(unit__isnull=True) | Q(unit__in=access.units(perm))
    return unit & ~Q(pk__in=outside.values("user_id"))


def _log_rule(access: Access, perm: str) -> Q:
    """Audit entries and read-log rows of the accounts in scope, and those of the system."""
    if access.scope(perm).empty:
        return NOTHING
    return Q(actor__isnull=True) | Q(actor__in=access.users(perm).values("pk"))


def register_platform_scopes() -> None:
    """The rules of the rows accounts knows: regions, grids, units, workers, roles, accounts,
    and the logs (audit trail, sensitive reads) by their actor."""
    from fengqiao.core.models import AuditEntry, SensitiveAccess
    from fengqiao.org.models import GridWorker, Unit
    from fengqiao.territory.models import Grid, Region

    register_scope(Region, _region_rule)
    register_scope(Grid, _grid_rule)
    register_scope(Unit, _unit_rule)
    register_scope(GridWorker, _grid_worker_rule)
    register_scope(RoleAssignment, _assignment_rule)
    register_scope(User, _user_rule)
    register_scope(AuditEntry, _log_rule)
    register_scope(SensitiveAccess, _log_rule)


def _descendant_unit_ids(unit: Any) -> set[int]:
    from fengqiao.org.models import Unit

    found: set[int] = set()
    frontier = [unit.pk]
    while frontier:
        children = list(Unit.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        children = [c for c in children if c not in found]
        found.update(children)
        frontier = children
    return found


# -- Access per request at the cost of one query ---------------------------------------------
#
# Building an Access costs ORM queries (assignments with their region/unit, grids, the unit tree)
# and Python; both showed in every API request's profile. So each process keeps the built parts
# (assignments and scopes: never the user object) per user, under a key that one ORM query
# (`_read_key`) reads afresh on every request:
#
# - the user's active role assignments as rows (id, role, scope, region, unit, grid ids): any
#   change of a role, of its scope or grids, deactivation or removal changes the key, by any
#   write path (admin, loaders, queryset updates, raw SQL): nothing has to remember to bump it;
# - the reference data generation (fengqiao.core.refdata), which every change of a region, grid
#   or unit raises in its own transaction: region paths and levels, the unit tree and the names
#   shown with the roles. Read from the database on every request, not checked every
#   REFDATA_CHECK_SECONDS as the snapshots are, so it is never stale either; it is handed to
#   core.refdata (`observe`), whose snapshots then need no check query of their own.
#
# An entry is built after its key was read, so it is never older than its key. An entry built
# inside a transaction that changed reference data and then rolled back is keyed by a
# generation that no committed state ever has (refdata.changed draws a new random number), so
# it is never served again.

# One active assignment as keyed: (id, role, scope type, region id, unit id, sorted grid ids).
AssignmentKey = tuple[int, str, str, int | None, int | None, tuple[int, ...]]
GrantKey = tuple[int, tuple[AssignmentKey, ...]]  # (reference data generation, assignments)

GRANTS_MAX = 10_000  # users remembered per process; past that the memory is dropped whole
# User id → (key, parts).
_grants: dict[int, tuple[GrantKey, "_Grant"]] = {}
_grants_lock = threading.Lock()


@dataclass(frozen=True)
class _Grant:
    """The user-independent part of an Access, shared by one user's requests in a process."""

    assignments: tuple[RoleAssignment, ...]
    units_below: Mapping[int, frozenset[int]]
    # Filled lazily by Access.scope; every writer computes the same value for a key.
    scopes: dict[str, Scope] = field(default_factory=dict)


def clear_cache() -> None:
    """Forget every process-wide Access part (tests: the database is rolled back under them)."""
    with _grants_lock:
        _grants.clear()


caches.register("accounts.access", clear_cache)


def key_from_rows(generation: int | None, rows: Iterable[Sequence[Any]]) -> GrantKey:
    """The GrantKey of rows (role assignment id, role, scope type, region id, unit id, grid id),
    one row per grid; ids may be NULL (no assignment, no grid)."""
    found: dict[int, tuple[str, str, int | None, int | None, list[int]]] = {}
    for ra_id, role, scope_type, region_id, unit_id, grid_id in rows:
        if ra_id is None:
            continue
        entry = found.get(ra_id)
        if entry is None:
            entry = found[ra_id] = (role, scope_type, region_id, unit_id, [])
        if grid_id is not None and scope_type == ScopeType.GRIDS:
            entry[4].append(grid_id)
    assignments = tuple(
        sorted((pk, r, s, rg, u, tuple(sorted(g))) for pk, (r, s, rg, u, g) in found.items())
    )
    return (generation or 0, assignments)


def _read_key(user_id: int) -> GrantKey | None:
    """The GrantKey of an active user, or None (inactive or gone): one query (the user row,
    the reference data generation, and the active assignments with their grids joined)."""
    generation = RefDataState.objects.filter(pk=1).values("generation")
    rows = list(
        User.objects.filter(pk=user_id)
        .annotate(
            generation=Subquery(generation),
            ra=FilteredRelation("assignments", condition=Q(assignments__active=True)),
        )
        .values_list(
            "is_active",
            "generation",
            "ra__id",
            "ra__role",
            "ra__scope_type",
            "ra__region_id",
            "ra__unit_id",
            "ra__grids__id",
        )
    )
    if rows:
        refdata.observe(rows[0][1] or 0)
    if not rows or not rows[0][0]:
        return None
    return key_from_rows(rows[0][1], (row[2:] for row in rows))


def _load_grant(user_id: int) -> tuple[tuple[AssignmentKey, ...], _Grant]:
    """The user's active assignments (region, unit, grids and unit tree loaded) and their key."""
    assignments = list(
        RoleAssignment.objects.filter(user_id=user_id, active=True).select_related(
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
    units_below = {
        a.unit.pk: frozenset(_descendant_unit_ids(a.unit))
        for a in assignments
        if a.scope_type == ScopeType.UNIT and a.unit is not None
    }
    # The key of what was loaded (not of what the token query read): an assignment changed in
    # between is then stored under its new content, never under the old.
    loaded = tuple(
        sorted(
            (
                a.pk,
                a.role,
                a.scope_type,
                a.region_id,
                a.unit_id,
                tuple(sorted(g.pk for g in a.grids.all()))
                if a.scope_type == ScopeType.GRIDS
                else (),
            )
            for a in assignments
        )
    )
    return loaded, _Grant(tuple(assignments), units_below)


def _grant(user_id: int, key: GrantKey) -> _Grant:
    entry = _grants.get(user_id)
    if entry is not None and entry[0] == key:
        return entry[1]
    loaded, grant = _load_grant(user_id)
    with _grants_lock:
        if len(_grants) >= GRANTS_MAX:
            _grants.clear()
        _grants[user_id] = ((key[0], loaded), grant)
    return grant


def access_for(user: Any) -> Access:
    """The Access of `user` (anonymous or inactive users get an empty one).

    Costs one query per user object; the assignments and scopes come from this process's
    memory while the key is unchanged (see above). Memoised on the user object for the rest of
    the request.
    """
    cached = getattr(user, "_fengqiao_access", None)
    if isinstance(cached, Access):
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(user)
    key = _read_key(user.pk)
    if key is None:
        access = Access(user)  # deactivated or deleted since the user object was loaded
    else:
        grant = _grant(user.pk, key)
        access = Access(user, grant.assignments, grant.scopes, grant.units_below)
    user._fengqiao_access = access
    return access
