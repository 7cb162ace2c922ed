"""Demo rows of risk and campaigns: risk factors, warning rules (one enabled), two assessments
(one raising a warning), a door-to-door screening campaign with a few records, and the special
operations with the article's figures (断卡: 50 cases, 70 suspects; 扫黑除恶: 4 cases, 51
suspects), validated. Idempotent: nothing is added when the 断卡 operation exists."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.campaigns import operations as ops
from fengqiao.campaigns import screening
from fengqiao.campaigns.models import Indicator, Operation
from fengqiao.cases.models import Case
from fengqiao.org.models import Unit
from fengqiao.risk import actions as risk
from fengqiao.risk.models import Level, RiskFactor, RuleKind, WarningRule
from fengqiao.territory.models import Grid, Region

FACTORS = [
    ("conflict_escalating", "矛盾有激化苗头", 3),
    ("group", "涉及人数多", 2),
    ("vulnerable", "涉及困难群体或特殊人群", 3),
    ("extreme_words", "有过激言行", 4),
    ("repeat", "多次反映未解决", 2),
]
RULES = [
    (
        "扬言极端行为",
        RuleKind.KEYWORDS,
        {"keywords": ["跳楼", "自杀", "同归于尽", "砍人", "拼命"]},
        Level.MAJOR,
        True,
    ),
    ("群体性纠纷", RuleKind.GROUP_DISPUTE, {"people": 10}, Level.HIGH, True),
    ("重复反映", RuleKind.REPEAT_REPORTER, {"days": 30, "count": 3}, Level.MEDIUM, True),
    ("同一地址多次报事", RuleKind.REPEAT_ADDRESS, {"days": 30, "count": 3}, Level.MEDIUM, False),
    (
        "网格案件激增",
        RuleKind.SURGE,
        {"dimension": "grid", "k": 3, "weeks": 8, "min_count": 5},
        Level.HIGH,
        False,
    ),
    (
        "敏感事件临期",
        RuleKind.DEADLINE,
        {"hours": 24, "risk_levels": ["high", "critical"]},
        Level.HIGH,
        True,
    ),
]


def load_risk(district: Region, created: Counter) -> None:
    if Operation.objects.filter(name="断卡行动").exists():
        return
    center = User.objects.get(username="demo_district")
    police_user = User.objects.get(username="demo_police")
    police = police_user.unit
    for code, name, weight in FACTORS:
        RiskFactor.objects.get_or_create(code=code, defaults={"name": name, "weight": weight})
    for name, kind, params, level, enabled in RULES:
        WarningRule.objects.create(
            name=name, kind=kind, params=params, level=level, region=district, enabled=enabled
        )
    created["warning rule"] += len(RULES)
    review = (timezone.localdate() + timedelta(days=30)).isoformat()
    case = Case.objects.filter(channel__code="police_110").order_by("-created_at").first()
    if case is not None and police is not None:
        risk.create_assessment(
            center,
            {
                "target_kind": "case",
                "case": case.pk,
                "title": f"{case.title}（警调对接）",
                "factors": [
                    {"code": "vulnerable", "score": 4},
                    {"code": "conflict_escalating", "score": 3},
                ],
                "level": "high",
                "measures": "派出所牵头，社区、民政、慈善协同帮扶，每周回访。",
                "responsible_unit": police.pk,
                "review_date": review,
            },
        )
        created["risk assessment"] += 1
    assert center.unit is not None
    risk.create_assessment(
        center,
        {
            "target_kind": "project",
            "project_name": "松林小区棚户区改造二期",
            "title": "棚改二期重大决策社会稳定风险评估",
            "region": district.code,
            "factors": [{"code": "group", "score": 3}],
            "level": "medium",
            "measures": "公示征求意见，设立群众接待点，施工时间避开夜间。",
            "responsible_unit": center.unit.pk,
            "review_date": review,
        },
    )
    created["risk assessment"] += 1
    _campaign(district, center, created)
    if police is not None:
        _operations(district, center, police_user, police, created)


def _campaign(district: Region, center: User, created: Counter) -> None:
    today = timezone.localdate()
    c = screening.create_campaign(
        center,
        {
            "name": "疫情防控入户排查",
            "kind": "epidemic",
            "region": district.code,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=14)).isoformat(),
            "form_fields": [
                {"name": "members", "label": "在家人数", "type": "int", "required": True},
                {"name": "fever", "label": "有无发热", "type": "bool", "required": True},
                {
                    "name": "travel",
                    "label": "14天内外地返回",
                    "type": "choice",
                    "choices": ["无", "省内", "省外"],
                },
            ],
        },
    )
    grids = list(
        Grid.objects.filter(community__path__startswith=district.path).order_by("code")[:6]
    )
    screening.assign_grids(center, c, {g.code: 40 for g in grids})
    screening.move_campaign(center, c, "activate")
    created["screening campaign"] += 1
    for g in grids[:2]:
        worker = User.objects.filter(grid_worker__grids=g).first()
        if worker is None:
            continue
        for n in range(1, 6):
            answers = {"members": 3, "fever": n == 5, "travel": "无"}
            finding = "一人发热，已通知社区卫生服务站" if n == 5 else ""
            screening.record_screening(
                worker,
                c,
                {
                    "grid": g.code,
                    "address": f"{g.name}{n}号楼101",
                    "answers": answers,
                    "finding": finding,
                },
            )
            created["screening record"] += 1
        # A household of the registry screened by pointing at it; the grid's others stay in
        # the roll-up's "not screened yet".
        from fengqiao.registry.models import Household

        first = Household.objects.filter(grid=g).order_by("number", "id").first()
        if first is not None:
            screening.record_screening(
                worker, c, {"grid": g.code, "address": "", "household": first.pk}
            )
            created["screening record"] += 1


def _operations(
    district: Region, center: User, liaison: User, police: Unit, created: Counter
) -> None:
    start = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    figures = {
        "断卡行动": (50, 70),
        "扫黑除恶专项斗争": (4, 51),
        "云剑行动": (6, 9),
        "打击两抢一盗": (12, 15),
        "打非治违": (8, 10),
    }
    for name, (cases, suspects) in figures.items():
        op = Operation.objects.create(
            name=name,
            region=district,
            starts_on=start,
            ends_on=start + timedelta(days=365),
            period="month",
            due_days=5,
        )
        op.units.set([police])
        Indicator.objects.create(operation=op, code="cases", name="破案数", sort=1)
        Indicator.objects.create(operation=op, code="suspects", name="抓获犯罪嫌疑人", sort=2)
        r = ops.submit_report(liaison, op, police.pk, start, {"cases": cases, "suspects": suspects})
        ops.decide_report(center, r, "validate")
        created["special operation"] += 1
