"""Preload the reference data administrators start from: both dispute taxonomies of
STANDARDS.md, the intake channels, and default deadline policies.

Deadline defaults (working days unless noted), from the local examples in STANDARDS.md:
- emergency priority: acknowledge 1, handle 4, verify 8 working HOURS ("same day");
- urgent priority: 1 / 3 / 1 working days;
- consultation 1 / 3 / 2; help request 1 / 5 / 2; incident and hazard 1 / 5 / 2;
- complaint and suggestion 1 / 15 / 3;
- dispute 1 / 22 / 3: the 2002 Ministry of Justice rule of one month, as the 22 working days
  an ordinary month holds;
- anything else 1 / 15 / 3.
"""

from django.db import migrations

JUSTICE = [
    ("marriage_family", "婚姻家庭"),
    ("neighbourhood", "邻里"),
    ("housing_homestead", "房屋宅基地"),
    ("contract", "合同"),
    ("business_operation", "生产经营"),
    ("damages", "损害赔偿"),
    ("forest_land", "山林土地"),
    ("land_expropriation", "征地拆迁"),
    ("environmental_pollution", "环境污染"),
    ("labour", "劳动争议"),
    ("medical", "医疗"),
    ("road_traffic", "道路交通事故"),
    ("property_management", "物业"),
    ("fire_safety", "消防"),
    ("justice_other", "其他"),
]

GOVERNANCE = [
    ("ethnic_religious", "民族宗教"),
    ("veteran_resettlement", "退役军人安置"),
    ("enterprise_restructuring", "企业改制"),
    ("labour_wages", "劳资"),
    ("cadre_conduct", "干部作风"),
    ("village_affairs", "村(社区)务管理"),
    ("rural_land_contract", "农村土地承包"),
    ("law_litigation", "涉法涉诉"),
    ("administrative_enforcement", "行政执法"),
    ("campus", "校园"),
    ("construction_disturbance", "施工扰民"),
    ("governance_other", "其他"),
]

# Categories of the other case kinds, so every kind can be reported from the start.
OTHER_KINDS = [
    ("public_security_incident", "治安事件", "incident"),
    ("help_request", "困难求助", "help_request"),
    ("safety_hazard", "安全隐患", "hazard"),
    ("complaint", "投诉", "complaint"),
    ("legal_consultation", "法律咨询", "consultation"),
    ("suggestion", "意见建议", "suggestion"),
]

CHANNELS = [
    ("resident_report", "群众上报", True),
    ("grid_patrol", "网格员巡查", False),
    ("hotline_12345", "12345热线", False),
    ("police_110", "110警情移交", False),
    ("petition", "信访", False),
    ("court", "法院委托", False),
    ("department", "部门移交", False),
    ("screening", "主动排查", False),
    ("walk_in", "来访", False),
    ("phone", "来电", False),
]

# (name, kind, priority, acknowledge, handle, verify, unit)
POLICIES = [
    ("紧急事件当日办结", "", "emergency", 1, 4, 8, "hours"),
    ("加急件", "", "urgent", 1, 3, 1, "days"),
    ("咨询类", "consultation", "", 1, 3, 2, "days"),
    ("求助类", "help_request", "", 1, 5, 2, "days"),
    ("事件类", "incident", "", 1, 5, 2, "days"),
    ("隐患类", "hazard", "", 1, 5, 2, "days"),
    ("投诉类", "complaint", "", 1, 15, 3, "days"),
    ("建议类", "suggestion", "", 1, 15, 3, "days"),
    ("矛盾纠纷(一个月)", "dispute", "", 1, 22, 3, "days"),
    ("默认", "", "", 1, 15, 3, "days"),
]


def _create(Category, code, name, family, kind, parent, sort):
    c = Category.objects.create(
        code=code, name=name, family=family, kind=kind, parent=parent, sort=sort, public=True
    )
    # Historical models have no custom save(): set the materialised path here.
    c.path = (parent.path if parent else "/") + f"{c.pk}/"
    c.save(update_fields=["path"])
    return c


def load(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Channel = apps.get_model("cases", "Channel")
    DeadlinePolicy = apps.get_model("cases", "DeadlinePolicy")
    justice = _create(
        Category, "dispute_justice", "矛盾纠纷(司法行政分类)", "justice", "dispute", None, 1
    )
    for i, (code, name) in enumerate(JUSTICE, start=1):
        _create(Category, code, name, "justice", "dispute", justice, i)
    governance = _create(
        Category, "dispute_governance", "矛盾纠纷(综治台账分类)", "governance", "dispute", None, 2
    )
    for i, (code, name) in enumerate(GOVERNANCE, start=1):
        _create(Category, code, name, "governance", "dispute", governance, i)
    for i, (code, name, kind) in enumerate(OTHER_KINDS, start=3):
        _create(Category, code, name, "governance", kind, None, i)
    for i, (code, name, public) in enumerate(CHANNELS, start=1):
        Channel.objects.create(code=code, name=name, public=public, sort=i)
    for name, kind, priority, ack, handle, verify, unit in POLICIES:
        DeadlinePolicy.objects.create(
            name=name,
            kind=kind,
            priority=priority,
            acknowledge_limit=ack,
            handle_limit=handle,
            verify_limit=verify,
            unit=unit,
        )


def unload(apps, schema_editor):
    apps.get_model("cases", "DeadlinePolicy").objects.all().delete()
    apps.get_model("cases", "Channel").objects.all().delete()
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
