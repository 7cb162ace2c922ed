"""The one place that decides what a user may see and do.

Every view, API endpoint, export and search asks an `Access` for a `Scope` per capability and
filters its queryset with `Scope.q(...)`. There is no bypass flag: an administrator, too, sees
only the regions their assignment names.
"""

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import connections, router
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import ROLE_PERMISSIONS
from fengqiao.core import caches, refdata
from fengqiao.core.models import RefDataState

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

    # Territory and organisation helpers used across the platform.

    def regions(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        """Regions visible for `perm`: region subtrees, units' regions, and grids' communities."""
        from fengqiao.territory.models import Grid, Region

        qs = Region.objects.all() if qs is None else qs
        scope = self.scope(perm)
        q = scope.q(path="path", unit_regions=True)
        if scope.grid_ids:
            community_ids = Grid.objects.filter(pk__in=scope.grid_ids).values("community_id")
            q |= Q(pk__in=community_ids)
        return qs.filter(q)

    def grids(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
        from fengqiao.territory.models import Grid

        qs = Grid.objects.all() if qs is None else qs
        return qs.filter(self.scope(perm).q(path="community__path", grid="id", unit_regions=True))

    def units(self, perm: str, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
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

    def can_see_region(self, perm: str, region: Any) -> bool:
        return self.regions(perm).filter(pk=region.pk).exists()

    def can_see_grid(self, perm: str, grid: Any) -> bool:
        return self.grids(perm).filter(pk=grid.pk).exists()


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


# -- Access per request at the cost of one prepared query -------------------------------------
#
# Building an Access costs ORM queries (assignments with their region/unit, grids, the unit tree)
# and Python; both showed in every API request's profile. So each process keeps the built parts
# (assignments and scopes: never the user object) per user, under a key that is read afresh on
# every request, in the same round trip as the API token (fengqiao.api.tokens.find_token) or by
# one prepared query (`_read_key`):
#
# - the user's active role assignments as rows (id, role, scope, region, unit, grid ids): any
#   change of a role, of its scope or grids, deactivation or removal changes the key, by any
#   write path (admin, loaders, queryset updates, raw SQL): nothing has to remember to bump it;
# - the reference data generation (fengqiao.core.refdata), which every change of a region, grid
#   or unit raises in its own transaction: region paths and levels, the unit tree and the names
#   shown with the roles. Read from the database on every request, not checked every
#   REFDATA_CHECK_SECONDS as the snapshots are, so it is never stale either.
#
# An entry is built after its key was read, so it is never older than its key. An entry built
# inside a transaction that changed reference data serves only that transaction while the
# change stands (`_usable`): it could roll back, and another process could then commit other
# data under the same generation number.

# One active assignment as keyed: (id, role, scope type, region id, unit id, sorted grid ids).
AssignmentKey = tuple[int, str, str, int | None, int | None, tuple[int, ...]]
GrantKey = tuple[int, tuple[AssignmentKey, ...]]  # (reference data generation, assignments)

# Set on a user object by the token query: the GrantKey read with it (used once, see access_for).
_KEY_ATTR = "_fengqiao_grant_key"
GRANTS_MAX = 10_000  # users remembered per process; past that the memory is dropped whole
# User id → (key, the uncommitted reference data change it was built on or None, parts).
_grants: dict[int, tuple[GrantKey, tuple[Any, ...] | None, "_Grant"]] = {}
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
    """The GrantKey of rows (role assignment id, role, scope type, region id, unit id, grid id)
    as the assignment columns of `assignment_sql` give them (one row per grid; ids may be NULL)."""
    found: dict[int, tuple[str, str, int | None, int | None, list[int]]] = {}
    for ra_id, role, scope_type, region_id, unit_id, grid_id in rows:
        if ra_id is None:
            continue
        entry = found.get(ra_id)
        if entry is None:
            entry = found[ra_id] = (role, scope_type, region_id, unit_id, [])
        if grid_id is not None:
            entry[4].append(grid_id)
    assignments = tuple(
        sorted((pk, r, s, rg, u, tuple(sorted(g))) for pk, (r, s, rg, u, g) in found.items())
    )
    return (generation or 0, assignments)


def remember_key(user: Any, key: GrantKey) -> None:
    """Hand the key read together with `user` (by the token query) to this request's access_for."""
    setattr(user, _KEY_ATTR, key)


def assignment_sql(connection: Any, user_id_sql: str) -> tuple[str, str, list[Any]]:
    """(columns, joins, join params) that add to a query over users the reference data generation
    and the user's active role assignments (columns as `key_from_rows` reads them after the
    generation). `user_id_sql` is the SQL of the user's id in the outer query."""
    qn = connection.ops.quote_name
    ra = RoleAssignment._meta
    through = RoleAssignment.grids.through._meta
    grids_field = RoleAssignment._meta.get_field("grids")
    state = RefDataState._meta
    col = {f.name: qn(f.column) for f in ra.concrete_fields}
    columns = (
        f"(SELECT rs.{qn(state.get_field('generation').column)} FROM {qn(state.db_table)} rs "
        f"WHERE rs.{qn(state.pk.column)} = 1), "
        f"ra.{col['id']}, ra.{col['role']}, ra.{col['scope_type']}, ra.{col['region']}, "
        f"ra.{col['unit']}, rg.{qn(grids_field.m2m_reverse_name())}"
    )
    joins = (
        f"LEFT JOIN {qn(ra.db_table)} ra ON ra.{col['user']} = {user_id_sql} "
        f"AND ra.{col['active']} = %s "
        f"LEFT JOIN {qn(through.db_table)} rg ON rg.{qn(grids_field.m2m_column_name())} "
        f"= ra.{col['id']} AND ra.{col['scope_type']} = %s"
    )
    return columns, joins, [True, ScopeType.GRIDS.value]


# Database alias → (SQL, parameters before the user id) of `_read_key`, built once.
_key_sql: dict[str, tuple[str, list[Any]]] = {}


def _read_key(user_id: int) -> GrantKey | None:
    """The GrantKey of an active user, or None (inactive or gone): one query, SQL built once."""
    alias = router.db_for_read(RoleAssignment)
    connection = connections[alias]
    prepared = _key_sql.get(alias)
    if prepared is None:
        qn = connection.ops.quote_name
        meta = User._meta
        pk_column = str(meta.pk.column)
        columns, joins, params = assignment_sql(connection, f"u.{qn(pk_column)}")
        sql = (
            f"SELECT u.{qn(str(meta.get_field('is_active').column))}, {columns} "
            f"FROM {qn(str(meta.db_table))} u {joins} WHERE u.{qn(pk_column)} = %s"
        )
        prepared = _key_sql[alias] = (sql, params)
    sql, params = prepared
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, user_id])
        rows = cursor.fetchall()
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


def _uncommitted_change(alias: str) -> tuple[Any, ...] | None:
    """The latest reference data change of the open transaction, or None: `refdata.changed()`
    queued its `clear` to run on commit (Django drops the entry when the savepoint that made
    the change rolls back, and the list when the transaction ends)."""
    connection = connections[alias]
    if not connection.in_atomic_block:
        return None
    for entry in reversed(connection.run_on_commit):
        if entry[1] is refdata.clear:
            return entry
    return None


def _usable(change: tuple[Any, ...] | None, alias: str) -> bool:
    # A part built on uncommitted reference data serves only while that change stands: after a
    # rollback, another process could commit other data under the same generation number.
    return change is None or any(e is change for e in connections[alias].run_on_commit)


def _grant(user_id: int, key: GrantKey) -> _Grant:
    alias = router.db_for_read(RoleAssignment)
    entry = _grants.get(user_id)
    if entry is not None and entry[0] == key and _usable(entry[1], alias):
        return entry[2]
    loaded, grant = _load_grant(user_id)
    with _grants_lock:
        if len(_grants) >= GRANTS_MAX:
            _grants.clear()
        _grants[user_id] = ((key[0], loaded), _uncommitted_change(alias), grant)
    return grant


def access_for(user: Any) -> Access:
    """The Access of `user` (anonymous or inactive users get an empty one).

    Costs one prepared query per user object (none after the API token query, which reads the
    key with the token); the assignments and scopes come from this process's memory while the
    key is unchanged (see above). Memoised on the user object for the rest of the request.
    """
    cached = getattr(user, "_fengqiao_access", None)
    if isinstance(cached, Access):
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(user)
    key = getattr(user, _KEY_ATTR, None)
    if key is not None:
        # Read with the token in this request; used once, so that a caller who changed roles
        # and dropped the memo reads the key afresh.
        setattr(user, _KEY_ATTR, None)
    else:
        key = _read_key(user.pk)
    if key is None:
        access = Access(user)  # deactivated or deleted since the user object was loaded
    else:
        grant = _grant(user.pk, key)
        access = Access(user, grant.assignments, grant.scopes, grant.units_below)
    user._fengqiao_access = access
    return access
