"""A small emergency set-up for the tests: an epidemic-prevention event over 桃山区 with a
command, an office, two working groups and a task force; its plan with response levels."""

from dataclasses import dataclass

from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Role
from fengqiao.emergency import actions
from fengqiao.emergency.models import Event, Plan
from tests.factories import assign, make_user


@dataclass
class Setup:
    commander: User  # the district leader
    office: User  # centre staff of the district, in the office
    member: User  # a member of the medical group (no role of its own over the district)
    plan: Plan
    event: Event
    groups: dict


def make_setup(world, personas) -> Setup:
    office = make_user("em_office", "应急办庚", unit=world.district_center)
    assign(office, Role.CENTER_STAFF, region=world.district)
    member = make_user("em_medic", "医疗组辛")
    assign(member, Role.STATION_STAFF, region=world.hepan)
    leader = personas.leader
    plan = actions.create_plan(
        leader, region=world.district.pk, title="桃山区突发公共卫生事件应急预案", version="2026版",
        levels=[{"level": "II", "name": "二级响应", "measures": "启动1办9组8专班"},
                {"level": "IV", "name": "四级响应", "measures": "加强监测"}],
        text="第一章 总则……",
    )  # fmt: skip
    event = actions.create_event(
        leader, name="桃山区疫情防控", kind="疫情防控", level="II", region=world.district.pk,
        plan=plan.pk, description="入户排查、核酸检测、隔离管控",
    )  # fmt: skip
    groups = {
        "command": actions.add_body(leader, event, kind="command", name="指挥部",
                                    duties="统一指挥", leader=leader.pk),
        "office": actions.add_body(leader, event, kind="office", name="办公室",
                                   duties="综合协调、信息报送", leader=office.pk,
                                   contacts="0464-1234567"),
        "medical": actions.add_body(leader, event, kind="group", name="医疗救治组",
                                    duties="核酸检测、救治", members=[member.pk]),
        "screening": actions.add_body(leader, event, kind="group", name="排查管控组",
                                      duties="入户排查", members=[office.pk]),
        "taoxi": actions.add_body(leader, event, kind="task_force", name="桃西街道专班",
                                  duties="桃西街道排查", leader=personas.street_clerk.pk),
    }  # fmt: skip
    return Setup(leader, office, member, plan, event, groups)
