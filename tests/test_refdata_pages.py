"""The administrator's category and routing-rule pages (/reference/): administrators list, add,
edit and deactivate, each change audited and seen at once by the intake's snapshots; everyone
else gets 404; bad input answers 400 with the field's reason in Chinese and saves nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.cases import reference
from fengqiao.cases.models import Category, RoutingRule
from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Region


def _category_form(**over):
    data = {"code": "pet_dispute", "name": "宠物纠纷", "family": "justice", "kind": "dispute",
            "public": "on", "civil_dispute": "on", "other_route": "", "active": "on", "sort": "30"}  # fmt: skip
    data["parent"] = str(Category.objects.get(code="dispute_justice").pk)
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _rule_form(world, **over):
    data = {"order": "5", "name": "桃西街道治安", "active": "on", "category": "", "region": str(world.taoxi.pk),
            "channel": "", "min_risk": "high", "target_level": "street", "target_unit": str(world.taoxi_center.pk)}  # fmt: skip
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _audits(model_label: str) -> int:
    return AuditEntry.objects.filter(object_type=model_label).count()


def test_the_administrator_lists_the_category_tree(personas, client_for):
    page = client_for(personas.admin).get(reverse("refdata:categories"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "事件类别" in body and "婚姻家庭" in body and "矛盾纠纷(司法行政分类)" in body
    # nested: the child is listed inside its parent's list item
    parent = body.index("矛盾纠纷(司法行政分类)")
    assert parent < body.index("婚姻家庭") and "<ul>" in body[parent : body.index("婚姻家庭")]
    assert "类别与分拨" in body  # navigation entry of the administrator


def test_create_edit_deactivate_category(personas, client_for):
    client = client_for(personas.admin)
    assert reference.category("pet_dispute") is None
    before = _audits("cases.category")
    response = client.post(reverse("refdata:category_new"), _category_form())
    assert response.status_code == 302
    pet = Category.objects.get(code="pet_dispute")
    assert pet.parent.code == "dispute_justice" and pet.path.endswith(f"/{pet.pk}/")
    assert reference.category("pet_dispute").name == "宠物纠纷"  # the snapshot was dropped
    assert _audits("cases.category") == before + 1

    child = client.post(
        reverse("refdata:category_new"),
        _category_form(code="dog_bite", name="犬只伤人", parent=str(pet.pk)),
    )
    assert child.status_code == 302
    dog = Category.objects.get(code="dog_bite")
    assert dog.path == f"{pet.path}{dog.pk}/"

    edit = client.post(
        reverse("refdata:category_edit", args=[pet.pk]),
        _category_form(name="宠物饲养纠纷", civil_dispute=None, other_route="litigation"),
    )
    assert edit.status_code == 302
    pet.refresh_from_db()
    assert pet.name == "宠物饲养纠纷" and not pet.civil_dispute and pet.other_route == "litigation"
    assert reference.category(pet.pk).name == "宠物饲养纠纷"
    entry = AuditEntry.objects.filter(object_type="cases.category", object_id=str(pet.pk),
                                      action=AuditEntry.Action.UPDATE).get()  # fmt: skip
    assert entry.actor == personas.admin and entry.changes["name"] == ["宠物纠纷", "宠物饲养纠纷"]

    off = client.post(reverse("refdata:category_deactivate", args=[pet.pk]))
    assert off.status_code == 302
    assert not Category.objects.get(pk=pet.pk).active
    assert not Category.objects.get(pk=dog.pk).active  # the subtree goes with it
    assert Category.objects.filter(pk=pet.pk).exists()  # never deleted
    assert _audits("cases.category") == before + 5
    assert not reference.category(pet.pk).active


@pytest.mark.parametrize(
    ("over", "field_error"),
    [
        ({"name": ""}, "该字段是必填项"),
        ({"code": "marriage_family"}, "已存在"),
        ({"code": "有 空格"}, "代码：输入由字母"),
        ({"family": "governance"}, "同一分类体系"),
        ({"other_route": "litigation"}, "人民调解"),
        ({"kind": "nonsense"}, "不在可用的选项中"),
        ({"parent": "999999"}, "不在可用的选项中"),
    ],
)
def test_bad_category_input_saves_nothing(personas, client_for, over, field_error):
    count, audits = Category.objects.count(), AuditEntry.objects.count()
    response = client_for(personas.admin).post(
        reverse("refdata:category_new"), _category_form(**over)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert field_error in body and "未保存" in body
    assert Category.objects.count() == count and AuditEntry.objects.count() == audits


def test_a_category_cannot_move_under_its_own_subcategory(personas, client_for):
    root = Category.objects.get(code="dispute_justice")
    child = Category.objects.get(code="marriage_family")
    response = client_for(personas.admin).post(
        reverse("refdata:category_edit", args=[root.pk]),
        _category_form(code=root.code, name=root.name, parent=str(child.pk)),
    )
    assert response.status_code == 400
    assert "不能放在其自身或其下级类别之下" in response.content.decode()
    root.refresh_from_db()
    assert root.parent_id is None and root.path == f"/{root.pk}/"


def test_create_edit_deactivate_routing_rule(world, personas, client_for):
    client = client_for(personas.admin)
    before = _audits("cases.routingrule")
    response = client.post(reverse("refdata:rule_new"), _rule_form(world))
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="桃西街道治安")
    assert rule.region == world.taoxi and rule.target_unit == world.taoxi_center
    assert rule in reference.routing_rules()
    page = client.get(reverse("refdata:rules")).content.decode()
    assert "桃西街道治安" in page and "风险等级不低于" in page

    edit = client.post(reverse("refdata:rule_edit", args=[rule.pk]),
                       _rule_form(world, order="7", min_risk=""))  # fmt: skip
    assert edit.status_code == 302
    rule.refresh_from_db()
    assert rule.order == 7 and rule.min_risk == ""
    assert [r.order for r in reference.routing_rules() if r.pk == rule.pk] == [7]

    off = client.post(reverse("refdata:rule_deactivate", args=[rule.pk]))
    assert off.status_code == 302
    rule.refresh_from_db()
    assert not rule.active and rule not in reference.routing_rules()
    assert _audits("cases.routingrule") == before + 3
    actions = set(AuditEntry.objects.filter(object_type="cases.routingrule", object_id=str(rule.pk))
                  .values_list("action", flat=True))  # fmt: skip
    assert actions == {AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE}


@pytest.mark.parametrize(
    ("over", "field_error"),
    [
        ({"target_level": ""}, "该字段是必填项"),
        ({"order": "-3"}, "大于或等于0"),
        ({"min_risk": "huge"}, "不在可用的选项中"),
        ({"region": "outside"}, "不在可用的选项中"),
    ],
)
def test_bad_rule_input_saves_nothing(world, personas, client_for, over, field_error):
    if over.get("region") == "outside":
        elsewhere = Region.objects.create(code="230904000000", name="外区", level=3,
                                          kind=world.district.kind, parent=world.city)  # fmt: skip
        over = {"region": str(elsewhere.pk)}
    count, audits = RoutingRule.objects.count(), AuditEntry.objects.count()
    response = client_for(personas.admin).post(
        reverse("refdata:rule_new"), _rule_form(world, **over)
    )
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert RoutingRule.objects.count() == count and AuditEntry.objects.count() == audits


def test_everyone_but_the_administrator_gets_404(world, personas, client_for):
    category = Category.objects.get(code="marriage_family")
    rule = RoutingRule.objects.create(name="旧规则", target_level="street")
    urls = [
        ("get", reverse("refdata:categories"), None),
        ("get", reverse("refdata:category_new"), None),
        ("get", reverse("refdata:category_edit", args=[category.pk]), None),
        ("post", reverse("refdata:category_new"), _category_form()),
        ("post", reverse("refdata:category_edit", args=[category.pk]), _category_form(code=category.code)),
        ("post", reverse("refdata:category_deactivate", args=[category.pk]), {}),
        ("get", reverse("refdata:rules"), None),
        ("get", reverse("refdata:rule_new"), None),
        ("get", reverse("refdata:rule_edit", args=[rule.pk]), None),
        ("post", reverse("refdata:rule_new"), _rule_form(world)),
        ("post", reverse("refdata:rule_edit", args=[rule.pk]), _rule_form(world)),
        ("post", reverse("refdata:rule_deactivate", args=[rule.pk]), {}),
    ]  # fmt: skip
    others = [personas.outsider, personas.leader, personas.street_clerk, personas.grid_worker,
              personas.security, personas.auditor]  # fmt: skip
    audits, rules = AuditEntry.objects.count(), RoutingRule.objects.count()
    for user in others:
        client = client_for(user)
        home = client.get(reverse("home")).content.decode()
        assert "类别与分拨" not in home
        for method, url, data in urls:
            response = (
                getattr(client, method)(url, data)
                if data is not None
                else getattr(client, method)(url)
            )
            assert response.status_code == 404, (user.username, url, response.status_code)
    assert (
        Category.objects.get(pk=category.pk).active
        and Category.objects.get(pk=category.pk).name == "婚姻家庭"
    )
    assert RoutingRule.objects.get(pk=rule.pk).active
    assert not Category.objects.filter(code="pet_dispute").exists()
    assert RoutingRule.objects.count() == rules and AuditEntry.objects.count() == audits
    # Anonymous visitors are sent to the login page.
    anonymous = Client().get(reverse("refdata:rules"))
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
