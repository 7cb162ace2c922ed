"""The kinds of GB/T 31000 as starting data (administrators edit them afterwards)."""

from django.db import migrations

KEY_KINDS = [
    # code, name, group, interval days, risk levels, interval by level, sector code
    ("released_prisoner", "刑满释放人员(安置帮教)", "key_population", 30, False, {}, "justice"),
    ("community_correction", "社区矫正对象", "key_population", 30, False, {}, "justice"),
    (
        "serious_mental_disorder",
        "严重精神障碍患者",
        "key_population",
        90,
        True,
        {"0": 90, "1": 90, "2": 30, "3": 14, "4": 7, "5": 7},
        "health",
    ),
    ("drug_user", "吸毒人员", "key_population", 30, False, {}, "police"),
    ("hiv_risk", "艾滋病危险人群", "key_population", 90, False, {}, "health"),
    ("idle_youth", "闲散青少年", "at_risk_youth", 90, False, {}, "civil_affairs"),
    ("street_minor", "流浪乞讨未成年人", "at_risk_youth", 30, False, {}, "civil_affairs"),
    ("left_behind_child", "农村留守儿童", "at_risk_youth", 90, False, {}, "civil_affairs"),
    ("prisoners_child", "服刑人员未成年子女", "at_risk_youth", 90, False, {}, "civil_affairs"),
    ("bad_behaviour_youth", "有不良行为青少年", "at_risk_youth", 30, False, {}, "police"),
]
PLACE_KINDS = [
    ("shop", "商铺", "place"),
    ("entertainment", "娱乐场所", "place"),
    ("hotel", "旅馆", "place"),
    ("school", "学校", "campus"),
    ("kindergarten", "幼儿园", "campus"),
    ("school_surroundings", "校园周边场所", "campus"),
    ("railway_site", "铁路沿线场所", "road_line"),
    ("road_site", "公路沿线场所", "road_line"),
    ("power_line", "电力线路设施", "road_line"),
    ("pipeline", "油气管线设施", "road_line"),
]
RETENTION = ["resident", "house", "place", "organisation", "extra"]


def seed(apps, schema_editor):
    KeyPersonKind = apps.get_model("registry", "KeyPersonKind")
    PlaceKind = apps.get_model("registry", "PlaceKind")
    RetentionRule = apps.get_model("registry", "RetentionRule")
    Sector = apps.get_model("org", "Sector")
    sectors = {s.code: s for s in Sector.objects.all()}
    for order, (code, name, group, days, levels, by_level, sector) in enumerate(KEY_KINDS):
        KeyPersonKind.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "visit_interval_days": days,
                "has_risk_levels": levels,
                "interval_by_level": by_level,
                "helping_sector": sectors.get(sector),
                "order": order,
            },
        )
    for code, name, area in PLACE_KINDS:
        PlaceKind.objects.get_or_create(code=code, defaults={"name": name, "area": area})
    for subject in RETENTION:
        RetentionRule.objects.get_or_create(subject=subject, defaults={"days": 3 * 365})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_basic_data_and_key_persons"), ("org", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
