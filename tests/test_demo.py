"""`fengqiao demo`: the 桃山区 demo district, its tiling, staff, accounts, mediators, routing
rules, sample cases with the stories S1 and S2, and idempotency.

The demo is loaded once for the module inside a transaction that is rolled back at the end;
each test runs in a savepoint inside it, so tests that load again see their changes undone.
"""

import itertools
import re
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import shapely
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import box

from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import SEPARATED_ROLES, Perm, Role
from fengqiao.analytics.models import CaseFact
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    FollowUpVisit,
    RoutingRule,
    Satisfaction,
    SupervisionCard,
    Task,
)
from fengqiao.core.models import AuditEntry
from fengqiao.core.validators import is_valid_phone
from fengqiao.demo import data
from fengqiao.demo.geometry import TilingError, check_tiling, split_polygon
from fengqiao.demo.loader import plan_territory
from fengqiao.demo.models import DemoState
from fengqiao.mediation.actions import visible_mediations
from fengqiao.mediation.models import (
    Agreement,
    CommitteeSetting,
    Mediation,
    MediationEvent,
    MediationState,
    Mediator,
)
from fengqiao.org.models import GridWorker, Sector, Unit, UnitKind
from fengqiao.territory import locate
from fengqiao.territory.models import Grid, GridIndexState, GridKind, Region, SiteType

STREETS = {
    "230903011000": ("桃东街道", "subdistrict"),
    "230903012000": ("桃南街道", "subdistrict"),
    "230903013000": ("桃西街道", "subdistrict"),
    "230903014000": ("桃北街道", "subdistrict"),
    "230903015000": ("桃源街道", "subdistrict"),
    "230903016000": ("桃山街道", "subdistrict"),
    "230903100000": ("万宝河镇", "town"),
}
DEMO_USERS = {
    "demo_station": (Role.STATION_STAFF, ScopeType.REGION, "花园社区"),
    "demo_center": (Role.CENTER_STAFF, ScopeType.REGION, "桃西街道"),
    "demo_district": (Role.CENTER_STAFF, ScopeType.REGION, "桃山区"),
    "demo_mediator": (Role.MEDIATOR, ScopeType.UNIT, "桃西街道人民调解委员会"),
    "demo_police": (Role.UNIT_LIAISON, ScopeType.UNIT, "桃西派出所"),
    "demo_leader": (Role.LEADER, ScopeType.REGION, "桃山区"),
    "demo_admin": (Role.ADMIN, ScopeType.REGION, "桃山区"),
    "demo_security": (Role.SECURITY_OFFICER, ScopeType.REGION, "桃山区"),
    "demo_auditor": (Role.AUDITOR, ScopeType.REGION, "桃山区"),
    "demo_judicial": (Role.JUDICIAL_OFFICE, ScopeType.REGION, "桃西街道"),
}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_output, db) -> str:
    return demo_output


def snapshot() -> dict:
    """Everything the demo writes, in comparable form."""
    return {
        "regions": sorted(Region.objects.values_list("code", "name", "kind", "parent_id", "path")),
        "grids": sorted(
            Grid.objects.values_list(
                "code", "name", "community_id", "kind", "site_type_id", "updated_at"
            )
        ),
        "boundaries": {g.code: g.boundary for g in Grid.objects.all()},
        "units": sorted(Unit.objects.values_list("id", "name", "kind", "region_id", "parent_id")),
        "users": sorted(User.objects.values_list("username", "name", "phone", "password")),
        "workers": sorted(
            (w.user.username, w.station_id, tuple(sorted(w.grids.values_list("code", flat=True))))
            for w in GridWorker.objects.select_related("user")
        ),
        "roles": sorted(
            RoleAssignment.objects.values_list("id", "user_id", "role", "region_id", "unit_id")
        ),
        "role_grids": sorted(RoleAssignment.grids.through.objects.values_list("pk", "grid_id")),
        "reference": sorted(SiteType.objects.values_list("code", "name"))
        + sorted(Sector.objects.values_list("code", "name")),
        "index_version": GridIndexState.objects.values_list("version", flat=True).first(),
        "audit": AuditEntry.objects.count(),
        "cases": sorted(Case.objects.values_list("tracking_number", "state", "version")),
        "history": CaseHistory.objects.count(),
        "tasks": Task.objects.count(),
        "visits": FollowUpVisit.objects.count(),
        "cards": SupervisionCard.objects.count(),
        "mediators": sorted(Mediator.objects.values_list("user_id", "committee_id", "active")),
        "mediations": sorted(Mediation.objects.values_list("number", "state", "version")),
        "rules": sorted(RoutingRule.objects.values_list("name", "order", "target_level")),
        "demo_state": list(DemoState.objects.values_list("key", "data")),
        "facts": CaseFact.objects.count(),
    }


def test_streets_and_town_have_their_real_codes(demo):
    district = Region.objects.get(code="230903000000")
    assert district.name == "桃山区"
    assert district.parent.code == "230900000000" and district.parent.name == "七台河市"
    assert district.parent.parent.code == "230000000000"
    streets = Region.objects.filter(level=Region.Level.STREET)
    assert {s.code: (s.name, s.kind) for s in streets} == STREETS
    assert all(s.parent_id == district.pk for s in streets)


def test_communities_and_villages_are_coded_under_their_street(demo):
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY).select_related("parent"))
    assert 28 <= len(communities) <= 32
    assert len({c.code for c in communities}) == len(communities)
    for c in communities:
        assert c.code[:9] == c.parent.code[:9]
        seq = int(c.code[9:])
        if c.parent.kind == Region.Kind.TOWN:
            assert c.kind == Region.Kind.VILLAGE and 200 <= seq <= 399
        else:
            assert c.kind == Region.Kind.COMMUNITY and 1 <= seq <= 199
        assert c.path == f"{c.parent.path}{c.pk}/"
    huayuan = Region.objects.get(name="花园社区")
    assert huayuan.code == "230903013001" and huayuan.parent.name == "桃西街道"
    assert Region.objects.filter(kind=Region.Kind.VILLAGE).count() >= 5


def test_grids_codes_names_and_dedicated_sites(demo):
    grids = list(Grid.objects.select_related("community", "site_type"))
    assert 190 <= len(grids) <= 210
    for _community_id, group in itertools.groupby(
        sorted(grids, key=lambda g: g.code), key=lambda g: g.community_id
    ):
        group = list(group)
        community = group[0].community
        assert [g.code for g in group] == [
            f"{community.code}{i:03d}" for i in range(1, len(group) + 1)
        ]
        assert 5 <= len(group) <= 9
    songlin = Grid.objects.get(code="230903013001001")
    assert songlin.name == "花园社区松林小区网格" and songlin.community.name == "花园社区"
    assert Grid.objects.get(code="230903013001002").name == "花园社区第2网格"
    dedicated = [g for g in grids if g.kind == GridKind.DEDICATED]
    assert len(dedicated) >= 4
    assert all(g.site_type is not None for g in dedicated)
    assert all(g.site_type is None for g in grids if g.kind == GridKind.BASIC)
    assert {"school", "hospital", "market", "industrial_park"} <= {
        g.site_type.code for g in dedicated
    }
    assert {
        "school": "学校",
        "hospital": "医院",
        "market": "市场",
        "industrial_park": "工业园区",
    }.items() <= dict(SiteType.objects.values_list("code", "name")).items()


def test_grids_tile_each_community_without_gaps_or_overlaps(demo):
    plans = {c.code: c for c in plan_territory()}
    all_shapes = []
    for community in Region.objects.filter(level=Region.Level.COMMUNITY):
        shapes = [g.shape() for g in Grid.objects.filter(community=community)]
        whole = plans[community.code].polygon
        assert all(s.is_valid and s.geom_type == "Polygon" for s in shapes)
        union = shapely.union_all(shapes)
        assert abs(union.area - whole.area) <= 1e-9 * whole.area
        assert union.symmetric_difference(whole).area <= 1e-9 * whole.area
        for a, b in itertools.combinations(shapes, 2):
            assert a.intersection(b).area <= 1e-12 * whole.area
        all_shapes += shapes
    # Communities meet edge to edge too: the grids of the whole district never overlap.
    total = sum(s.area for s in all_shapes)
    assert abs(shapely.union_all(all_shapes).area - total) <= 1e-9 * total
    lon0, lat0, lon1, lat1 = shapely.union_all(all_shapes).bounds
    assert 130.8 < lon0 < lon1 < 131.15 and 45.65 < lat0 < lat1 < 45.87


def test_streets_and_communities_have_the_outline_of_their_grids(demo):
    plans = {c.code: c for c in plan_territory()}
    levels = (Region.Level.STREET, Region.Level.COMMUNITY)
    regions = list(Region.objects.filter(level__in=levels))
    assert regions and all(r.outline and r.outline_source == "grids" for r in regions)
    for region in regions:
        outline = shapely.geometry.shape(region.outline)
        assert outline.is_valid and outline.geom_type in ("Polygon", "MultiPolygon")
        grids = shapely.union_all(
            [g.shape() for g in Grid.objects.filter(community__path__startswith=region.path)]
        )
        assert outline.symmetric_difference(grids).area <= 1e-6 * grids.area
        if region.level == Region.Level.COMMUNITY:
            whole = plans[region.code].polygon
            assert outline.symmetric_difference(whole).area <= 1e-6 * whole.area
    # Higher levels are left to be drawn (or imported): nothing made up for them.
    assert not Region.objects.filter(level__lt=Region.Level.STREET, outline__isnull=False).exists()


def test_every_grid_is_found_by_its_own_point(demo):
    grids = list(Grid.objects.all())
    for grid in grids:
        assert locate.locate(grid.center_lon, grid.center_lat) == grid
    ids = locate.get_locator().locate_many(
        [g.center_lon for g in grids], [g.center_lat for g in grids]
    )
    assert ids.tolist() == [g.pk for g in grids]
    assert locate.locate(126.6, 45.75) is None  # Harbin: outside the district


def test_tiling_check_rejects_gaps_and_overlaps():
    whole = box(0, 0, 2, 1)
    check_tiling(whole, [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    with pytest.raises(TilingError, match="union area"):
        check_tiling(whole, [box(0, 0, 1, 1), box(1.01, 0, 2, 1)])
    with pytest.raises(TilingError, match="do not cover the same ground"):
        # Right area, wrong place: half of the second piece sticks out.
        check_tiling(whole, [box(0, 0, 1, 1), box(1, 0.5, 2, 1.5)])
    with pytest.raises(TilingError, match="overlap"):
        # The union is exactly the whole, but the pieces overlap.
        check_tiling(whole, [box(0, 0, 1.5, 1), box(1, 0, 2, 1)])
    with pytest.raises(TilingError, match="not a valid polygon"):
        bowtie = shapely.Polygon([(0, 0), (2, 1), (2, 0), (0, 1)])
        check_tiling(whole, [bowtie])


def test_split_polygon_is_deterministic_and_tiles():
    import random

    whole = box(131.0, 45.7, 131.04, 45.73)
    first = split_polygon(whole, 7, random.Random(1))
    again = split_polygon(whole, 7, random.Random(1))
    assert [p.wkb for p in first] == [p.wkb for p in again]
    assert len(first) == 7
    check_tiling(whole, first)


def test_170_grid_workers_cover_every_grid_of_their_community(demo):
    workers = list(GridWorker.objects.select_related("user", "station__region"))
    assert len(workers) == 170
    assert sorted(w.user.username for w in workers) == [f"gw{i:03d}" for i in range(1, 171)]
    assert {w.employment_type for w in workers} == {"full_time"}
    assert {w.background for w in workers} == {"graduate", "social_worker", "volunteer"}
    names = [w.user.name for w in workers]
    assert len(set(names)) == 170 and all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)
    phones = [w.user.phone for w in workers]
    assert len(set(phones)) == 170
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) and is_valid_phone(p) for p in phones)
    covered = set()
    for w in workers:
        grids = list(w.grids.all())
        assert 1 <= len(grids) <= 2
        assert w.station.kind == UnitKind.SERVICE_STATION
        assert all(g.community_id == w.station.region_id for g in grids)
        assert w.user.unit_id == w.station_id
        role = RoleAssignment.objects.get(user=w.user)
        assert role.role == Role.GRID_WORKER and role.scope_type == ScopeType.GRIDS
        assert set(role.grids.all()) == set(grids)
        covered |= {g.pk for g in grids}
    assert covered == set(Grid.objects.values_list("pk", flat=True))


def test_units_and_their_tree(demo):
    district = Region.objects.get(code="230903000000")
    center = Unit.objects.get(name="桃山区综治中心", kind=UnitKind.GOVERNANCE_CENTER)
    assert center.region == district
    assert Unit.objects.get(name="桃山区平安建设领导小组").kind == UnitKind.LEADING_GROUP
    police = Unit.objects.get(name="桃西派出所")
    assert police.kind == UnitKind.MEMBER_UNIT and police.sector.code == "police"
    assert police.region.code == "230903013000" and police.parent.short_name == "桃山公安分局"
    for street in Region.objects.filter(level=Region.Level.STREET):
        units = Unit.objects.filter(region=street)
        street_center = units.get(kind=UnitKind.GOVERNANCE_CENTER)
        assert street_center.parent == center
        assert units.filter(kind=UnitKind.MEMBER_UNIT, sector__code="police").count() == 1
        assert units.filter(kind=UnitKind.MEMBER_UNIT, name__endswith="司法所").count() == 1
        assert units.filter(kind=UnitKind.LEGAL_SERVICE).count() == 1
        committee = units.get(kind=UnitKind.MEDIATION_COMMITTEE)
        assert committee.name == f"{street.name}人民调解委员会"
        assert 1 <= committee.children.filter(kind=UnitKind.MEDIATION_GROUP).count() <= 2
        for community in street.children.all():
            station = Unit.objects.get(region=community, kind=UnitKind.SERVICE_STATION)
            assert station.parent == street_center
    community_committees = Unit.objects.filter(
        kind=UnitKind.MEDIATION_COMMITTEE, region__level=Region.Level.COMMUNITY
    )
    assert community_committees.count() >= 3
    assert all(1 <= c.children.count() <= 2 for c in community_committees)
    sectors = set(Sector.objects.values_list("code", flat=True))
    assert {"police", "justice", "civil_affairs", "petitions", "court", "health", "education",
            "emergency", "charity", "human_resources", "housing", "urban_management",
            "market_regulation"} <= sectors  # fmt: skip
    for name in (
        "桃山区司法局",
        "桃山区民政局",
        "桃山区信访局",
        "桃山区人民法院",
        "桃山区慈善总会",
    ):
        assert Unit.objects.get(name=name).region == district
    for unit in Unit.objects.select_related("region", "parent"):
        unit.clean()  # every unit obeys the placement rules of its kind


def test_demo_accounts_hold_their_roles(demo):
    for username, (role, scope_type, target) in DEMO_USERS.items():
        user = User.objects.get(username=username)
        a = RoleAssignment.objects.get(user=user)
        assert (a.role, a.scope_type) == (role, scope_type)
        assert (a.region or a.unit).name == target
        assert username in demo and user.name in demo
    admin = User.objects.get(username="demo_admin")
    assert admin.is_staff and not admin.is_superuser
    assert not User.objects.get(username="demo_leader").is_staff
    # Every demo account and grid worker shares the one hash of the demo password.
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1 and check_password("fengqiao2026", hashes.pop())
    assert "fengqiao2026" in demo and "gw001" in demo
    # `make run` stays usable: demo accounts are never sent to the password change page.
    assert not User.objects.filter(must_change_password=True).exists()
    # Separation of duties: no account of the demo holds two of admin/security/auditor.
    separated = RoleAssignment.objects.filter(active=True, role__in=SEPARATED_ROLES)
    holders = list(separated.values_list("user_id", flat=True))
    assert len(holders) == len(set(holders)) == 3


def test_keys_are_the_demo_security_officers_not_the_admins(demo, client_for):
    for url in (reverse("admin:api_apitoken_changelist"), "/api/v1/admin/tokens/"):
        admin = client_for(User.objects.get(username="demo_admin"))
        assert admin.get(url).status_code in (302, 403)
        security = client_for(User.objects.get(username="demo_security"))
        assert security.get(url).status_code == 200


def test_only_the_demo_admin_opens_the_admin_site(demo, client_for):
    url = reverse("admin:index")
    assert client_for(User.objects.get(username="demo_admin")).get(url).status_code == 200
    # The security officer (accounts) and the auditor (read-only logs) have their sections.
    for username in ("demo_security", "demo_auditor"):
        assert client_for(User.objects.get(username=username)).get(url).status_code == 200
    assert (
        client_for(User.objects.get(username="demo_leader")).get(url, follow=True).status_code
        == 403
    )


def test_demo_grid_worker_sees_exactly_their_own_grid(demo):
    gw = User.objects.get(username="gw001")
    own = set(gw.grid_worker.grids.all())
    assert {g.code for g in own} == {"230903013001001"}
    assert set(access_for(gw).grids(Perm.TERRITORY_VIEW)) == own
    station_staff = User.objects.get(username="demo_station")
    seen = access_for(station_staff).grids(Perm.TERRITORY_VIEW)
    assert set(seen) == set(Grid.objects.filter(community__name="花园社区"))
    police = access_for(User.objects.get(username="demo_police"))
    assert {
        u.name for u in police.units(Perm.ORG_VIEW, Unit.objects.filter(kind="member_unit"))
    } >= {"桃西派出所"}


def test_running_twice_changes_nothing(demo):
    before = snapshot()
    out = StringIO()
    call_command("demo", stdout=out)
    assert snapshot() == before
    assert "nothing changed" in out.getvalue() or "没有变化" in out.getvalue()
    # The same credentials table is printed again, and the stories' tracking numbers.
    table = demo[demo.index("gw001") :]
    assert table in out.getvalue()
    state = DemoState.objects.get(key="cases")
    for number in (state.data["s1"], state.data["s2"]):
        assert number in demo and number in out.getvalue()


def test_password_option_and_environment(demo, monkeypatch):
    call_command("demo", password="another-secret-2026", stdout=StringIO())
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password("another-secret-2026", hashes.pop())
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-2026")
    out = StringIO()
    call_command("demo", stdout=out)
    assert "from-the-env-2026" in out.getvalue()
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1 and check_password("from-the-env-2026", hashes.pop())


def test_unacceptable_password_is_refused_and_changes_nothing(demo):
    before = snapshot()
    with pytest.raises(CommandError, match=r"password|密码"):
        call_command("demo", password="123", stdout=StringIO())
    assert snapshot() == before


# -- mediators, routing rules and cases ------------------------------------------------------


def _story(key: str) -> Case:
    return Case.objects.get(tracking_number=DemoState.objects.get(key="cases").data[key])


def test_every_committee_has_3_to_9_mediators_with_accounts(demo):
    committees = list(Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE))
    assert len(committees) == 14
    for committee in committees:
        members = list(Mediator.objects.filter(committee=committee, active=True))
        assert 3 <= len(members) <= 5, committee.name  # planned 3–5; the law allows 3–9
        for m in members:
            assert m.specialties.exists()
            role = RoleAssignment.objects.get(user=m.user, role=Role.MEDIATOR)
            assert (role.scope_type, role.unit) == (ScopeType.UNIT, committee)
    types = set(Mediator.objects.values_list("employment_type", flat=True))
    assert types == {"full_time", "part_time"}
    demo_mediator = Mediator.objects.get(user__username="demo_mediator")
    assert demo_mediator.committee.name == "桃西街道人民调解委员会"
    assert set(demo_mediator.specialties.values_list("code", flat=True)) == {
        "construction",
        "neighbours",
    }
    # 桃源街道's and 桃源社区's committees must not share document numbers.
    prefixes = list(CommitteeSetting.objects.values_list("doc_prefix", flat=True))
    assert len(prefixes) == 14 and len(set(prefixes)) == 14
    numbers = list(Mediation.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) >= 10


def test_routing_rules_are_data_and_route_the_stories(demo):
    rules = {r.name: r for r in RoutingRule.objects.select_related("category", "channel")}
    assert len(rules) == 10
    assert all(r.region.code == "230903000000" and r.active for r in rules.values())
    s1, s2 = _story("s1"), _story("s2")
    assert s1.routing_rule.category.code == "construction_disturbance"
    assert s1.handling_unit.name == "花园社区综治服务站"
    assert s2.routing_rule.channel.code == "police_110"
    assert s2.handling_unit.name == "桃山区综治中心"
    labour = Case.objects.filter(category__code__in=["labour", "labour_wages"]).exclude(
        channel__code="police_110"
    )
    labour = labour.exclude(risk_level__in=["high", "critical"]).select_related("handling_unit")
    assert labour.exists()
    assert all(c.handling_unit.name.endswith("综治中心") for c in labour)
    assert all(c.handling_level == "street" for c in labour)


def test_s1_mediated_closed_and_visited(demo):
    case = _story("s1")
    assert case.state == CaseState.CLOSED and case.channel.code == "resident_report"
    assert case.grid.code == "230903013001001" and case.created_by is None
    assert case.created_at < case.resolved_at < case.closed_at
    assert (case.closed_at - case.created_at).days >= 20  # a story over weeks, not one instant
    m = case.mediation
    assert m.state == MediationState.AGREED
    assert m.committee.name == "桃西街道人民调解委员会"
    assert m.lead_mediator.user.username == "demo_mediator"
    assert m.sessions.count() == 2 and m.investigations.count() == 1
    agreement = m.agreement
    assert agreement.form == Agreement.Form.WRITTEN and agreement.effective_at is not None
    assert agreement.items.count() == 2
    assert not agreement.items.filter(done_at__isnull=True).exists()
    assert case.notes.filter(text__startswith="现场调查").exists()
    visit = case.visits.get()
    assert visit.satisfaction == Satisfaction.SATISFIED and not visit.reopened
    # The co-handling station finished before the agreement resolved the case.
    assert set(case.tasks.values_list("unit__name", "role", "state")) == {
        ("桃西街道人民调解委员会", "lead", "done"),
        ("花园社区综治服务站", "co", "done"),
    }
    mediator = User.objects.get(username="demo_mediator")
    assert visible_mediations(mediator).filter(pk=m.pk).exists()


def test_demo_mediator_sees_only_their_committee(demo):
    mediator = User.objects.get(username="demo_mediator")
    seen = visible_mediations(mediator)
    assert seen.exists()
    assert set(seen.values_list("committee__name", flat=True)) == {"桃西街道人民调解委员会"}
    assert Mediation.objects.exclude(committee__name="桃西街道人民调解委员会").exists()


def test_s2_joint_case_with_lead_and_four_co_units(demo):
    case = _story("s2")
    assert case.state == CaseState.IN_PROGRESS and case.channel.code == "police_110"
    assert case.risk_level == "high"
    tasks = list(case.tasks.filter(active=True).select_related("unit"))
    lead = [t for t in tasks if t.role == Task.Role.LEAD]
    co = [t for t in tasks if t.role == Task.Role.CO]
    assert [t.unit.name for t in lead] == ["桃西派出所"]
    assert {t.unit.name for t in co} == {
        "花园社区综治服务站",
        "松山社区综治服务站",
        "桃山区民政局",
        "桃山区慈善总会",
    }
    assert all(t.due is not None for t in tasks)
    assert case.parties.filter(is_vulnerable=True).count() == 1
    # Only the demo district's center, the police station and the two stations see it.
    assert (
        access_for(User.objects.get(username="demo_police"))
        .visible(Case.objects.all(), Perm.CASE_VIEW)
        .filter(pk=case.pk)
        .exists()
    )
    assert (
        not access_for(User.objects.get(username="gw001"))
        .visible(Case.objects.all(), Perm.CASE_VIEW)
        .filter(pk=case.pk)
        .exists()
    )


def test_cases_cover_states_streets_channels_and_six_months(demo):
    cases = list(Case.objects.select_related("street", "channel", "category"))
    assert 150 <= len(cases) <= 300
    states = Counter(c.state for c in cases)
    for state in ("registered", "accepted", "in_progress", "resolved", "closed", "diverted",
                  "cancelled", "reopened"):  # fmt: skip
        assert states[state] >= 1, state
    assert states["dispatched"] + states["acknowledged"] >= 1
    assert states["closed"] >= len(cases) // 3
    assert {c.street.name for c in cases} == {name for name, _kind in STREETS.values()}
    assert len({c.channel.code for c in cases}) >= 8
    assert len({c.kind for c in cases}) == 7
    assert {c.category.code for c in cases} >= set(data.CATEGORY_WEIGHTS)
    days = [c.created_at for c in cases]
    assert timedelta(days=150) <= max(days) - min(days) <= timedelta(days=190)
    assert max(CaseHistory.objects.values_list("at", flat=True)) <= timezone.now()
    closed = [c for c in cases if c.state == CaseState.CLOSED]
    assert all(c.created_at <= c.closed_at for c in closed)
    visited = FollowUpVisit.objects.filter(case__state=CaseState.CLOSED)
    assert visited.count() >= len(closed) // 2
    # Cases left open too long are overdue with supervision cards from the deadline sweep.
    overdue = [c for c in cases if c.is_overdue]
    assert len(overdue) >= 3
    assert SupervisionCard.objects.filter(resolved_at__isnull=True).count() >= len(overdue)
    # Every step the mediations took on their cases went through (none refused).
    assert not MediationEvent.objects.filter(action="case_not_updated").exists()
    assert Mediation.objects.filter(state=MediationState.IN_SESSION).exists()


def test_analytics_aggregates_hold_the_demo_cases(demo):
    registered = CaseFact.objects.filter(measure="registered")
    assert registered.count() == Case.objects.filter(merged_into__isnull=True).count()
    assert (
        CaseFact.objects.filter(measure="concluded").count()
        == Case.objects.filter(state__in=[CaseState.RESOLVED, CaseState.CLOSED]).count()
    )


def test_demo_grid_worker_sees_only_cases_of_their_grid(demo):
    gw = User.objects.get(username="gw001")
    own = set(gw.grid_worker.grids.values_list("pk", flat=True))
    seen = access_for(gw).visible(Case.objects.all(), Perm.CASE_VIEW)
    assert seen.exists() and _story("s1") in seen
    assert set(seen.values_list("grid_id", flat=True)) == own
    assert Case.objects.exclude(grid_id__in=own).count() > seen.count()


def test_demo_leading_group_letter_and_frozen_assessment(demo):
    from fengqiao.accountability.models import Letter, LetterState, Run, Score

    letter = Letter.objects.get(member_unit__unit__name="桃西派出所")
    assert letter.state == LetterState.SIGNED and letter.tasks.count() == 3
    assert letter.member_unit.liaisons.filter(username="demo_police").exists()
    assert Run.objects.filter(frozen_at__isnull=False).count() == 2
    assert Score.objects.filter(unit=letter.member_unit.unit, run__frozen_at__isnull=False).exists()


def test_demo_mediator_has_open_disputes(demo):
    """我的调解 is not empty: one mediation assigned to demo_mediator, one in the queue."""
    from fengqiao.accounts.access import access_for
    from fengqiao.web.workbench import my_disputes

    disputes = my_disputes(access_for(User.objects.get(username="demo_mediator")))
    assert disputes.assigned
    assert disputes.queue


def test_demo_emergency_event_with_1_office_9_groups_8_task_forces(demo):
    from fengqiao.emergency import monitor, situation
    from fengqiao.emergency.models import Drill, Event, EventState

    event = Event.objects.get(name="桃山区疫情防控")
    leader = User.objects.get(username="demo_leader")
    s = situation.build(leader, event)
    assert event.state == EventState.ACTIVE and s.structure_text == "1办9组8专班"
    assert event.campaign is not None and s.campaign_total is not None
    assert s.tasks_overdue == 1 and s.tasks_done == 1 and s.checkins_today >= 2
    assert s.incidents and all(i["lat"] is not None for i in s.incidents)
    assert Drill.objects.filter(plan=event.plan).get().follow_ups
    assert monitor.figures(leader)["active"] == 1


def test_demo_grid_worker_has_an_open_emergency_task(demo):
    from fengqiao.web.phone.sections import emergency_events
    from fengqiao.web.workbench import grid_emergency_tasks as emergency_tasks

    gw = User.objects.get(username="gw001")
    tasks = emergency_tasks(gw)
    assert tasks and {t.grid.code for t in tasks} == {"230903013001001"}
    assert [e.name for e in emergency_events(gw)] == ["桃山区疫情防控"]
