"""Demo rows of responsibility and assessment: this year's leading group of 桃山区 (the demo
leader heads it, the district centre's demo account is its office), its member units with the
demo police liaison, 桃西派出所's signed letter with a reviewed report and an overdue task, and
the member-unit and street assessment schemes with a frozen first result. Idempotent: nothing
is added when the year's group exists."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from fengqiao.accountability import actions
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
from fengqiao.accounts.models import User
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Region


def load_accountability(district: Region, created: Counter) -> None:
    today = timezone.localdate()
    year = today.year
    if LeadingGroup.objects.filter(region=district, year=year).exists():
        return
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["demo_leader", "demo_district", "demo_police"])
    }
    if len(users) < 3:
        return
    group = LeadingGroup.objects.create(region=district, year=year, name="桃山区平安建设领导小组")
    leader, office, police_liaison = (
        users["demo_leader"],
        users["demo_district"],
        users["demo_police"],
    )
    GroupMember.objects.create(group=group, user=leader, post=Post.HEAD, title="区委书记", sort=1)
    GroupMember.objects.create(
        group=group, user=office, post=Post.OFFICE, title="区委政法委（平安办）", sort=3
    )
    # The district's bureaus, and 桃西派出所 (the demo liaison's unit) signing its own letter.
    bureaus = Unit.objects.filter(kind=UnitKind.MEMBER_UNIT, active=True, region=district)
    taoxi_police = Unit.objects.filter(
        kind=UnitKind.MEMBER_UNIT, name="桃西派出所", region__parent=district
    ).first()
    chosen = [*bureaus.order_by("id")[:8], *([taoxi_police] if taoxi_police else [])]
    member_units = [
        MemberUnit.objects.create(group=group, unit=unit, sort=i)
        for i, unit in enumerate(chosen, start=1)
    ]
    police = next((m for m in member_units if m.unit.name == "桃西派出所"), None)
    if police is None:
        return
    police.liaisons.add(police_liaison)
    created["member unit"] += len(member_units)

    letter = actions.create_letter(office, police, number=f"桃平安〔{year}〕1号")
    t1 = actions.add_task(office, letter, title="打击治理电信网络诈骗", measures="深入开展“断卡”行动，全年破案不少于50起",
                          target_kind="number", target_number="50", target_unit="起",
                          deadline=date(year, 11, 30), weight="30")  # fmt: skip
    actions.add_task(office, letter, title="警调对接工作室建设", measures="在派出所设立人民调解工作室，实行警调对接",
                     target_kind="yes_no", deadline=today - timedelta(days=5), weight="20")  # fmt: skip
    actions.add_task(office, letter, title="矛盾纠纷排查化解", measures="每月开展一次矛盾纠纷集中排查",
                     target_kind="yes_no", deadline=date(year, 12, 31), weight="20")  # fmt: skip
    actions.sign(leader, letter, side="group", signatory=leader.get_full_name() or "组长")
    actions.sign(police_liaison, letter, side="unit", signatory="所长")
    report = actions.report_progress(
        police_liaison, t1, text="上半年破案28起，抓获嫌疑人35名", achieved_number="28"
    )
    actions.review(office, report, accept=True, note="进展符合序时进度")
    for other in member_units:
        if other != police:
            actions.create_letter(office, other, number=f"桃平安〔{year}〕{other.sort + 1}号")
    created["responsibility letter"] += len(member_units)

    start, end = date(year, 1, 1), date(year, 12, 31)
    for kind, name in (
        (SubjectKind.UNIT, f"{year}年度成员单位平安建设考核"),
        (SubjectKind.STREET, f"{year}年度街道（乡镇）平安建设考核"),
    ):
        scheme = Scheme.objects.create(
            group=group, name=name, subject_kind=kind, period_start=start, period_end=end
        )
        C = IndicatorKind.COMPUTED
        if kind == SubjectKind.UNIT:
            SchemeIndicator.objects.create(scheme=scheme, code="letter", name="责任书任务完成率", kind=C,
                                           provider="letter_task_completion", weight=Decimal(40),
                                           full_at=Decimal(100), zero_at=Decimal(0), sort=1)  # fmt: skip
        SchemeIndicator.objects.create(scheme=scheme, code="mediation", name="调解成功率", kind=C,
                                       provider="mediation_success_rate", weight=Decimal(20),
                                       full_at=Decimal(95), zero_at=Decimal(60), sort=2)  # fmt: skip
        SchemeIndicator.objects.create(scheme=scheme, code="overdue", name="案件超期率", kind=C,
                                       provider="case_overdue_rate", weight=Decimal(20),
                                       full_at=Decimal(0), zero_at=Decimal(20), sort=3)  # fmt: skip
        SchemeIndicator.objects.create(scheme=scheme, code="review", name="工作实绩评议",
                                       kind=IndicatorKind.REVIEWED, weight=Decimal(20), sort=4,
                                       criteria="由平安办组织评议")  # fmt: skip
        AdjustmentRule.objects.create(scheme=scheme, name="工作经验被上级推广", kind=RuleKind.BONUS,
                                      points=Decimal(2), cap=Decimal(4))  # fmt: skip
        AdjustmentRule.objects.create(scheme=scheme, name="发生重大案事件", kind=RuleKind.DEDUCTION,
                                      points=Decimal(5))  # fmt: skip
        AdjustmentRule.objects.create(
            scheme=scheme, name="发生重特大安全事故或群体性事件", kind=RuleKind.VETO
        )
        if kind == SubjectKind.UNIT:
            review = scheme.indicators.get(code="review")
            actions.score_indicator(
                office, review, score="18", unit=police.unit_id, note="工作扎实"
            )
        run = actions.compute(office, scheme, note="半年评估")
        actions.freeze(office, run)
        created["assessment scheme"] += 1
