"""A leading group for the tests: 桃山区 2026, head = the leader persona, an office member, two
member units (桃西派出所 with the liaison persona, 区司法局 with its own liaison)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fengqiao.accountability.models import (
    AdjustmentRule,
    GroupMember,
    IndicatorKind,
    LeadingGroup,
    MemberUnit,
    Post,
    RuleKind,
    Scheme,
    SchemeIndicator,
    SubjectKind,
)
from fengqiao.accounts.roles import Role
from fengqiao.org.models import Unit, UnitKind
from tests.factories import assign, make_user


@dataclass
class Group:
    group: LeadingGroup
    office: object
    police: MemberUnit
    justice: MemberUnit
    justice_liaison: object


def make_group(world, personas) -> Group:
    group = LeadingGroup.objects.create(
        region=world.district, year=2026, name="桃山区平安建设领导小组"
    )
    office = make_user("office_pab", "平安办甲", unit=world.district_center)
    assign(office, Role.CENTER_STAFF, region=world.district)
    GroupMember.objects.create(group=group, user=personas.leader, post=Post.HEAD, title="区委书记")
    GroupMember.objects.create(group=group, user=office, post=Post.OFFICE, title="平安办主任")
    police = MemberUnit.objects.create(group=group, unit=world.police_taoxi, sort=1)
    police.liaisons.add(personas.liaison)
    justice_unit = Unit.objects.create(
        name="桃山区司法局", kind=UnitKind.MEMBER_UNIT, region=world.district
    )
    justice = MemberUnit.objects.create(group=group, unit=justice_unit, sort=2)
    jl = make_user("liaison_justice", "联络员辛", unit=justice_unit)
    assign(jl, Role.UNIT_LIAISON, unit=justice_unit)
    justice.liaisons.add(jl)
    return Group(group, office, police, justice, jl)


def unit_scheme(group: LeadingGroup) -> Scheme:
    s = Scheme.objects.create(group=group, name="2026年度成员单位平安建设考核", subject_kind=SubjectKind.UNIT,
                              period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))  # fmt: skip
    C, R = IndicatorKind.COMPUTED, IndicatorKind.REVIEWED
    SchemeIndicator.objects.create(scheme=s, code="letter", name="责任书任务完成", kind=C,
                                   provider="letter_task_completion", weight=Decimal(40),
                                   full_at=Decimal(100), zero_at=Decimal(0), sort=1)  # fmt: skip
    SchemeIndicator.objects.create(scheme=s, code="mediation", name="调解成功率", kind=C,
                                   provider="mediation_success_rate", weight=Decimal(20),
                                   full_at=Decimal(95), zero_at=Decimal(60), sort=2)  # fmt: skip
    SchemeIndicator.objects.create(scheme=s, code="overdue", name="案件超期率", kind=C,
                                   provider="case_overdue_rate", weight=Decimal(20),
                                   full_at=Decimal(0), zero_at=Decimal(20), sort=3)  # fmt: skip
    SchemeIndicator.objects.create(scheme=s, code="review", name="工作实绩评议", kind=R,
                                   weight=Decimal(20), sort=4)  # fmt: skip
    AdjustmentRule.objects.create(scheme=s, name="工作创新受上级表彰", kind=RuleKind.BONUS,
                                  points=Decimal(2), cap=Decimal(4))  # fmt: skip
    AdjustmentRule.objects.create(scheme=s, name="发生重大案事件", kind=RuleKind.DEDUCTION,
                                  points=Decimal(5))  # fmt: skip
    AdjustmentRule.objects.create(scheme=s, name="发生重特大安全事故", kind=RuleKind.VETO)
    return s
