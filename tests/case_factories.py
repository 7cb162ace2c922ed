"""Helpers for case tests, on top of tests/factories.py (the world and its personas).

Adds the units and people of stories S1 and S2: the 花园社区 station clerk, a district center
clerk, civil affairs and a charity with their liaisons, and a routing rule for 施工扰民.
"""

from dataclasses import dataclass
from typing import Any

from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Role
from fengqiao.cases import actions
from fengqiao.cases.models import Category, HandlingLevel, RoutingRule
from fengqiao.org.models import Sector, Unit, UnitKind
from tests.factories import World, assign, make_user

# Points inside grids of the small world (each community is a 0.01° square of two grids).
HUAYUAN_POINT = (131.002, 45.775)  # 花园社区 grid 001
HUAYUAN_POINT_2 = (131.007, 45.775)  # 花园社区 grid 002
SONGSHAN_POINT = (131.012, 45.775)  # 松山社区 grid 001
HEPAN_POINT = (131.002, 45.785)  # 河畔社区 (桃南街道)
OUTSIDE_POINT = (130.5, 45.0)  # no grid anywhere near

VALID_ID = "360426199101010071"
VALID_ID_2 = "11010519491231002X"


@dataclass
class CaseWorld:
    huayuan_clerk: User  # 花园社区 station staff
    district_clerk: User  # 桃山区 center staff
    civil_affairs: Unit
    charity: Unit
    civil_liaison: User
    charity_liaison: User
    noise_rule: RoutingRule


def make_case_world(world: World) -> CaseWorld:
    clerk = make_user("clerk_huayuan", "站员甲", unit=world.huayuan_station)
    assign(clerk, Role.STATION_STAFF, region=world.huayuan)
    center = make_user("clerk_district", "中心甲", unit=world.district_center)
    assign(center, Role.CENTER_STAFF, region=world.district)
    civil = Unit.objects.create(
        name="桃山区民政局",
        kind=UnitKind.MEMBER_UNIT,
        sector=Sector.objects.create(code="civil_affairs", name="民政"),
        region=world.district,
    )
    charity = Unit.objects.create(
        name="桃山区慈善总会",
        kind=UnitKind.MEMBER_UNIT,
        sector=Sector.objects.create(code="charity", name="慈善"),
        region=world.district,
    )
    civil_liaison = make_user("liaison_civil", "联络员民政", unit=civil)
    assign(civil_liaison, Role.UNIT_LIAISON, unit=civil)
    charity_liaison = make_user("liaison_charity", "联络员慈善", unit=charity)
    assign(charity_liaison, Role.UNIT_LIAISON, unit=charity)
    rule = RoutingRule.objects.create(
        order=10,
        name="施工扰民由社区处理",
        category=Category.objects.get(code="construction_disturbance"),
        target_level=HandlingLevel.COMMUNITY,
    )
    return CaseWorld(clerk, center, civil, charity, civil_liaison, charity_liaison, rule)


def case_data(point: tuple[float, float] | None = HUAYUAN_POINT, **overrides: Any) -> dict:
    """Intake data for a construction-noise complaint (S1), changed by `overrides`."""
    data: dict[str, Any] = {
        "kind": "dispute",
        "category": "construction_disturbance",
        "title": "松林小区旁棚改工地24小时施工噪音扰民",
        "description": "工地昼夜施工，噪音严重影响休息，道路被重型车辆压坏。",
        "address": "桃西街道花园社区松林小区",
        "reporter_name": "王女士",
        "reporter_phone": "13904641234",
        "people_involved": 30,
    }
    if point is not None:
        data["lon"], data["lat"] = point
    data.update(overrides)
    return data


def report(actor=None, channel: str = "resident_report", **overrides: Any) -> actions.IntakeResult:
    return actions.intake(actor, case_data(**overrides), channel)


def use_immediate_tasks(settings) -> None:
    """Run django-tasks at once, mail into mail.outbox (pass pytest-django's `settings`)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
