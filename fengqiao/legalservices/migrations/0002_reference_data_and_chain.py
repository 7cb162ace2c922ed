"""The consultation topics and legal-aid case types every county starts with (data: edited in
the admin site), the case channel a referral to mediation registers through, and the questions'
history made append-only on PostgreSQL (a hash chain, fengqiao.core.chain)."""

from django.db import migrations

from fengqiao.core import chain

TOPICS = [
    ("marriage", "婚姻家庭"), ("labour", "劳动争议"), ("land", "土地承包"),
    ("neighbour", "邻里纠纷"), ("debt", "借贷债务"), ("property", "房产物业"),
    ("traffic", "交通事故"), ("inheritance", "继承赡养"), ("consumer", "消费维权"),
    ("other", "其他"),
]  # fmt: skip
# 法律援助法 第三十一条 (matters) and 第三十二条 (no economic test).
AID_TYPES = [
    ("state_compensation", "依法请求国家赔偿", False),
    ("social_insurance", "请求给予社会保险待遇或者社会救助", False),
    ("pension", "请求发给抚恤金", False),
    ("maintenance", "请求给付赡养费、抚养费、扶养费", False),
    ("labour_pay", "请求确认劳动关系或者支付劳动报酬", False),
    ("family_violence", "请求认定公民无民事行为能力或者限制民事行为能力", False),
    ("medical_injury", "请求工伤事故、交通事故、食品药品安全事故、医疗事故人身损害赔偿", False),
    ("environment", "请求环境污染、生态破坏损害赔偿", False),
    ("heroes", "英雄烈士近亲属为维护英雄烈士的人格权益", True),
    ("good_samaritan", "因见义勇为行为主张相关民事权益", True),
    ("abuse", "遭受虐待、遗弃或者家庭暴力的受害人主张相关权益", True),
]


def load(apps, schema_editor):
    Topic = apps.get_model("legalservices", "Topic")
    AidCaseType = apps.get_model("legalservices", "AidCaseType")
    Channel = apps.get_model("cases", "Channel")
    for i, (code, name) in enumerate(TOPICS):
        Topic.objects.get_or_create(code=code, defaults={"name": name, "sort": i})
    for i, (code, name, free) in enumerate(AID_TYPES):
        AidCaseType.objects.get_or_create(
            code=code, defaults={"name": name, "no_means_test": free, "sort": i}
        )
    Channel.objects.get_or_create(
        code="legal_service", defaults={"name": "公共法律服务转介", "public": True, "sort": 90}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("legalservices", "0001_network_questions_referrals"),
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        chain.migration_ops("legalservices.questionevent", "legalservices_questionevent")[1],
    ]
