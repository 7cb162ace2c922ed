"""A small world for tests: one district, two streets, four communities, eight grids, and personas.

Layout (longitude/latitude, WGS 84), each community a 0.01° square split into two grids:

    桃西街道 (230903013): 花园社区 (…013001) grids …001 …002;  松山社区 (…013002)
    桃南街道 (230903012): 河畔社区 (…012001);  新建村 (…012201)
"""

from dataclasses import dataclass

from shapely.geometry import box

from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Role
from fengqiao.org.models import EmploymentType, GridWorker, Sector, Unit, UnitKind
from fengqiao.territory.locate import grids_changed
from fengqiao.territory.models import Grid, Region

PASSWORD = "fengqiao-test-pass-2026"


@dataclass
class World:
    province: Region
    city: Region
    district: Region
    taoxi: Region
    taonan: Region
    huayuan: Region
    songshan: Region
    hepan: Region
    xinjian: Region
    grids: dict[str, Grid]
    district_center: Unit
    taoxi_center: Unit
    huayuan_station: Unit
    songshan_station: Unit
    police_taoxi: Unit


def region(code: str, name: str, level: int, kind: str, parent: Region | None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, kind=kind, parent=parent)


def grid_pair(community: Region, x0: float, y0: float) -> list[Grid]:
    grids = []
    for i, (a, b) in enumerate([(x0, x0 + 0.005), (x0 + 0.005, x0 + 0.01)], start=1):
        g = Grid(
            code=f"{community.code}{i:03d}", name=f"{community.name}第{i}网格", community=community
        )
        g.set_boundary(box(a, y0, b, y0 + 0.01))
        g.save()
        grids.append(g)
    return grids


def make_world() -> World:
    L, K = Region.Level, Region.Kind
    province = region("230000000000", "黑龙江省", L.PROVINCE, K.PROVINCE, None)
    city = region("230900000000", "七台河市", L.CITY, K.CITY, province)
    district = region("230903000000", "桃山区", L.DISTRICT, K.DISTRICT, city)
    taoxi = region("230903013000", "桃西街道", L.STREET, K.SUBDISTRICT, district)
    taonan = region("230903012000", "桃南街道", L.STREET, K.SUBDISTRICT, district)
    huayuan = region("230903013001", "花园社区", L.COMMUNITY, K.COMMUNITY, taoxi)
    songshan = region("230903013002", "松山社区", L.COMMUNITY, K.COMMUNITY, taoxi)
    hepan = region("230903012001", "河畔社区", L.COMMUNITY, K.COMMUNITY, taonan)
    xinjian = region("230903012201", "新建村", L.COMMUNITY, K.VILLAGE, taonan)
    grids: dict[str, Grid] = {}
    for community, x0, y0 in [
        (huayuan, 131.00, 45.77),
        (songshan, 131.01, 45.77),
        (hepan, 131.00, 45.78),
        (xinjian, 131.01, 45.78),
    ]:
        for g in grid_pair(community, x0, y0):
            grids[g.code] = g
    grids_changed()
    police = Sector.objects.create(code="police", name="公安")
    district_center = Unit.objects.create(
        name="桃山区综治中心", kind=UnitKind.GOVERNANCE_CENTER, region=district
    )
    taoxi_center = Unit.objects.create(
        name="桃西街道综治中心",
        kind=UnitKind.GOVERNANCE_CENTER,
        region=taoxi,
        parent=district_center,
    )
    huayuan_station = Unit.objects.create(
        name="花园社区综治服务站",
        kind=UnitKind.SERVICE_STATION,
        region=huayuan,
        parent=taoxi_center,
    )
    songshan_station = Unit.objects.create(
        name="松山社区综治服务站",
        kind=UnitKind.SERVICE_STATION,
        region=songshan,
        parent=taoxi_center,
    )
    police_taoxi = Unit.objects.create(
        name="桃西派出所", kind=UnitKind.MEMBER_UNIT, sector=police, region=taoxi
    )
    return World(
        province, city, district, taoxi, taonan, huayuan, songshan, hepan, xinjian, grids,
        district_center, taoxi_center, huayuan_station, songshan_station, police_taoxi,
    )  # fmt: skip


def make_user(username: str, name: str = "", **extra) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, name=name, **extra)


def assign(user: User, role: str, *, region=None, unit=None, grids=()) -> RoleAssignment:
    if region is not None:
        a = RoleAssignment.objects.create(
            user=user, role=role, scope_type=ScopeType.REGION, region=region
        )
    elif unit is not None:
        a = RoleAssignment.objects.create(
            user=user, role=role, scope_type=ScopeType.UNIT, unit=unit
        )
    else:
        a = RoleAssignment.objects.create(user=user, role=role, scope_type=ScopeType.GRIDS)
        a.grids.set(grids)
    user.__dict__.pop("_fengqiao_access", None)
    return a


@dataclass
class Personas:
    grid_worker: User  # 花园社区 grid 001 only
    station_clerk: User  # 松山社区 station: another community
    street_clerk: User  # 桃西街道 center
    leader: User  # district leader
    liaison: User  # 桃西派出所 liaison
    admin: User  # district administrator
    outsider: User  # an account with no role
    security: User | None = None  # district security officer (accounts and roles)
    auditor: User | None = None  # district auditor (reads the logs)


def make_personas(world: World) -> Personas:
    gw = make_user("gw_huayuan", "网格员甲")
    grid = world.grids["230903013001001"]
    assign(gw, Role.GRID_WORKER, grids=[grid])
    record = GridWorker.objects.create(user=gw, employment_type=EmploymentType.FULL_TIME)
    record.grids.set([grid])
    station = make_user("clerk_songshan", "站员乙", unit=world.songshan_station)
    assign(station, Role.STATION_STAFF, region=world.songshan)
    street = make_user("clerk_taoxi", "中心丙", unit=world.taoxi_center)
    assign(street, Role.CENTER_STAFF, region=world.taoxi)
    leader = make_user("leader", "领导丁")
    assign(leader, Role.LEADER, region=world.district)
    liaison = make_user("liaison_police", "联络员戊", unit=world.police_taoxi)
    assign(liaison, Role.UNIT_LIAISON, unit=world.police_taoxi)
    admin = make_user("admin_district", "管理员己")
    assign(admin, Role.ADMIN, region=world.district)
    outsider = make_user("outsider", "路人庚")
    security = make_user("security_district", "安全员辛")
    assign(security, Role.SECURITY_OFFICER, region=world.district)
    auditor = make_user("auditor_district", "审计员壬")
    assign(auditor, Role.AUDITOR, region=world.district)
    return Personas(gw, station, street, leader, liaison, admin, outsider, security, auditor)
