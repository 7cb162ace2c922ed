"""Default mediator specialties, matched to case categories; administrators edit them."""

from django.db import migrations

SPECIALTIES = [
    ("family", "婚姻家庭", ["marriage_family"]),
    ("neighbours", "邻里", ["neighbourhood", "housing_homestead"]),
    ("labour", "劳动", ["labour", "labour_wages"]),
    ("property", "物业", ["property_management"]),
    ("construction", "施工", ["construction_disturbance", "land_expropriation"]),
    ("contract", "合同", ["contract", "business_operation"]),
    ("damages", "损害赔偿", ["damages", "road_traffic", "medical"]),
    ("land", "土地山林", ["forest_land", "rural_land_contract"]),
    ("environment", "环境", ["environmental_pollution"]),
]


def load(apps, schema_editor):
    Specialty = apps.get_model("mediation", "Specialty")
    for i, (code, name, categories) in enumerate(SPECIALTIES):
        Specialty.objects.update_or_create(
            code=code, defaults={"name": name, "category_codes": categories, "sort": i * 10}
        )


def unload(apps, schema_editor):
    apps.get_model("mediation", "Specialty").objects.filter(
        code__in=[c for c, _n, _c in SPECIALTIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
