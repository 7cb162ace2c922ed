"""Loading the demo district: regions, grids, units, grid workers and one account per role,
then (fengqiao.demo.mediators, fengqiao.demo.cases) routing rules, the committees' mediators and
six months of cases with the stories S1 and S2.

Everything is planned deterministically from fixed seeds, then only what is missing is created
(looked up by region code, grid code, unit name in its region, username), so loading twice
changes nothing. Passwords are hashed once and the hash shared, which keeps loading fast.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext
from shapely.geometry import Polygon

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Role
from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.demo import data
from fengqiao.demo.accountability import load_accountability
from fengqiao.demo.cases import CasesResult, load_cases
from fengqiao.demo.clock import Clock
from fengqiao.demo.disputes import load_open_disputes
from fengqiao.demo.emergency import load_emergency
from fengqiao.demo.geometry import check_tiling, lattice_cells, split_polygon
from fengqiao.demo.legalservices import load_legalservices
from fengqiao.demo.mediators import load_mediators, load_routing_rules
from fengqiao.demo.people import chinese_names, mobile_numbers, office_phone
from fengqiao.demo.phone import load_phone
from fengqiao.demo.registry import load_registry
from fengqiao.demo.risk import load_risk
from fengqiao.demo.supervision import load_supervision
from fengqiao.org.models import EmploymentType, GridWorker, Sector, Unit, UnitKind
from fengqiao.territory.locate import grids_changed
from fengqiao.territory.models import Grid, GridKind, Region, SiteType

DEFAULT_PASSWORD = "fengqiao2026"
HUAYUAN = "花园社区"


# Planning: pure, deterministic, no database.


@dataclass(frozen=True)
class GridPlan:
    code: str
    name: str
    polygon: Polygon
    site_type: str | None = None


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    name: str
    street: data.StreetSpec
    polygon: Polygon
    grids: tuple[GridPlan, ...]

    @property
    def is_village(self) -> bool:
        return self.street.is_town


@dataclass(frozen=True)
class WorkerPlan:
    username: str
    surname: str
    given_name: str
    phone: str
    background: str
    started_on: date
    community_code: str
    grid_codes: tuple[str, ...]


def _grid_counts(total_communities: int, rng: random.Random) -> list[int]:
    """5–9 grids per community, adding up to data.TOTAL_GRIDS."""
    counts = [rng.randint(5, 9) for _ in range(total_communities)]
    while sum(counts) != data.TOTAL_GRIDS:
        i = rng.randrange(total_communities)
        if sum(counts) > data.TOTAL_GRIDS and counts[i] > 5:
            counts[i] -= 1
        elif sum(counts) < data.TOTAL_GRIDS and counts[i] < 9:
            counts[i] += 1
    return counts


def plan_territory() -> list[CommunityPlan]:
    """Every community with its polygon and its grids, tiling checked; same result every call."""
    rng = random.Random(data.SEED)
    cells = lattice_cells(data.LON_EDGES, data.LAT_EDGES, rng)
    check_tiling(shapely.union_all(list(cells.values())), list(cells.values()), "桃山区")
    cells_of: dict[str, list[tuple[int, int]]] = {s.key: [] for s in data.STREETS}
    for r, row in enumerate(data.LAYOUT):
        for c, key in enumerate(row):
            cells_of[key].append((r, c))
    counts = _grid_counts(sum(len(s.communities) for s in data.STREETS), rng)
    plans: list[CommunityPlan] = []
    for street in data.STREETS:
        if len(cells_of[street.key]) != len(street.communities):
            raise ValueError(f"{street.name}: layout cells do not match its communities")
        for index, (name, cell) in enumerate(
            zip(street.communities, cells_of[street.key], strict=True)
        ):
            code = data.community_code(street, index)
            polygon = cells[cell]
            pieces = split_polygon(polygon, counts[len(plans)], rng)
            check_tiling(polygon, pieces, name)
            dedicated = data.DEDICATED_GRIDS.get(name)
            if dedicated:
                # The smallest cell becomes the site's grid, numbered last.
                smallest = min(range(len(pieces)), key=lambda i: pieces[i].area)
                pieces.append(pieces.pop(smallest))
            grids = []
            for seq, piece in enumerate(pieces, start=1):
                grid_code = f"{code}{seq:03d}"
                if dedicated and seq == len(pieces):
                    grids.append(GridPlan(grid_code, dedicated[1], piece, dedicated[0]))
                else:
                    grid_name = data.NAMED_GRIDS.get(grid_code, f"{name}第{seq}网格")
                    grids.append(GridPlan(grid_code, grid_name, piece))
            plans.append(CommunityPlan(code, name, street, polygon, tuple(grids)))
    return plans


def plan_workers(communities: list[CommunityPlan]) -> list[WorkerPlan]:
    """data.TOTAL_GRID_WORKERS workers, 1–2 grids each inside one community, every grid covered.

    Numbering starts in 花园社区, so gw001 works (only) in its first grid, the 松林小区 grid.
    """
    rng = random.Random(data.SEED + 1)
    order = sorted(communities, key=lambda c: (c.name != HUAYUAN, c.code))
    workers = {c.code: len(c.grids) for c in order}
    # More than half as many workers as grids, so each community's first worker has one grid.
    minimum = {c.code: len(c.grids) // 2 + 1 for c in order}
    excess = sum(workers.values()) - data.TOTAL_GRID_WORKERS
    if excess < 0 or sum(minimum.values()) > data.TOTAL_GRID_WORKERS:
        raise ValueError("grid and worker totals do not allow 1–2 grids per worker")
    while excess:
        c = rng.choice(order)
        if workers[c.code] > minimum[c.code]:
            workers[c.code] -= 1
            excess -= 1
    names = chinese_names(data.TOTAL_GRID_WORKERS, rng)
    phones = mobile_numbers(data.TOTAL_GRID_WORKERS, rng)
    backgrounds = [b for b, _ in data.BACKGROUND_WEIGHTS]
    weights = [w for _, w in data.BACKGROUND_WEIGHTS]
    plans: list[WorkerPlan] = []
    for community in order:
        codes = [g.code for g in community.grids]
        count = workers[community.code]
        doubles = len(codes) - count  # workers who serve two grids: the last ones
        position = 0
        for k in range(count):
            take = 2 if k >= count - doubles else 1
            i = len(plans)
            plans.append(
                WorkerPlan(
                    username=f"gw{i + 1:03d}",
                    surname=names[i][0],
                    given_name=names[i][1],
                    phone=phones[i],
                    background=rng.choices(backgrounds, weights)[0],
                    started_on=date(2018, 3, 1) + timedelta(days=rng.randrange(6 * 365)),
                    community_code=community.code,
                    grid_codes=tuple(codes[position : position + take]),
                )
            )
            position += take
    return plans


# Loading.


@dataclass
class Credential:
    role: str
    username: str
    name: str
    scope: str


@dataclass
class LoadResult:
    password: str
    created: Counter = field(default_factory=Counter)
    credentials: list[Credential] = field(default_factory=list)
    cases: CasesResult | None = None


def load_demo(password: str = DEFAULT_PASSWORD) -> LoadResult:
    """Load (or complete) the demo district in one transaction and return the demo credentials."""
    communities = plan_territory()
    workers = plan_workers(communities)
    result = LoadResult(password)
    created = result.created
    with transaction.atomic():
        site_types = _reference(SiteType, data.SITE_TYPES, created)
        sectors = _reference(Sector, data.SECTORS, created)
        regions = _regions(communities, created)
        grids = _grids(communities, regions, site_types, created)
        _outlines(regions, created)
        units = _Units(regions, sectors, created)
        units.build(communities)
        hashed: list[str] = []  # hashes known to match the password; [0] goes on new users
        _workers(workers, regions, grids, units, password, created, hashed)
        result.credentials = _demo_accounts(
            workers, grids, regions, units, password, created, hashed
        )
        result.cases = _activity(regions[data.DISTRICT[0]], password, created, hashed)
        lawyer = load_legalservices(
            regions[data.DISTRICT[0]],
            lambda rows: _ensure_users(rows, password, created, hashed),
            created,
        )
        result.credentials.append(
            Credential(gettext("legal adviser"), lawyer.username, lawyer.name, "花园社区法律服务室")
        )
        if created:
            audit.record(
                None,
                AuditEntry.Action.IMPORT,
                object_type="demo.district",
                object_id=data.DISTRICT[0],
                object_repr="桃山区演示数据",
                changes={k: [None, v] for k, v in sorted(created.items())},
            )
    return result


def _activity(district: Region, password: str, created: Counter, hashed: list[str]) -> CasesResult:
    """Routing rules, mediators and the demo cases with their six months of history."""
    admin = User.objects.get(username="demo_admin")
    with Clock().running() as clock:
        load_routing_rules(district, created)
        load_mediators(district, admin, password, created, hashed, clock)
        cases = load_cases(district, clock)
        load_supervision(created)  # the judicial office's guidance on a dispute
        load_open_disputes(district, clock, cases.created)
        load_registry(created)
        load_phone(created, clock)  # the demo grid worker's tasks, reports, households (issue 16)
        load_risk(district, created)  # risk, warnings, campaigns, special operations (issue 18)
    created.update(cases.created)
    if cases.created:
        # The monitoring room shows the new cases at once, not after the next periodic refresh;
        # a bulk load rebuilds the aggregates in one go (much faster than case by case).
        rebuild_all_facts()
    load_accountability(district, created)  # after the facts: its scores read them
    load_emergency(district, created)  # after the campaign (risk) and the cases it links
    return cases


def _reference(model, rows, created: Counter) -> dict:
    existing = {o.code: o for o in model.objects.filter(code__in=[c for c, _ in rows])}
    missing = [model(code=c, name=n) for c, n in rows if c not in existing]
    if missing:
        model.objects.bulk_create(missing)
        created[model._meta.model_name] += len(missing)
        existing = {o.code: o for o in model.objects.filter(code__in=[c for c, _ in rows])}
    return existing


def _regions(communities: list[CommunityPlan], created: Counter) -> dict[str, Region]:
    L, K = Region.Level, Region.Kind
    specs = [
        (*data.PROVINCE, L.PROVINCE, K.PROVINCE, None),
        (*data.CITY, L.CITY, K.CITY, data.PROVINCE[0]),
        (*data.DISTRICT, L.DISTRICT, K.DISTRICT, data.CITY[0]),
    ]
    for s in data.STREETS:
        specs.append((s.code, s.name, L.STREET, K.TOWN if s.is_town else K.SUBDISTRICT, None))
    specs = [
        (code, name, level, kind, parent or (data.DISTRICT[0] if level == L.STREET else None))
        for code, name, level, kind, parent in specs
    ]
    for c in communities:
        kind = K.VILLAGE if c.is_village else K.COMMUNITY
        specs.append((c.code, c.name, L.COMMUNITY, kind, c.street.code))
    codes = [s[0] for s in specs]
    regions = {r.code: r for r in Region.objects.current().filter(code__in=codes)}
    for code, name, level, kind, parent in specs:  # parents come first
        if code not in regions:
            regions[code] = Region.objects.create(
                code=code,
                name=name,
                level=level,
                kind=kind,
                parent=regions[parent] if parent else None,
            )
            created["region"] += 1
    return regions


def _grids(
    communities: list[CommunityPlan],
    regions: dict[str, Region],
    site_types: dict[str, SiteType],
    created: Counter,
) -> dict[str, Grid]:
    codes = [g.code for c in communities for g in c.grids]
    existing = set(Grid.objects.filter(code__in=codes).values_list("code", flat=True))
    new = []
    for c in communities:
        for plan in c.grids:
            if plan.code in existing:
                continue
            grid = Grid(
                code=plan.code,
                name=plan.name,
                community=regions[c.code],
                kind=GridKind.DEDICATED if plan.site_type else GridKind.BASIC,
                site_type=site_types[plan.site_type] if plan.site_type else None,
            )
            grid.set_boundary(plan.polygon)
            new.append(grid)
    if new:
        Grid.objects.bulk_create(new)
        created["grid"] += len(new)
        grids_changed()
    return {g.code: g for g in Grid.objects.filter(code__in=codes)}


def _outlines(regions: dict[str, Region], created: Counter) -> None:
    """Streets and communities without an outline get the union of their grids (audited)."""
    from fengqiao.territory.outlines import DERIVABLE_LEVELS, derive_region_outline

    for region in regions.values():
        if region.level in DERIVABLE_LEVELS and region.outline is None:
            derive_region_outline(None, region)
            created["region outline"] += 1


class _Units:
    """Units looked up by (region, kind, name) and created when missing."""

    def __init__(self, regions: dict[str, Region], sectors: dict[str, Sector], created: Counter):
        self.regions = regions
        self.sectors = sectors
        self.created = created
        self.known = {
            (u.region_id, u.kind, u.name): u
            for u in Unit.objects.filter(region__in=list(regions.values()))
        }

    def get(self, region: Region, kind: str, name: str) -> Unit:
        return self.known[region.pk, kind, name]

    def ensure(
        self,
        name: str,
        kind: str,
        region: Region,
        *,
        parent: Unit | None = None,
        sector: str | None = None,
        short_name: str = "",
        address: str = "",
    ) -> Unit:
        key = (region.pk, kind, name)
        if key not in self.known:
            unit = Unit(
                name=name,
                short_name=short_name,
                kind=kind,
                region=region,
                parent=parent,
                sector=self.sectors[sector] if sector else None,
                address=address,
                phone=office_phone(name),
            )
            unit.clean()  # the domain rules: a station serves a community, and so on
            unit.save()
            self.known[key] = unit
            self.created["unit"] += 1
        return self.known[key]

    def build(self, communities: list[CommunityPlan]) -> None:
        K = UnitKind
        district = self.regions[data.DISTRICT[0]]
        here = data.ADDRESS_PREFIX
        center = self.ensure(data.DISTRICT_CENTER, K.GOVERNANCE_CENTER, district, address=here)
        self.ensure(data.LEADING_GROUP, K.LEADING_GROUP, district, address=here)
        bureaus = {
            name: self.ensure(name, K.MEMBER_UNIT, district, sector=s, short_name=short)
            for s, name, short in data.MEMBER_UNITS
        }
        legal_center = self.ensure(
            data.DISTRICT_LEGAL_CENTER,
            K.LEGAL_SERVICE,
            district,
            parent=bureaus[data.JUSTICE_BUREAU],
            sector="justice",
            address=here,
        )
        for street in data.STREETS:
            region = self.regions[street.code]
            address = here + street.name
            street_center = self.ensure(
                f"{street.name}综治中心",
                K.GOVERNANCE_CENTER,
                region,
                parent=center,
                address=address,
            )
            self.ensure(
                f"{street.short}派出所",
                K.MEMBER_UNIT,
                region,
                parent=bureaus[data.POLICE_BUREAU],
                sector="police",
                address=address,
            )
            self.ensure(
                f"{street.short}司法所",
                K.MEMBER_UNIT,
                region,
                parent=bureaus[data.JUSTICE_BUREAU],
                sector="justice",
                address=address,
            )
            legal_station = self.ensure(
                f"{street.name}公共法律服务工作站",
                K.LEGAL_SERVICE,
                region,
                parent=legal_center,
                sector="justice",
                address=address,
            )
            groups = data.TOWN_GROUPS if street.is_town else data.STREET_GROUPS
            self._committee(street.name, region, groups, address)
            for c in (c for c in communities if c.street is street):
                community = self.regions[c.code]
                c_address = address + c.name
                self.ensure(
                    f"{c.name}综治服务站",
                    K.SERVICE_STATION,
                    community,
                    parent=street_center,
                    address=c_address,
                )
                self.ensure(
                    f"{c.name}公共法律服务室",
                    K.LEGAL_SERVICE,
                    community,
                    parent=legal_station,
                    sector="justice",
                    address=c_address,
                )
                if c.name in data.COMMUNITY_COMMITTEES:
                    self._committee(c.name, community, data.COMMUNITY_GROUPS, c_address)

    def _committee(self, place: str, region: Region, groups, address: str) -> Unit:
        committee = self.ensure(
            f"{place}人民调解委员会",
            UnitKind.MEDIATION_COMMITTEE,
            region,
            sector="justice",
            address=address,
        )
        for group in groups:
            self.ensure(
                f"{place}{group}",
                UnitKind.MEDIATION_GROUP,
                region,
                parent=committee,
                sector="justice",
                address=address,
            )
        return committee


def _ensure_users(
    rows: list[dict], password: str, created: Counter, hashed: list[str]
) -> dict[str, User]:
    """Users by username, creating the missing ones with the shared password hash."""
    usernames = [r["username"] for r in rows]
    existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    missing = [r for r in rows if r["username"] not in existing]
    if missing:
        if not hashed:
            hashed.append(make_password(password))
        # Demo accounts keep the printed password: no forced change on first login.
        User.objects.bulk_create(
            [User(password=hashed[0], must_change_password=False, **r) for r in missing]
        )
        created["user"] += len(missing)
        existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    # A different --password on a later run resets the demo users to it. Accounts share one
    # hash, so only the distinct hashes are verified (each verification is slow on purpose).
    stale = set()
    for old in {u.password for u in existing.values()} - set(hashed):
        if check_password(password, old):
            hashed.append(old)
        else:
            stale.add(old)
    if stale:
        if not hashed:
            hashed.append(make_password(password))
        changed = User.objects.filter(username__in=usernames, password__in=stale).update(
            password=hashed[0]
        )
        created["password reset"] += changed
        for u in existing.values():
            if u.password in stale:
                u.password = hashed[0]
    return existing


def _workers(
    plans: list[WorkerPlan],
    regions: dict[str, Region],
    grids: dict[str, Grid],
    units: _Units,
    password: str,
    created: Counter,
    hashed: list[str],
) -> None:
    stations = {
        code: units.get(regions[code], UnitKind.SERVICE_STATION, f"{regions[code].name}综治服务站")
        for code in {p.community_code for p in plans}
    }
    users = _ensure_users(
        [
            {
                "username": p.username,
                "name": p.surname + p.given_name,
                "last_name": p.surname,
                "first_name": p.given_name,
                "phone": p.phone,
                "unit": stations[p.community_code],
            }
            for p in plans
        ],
        password,
        created,
        hashed,
    )
    with_record = set(
        GridWorker.objects.filter(user__in=users.values()).values_list("user_id", flat=True)
    )
    new = [p for p in plans if users[p.username].pk not in with_record]
    if new:
        records = GridWorker.objects.bulk_create(
            [
                GridWorker(
                    user=users[p.username],
                    employment_type=EmploymentType.FULL_TIME,
                    background=p.background,
                    station=stations[p.community_code],
                    phone=p.phone,
                    started_on=p.started_on,
                )
                for p in new
            ]
        )
        Through = GridWorker.grids.through
        Through.objects.bulk_create(
            [
                Through(gridworker_id=r.pk, grid_id=grids[code].pk)
                for r, p in zip(records, new, strict=True)
                for code in p.grid_codes
            ]
        )
        created["grid worker"] += len(new)
    with_role = set(
        RoleAssignment.objects.filter(
            user__in=users.values(), role=Role.GRID_WORKER, scope_type=ScopeType.GRIDS
        ).values_list("user_id", flat=True)
    )
    new = [p for p in plans if users[p.username].pk not in with_role]
    if new:
        assignments = RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(
                    user=users[p.username], role=Role.GRID_WORKER, scope_type=ScopeType.GRIDS
                )
                for p in new
            ]
        )
        Through = RoleAssignment.grids.through
        Through.objects.bulk_create(
            [
                Through(roleassignment_id=a.pk, grid_id=grids[code].pk)
                for a, p in zip(assignments, new, strict=True)
                for code in p.grid_codes
            ]
        )
        created["role assignment"] += len(new)


def _demo_accounts(
    workers: list[WorkerPlan],
    grids: dict[str, Grid],
    regions: dict[str, Region],
    units: _Units,
    password: str,
    created: Counter,
    hashed: list[str],
) -> list[Credential]:
    """One account per role around 花园社区 / 桃西街道, and the credentials table."""
    K = UnitKind
    district = regions[data.DISTRICT[0]]
    taoxi = regions["230903013000"]
    huayuan = next(r for r in regions.values() if r.name == HUAYUAN and r.parent_id == taoxi.pk)
    station = units.get(huayuan, K.SERVICE_STATION, f"{HUAYUAN}综治服务站")
    taoxi_center = units.get(taoxi, K.GOVERNANCE_CENTER, "桃西街道综治中心")
    district_center = units.get(district, K.GOVERNANCE_CENTER, data.DISTRICT_CENTER)
    committee = units.get(taoxi, K.MEDIATION_COMMITTEE, "桃西街道人民调解委员会")
    police = units.get(taoxi, K.MEMBER_UNIT, "桃西派出所")
    judicial_office = units.get(taoxi, K.MEMBER_UNIT, "桃西司法所")
    leading_group = units.get(district, K.LEADING_GROUP, data.LEADING_GROUP)
    # username, role, region scope, unit scope, the account's own unit
    specs = [
        ("demo_station", Role.STATION_STAFF, huayuan, None, station),
        ("demo_center", Role.CENTER_STAFF, taoxi, None, taoxi_center),
        ("demo_district", Role.CENTER_STAFF, district, None, district_center),
        ("demo_mediator", Role.MEDIATOR, None, committee, committee),
        ("demo_police", Role.UNIT_LIAISON, None, police, police),
        ("demo_leader", Role.LEADER, district, None, leading_group),
        ("demo_admin", Role.ADMIN, district, None, district_center),
        # Separation of duties: accounts and roles, and the audit trail, are other people's.
        ("demo_security", Role.SECURITY_OFFICER, district, None, district_center),
        ("demo_auditor", Role.AUDITOR, district, None, district_center),
        # 司法所: guides the mediation committees of its street (issue 17).
        ("demo_judicial", Role.JUDICIAL_OFFICE, taoxi, None, judicial_office),
    ]
    rng = random.Random(data.SEED + 2)
    taken = {w.surname + w.given_name for w in workers}
    names = chinese_names(len(specs), rng, exclude=taken)
    phones = mobile_numbers(len(specs), rng, exclude={w.phone for w in workers})
    users = _ensure_users(
        [
            {
                "username": username,
                "name": surname + given,
                "last_name": surname,
                "first_name": given,
                "phone": phone,
                "unit": own_unit,
                "is_staff": role == Role.ADMIN,
            }
            for (username, role, _r, _u, own_unit), (surname, given), phone in zip(
                specs, names, phones, strict=True
            )
        ],
        password,
        created,
        hashed,
    )
    credentials = []
    gw = workers[0]
    credentials.append(
        Credential(
            str(Role.GRID_WORKER.label),
            gw.username,
            gw.surname + gw.given_name,
            "、".join(grids[code].name for code in gw.grid_codes),
        )
    )
    for username, role, region, unit, _own in specs:
        user = users[username]
        scope_type = ScopeType.REGION if region is not None else ScopeType.UNIT
        if not RoleAssignment.objects.filter(
            user=user, role=role, scope_type=scope_type, region=region, unit=unit
        ).exists():
            RoleAssignment.objects.create(
                user=user, role=role, scope_type=scope_type, region=region, unit=unit
            )
            created["role assignment"] += 1
        credentials.append(Credential(str(role.label), username, user.name, (region or unit).name))
    return credentials
