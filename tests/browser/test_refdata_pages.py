"""The administrator's reference-data pages in headless Chromium (1280 px): a routing rule added
from the navigation through the form, then listed; axe-core on the category tree, the category
form and the rules list (no serious or critical violation)."""

import pytest

from fengqiao.cases.models import RoutingRule
from tests.browser.test_desk_pages import browser, check_axe, log_in, shot
from tests.factories import make_personas, make_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

__all__ = ["browser"]


@pytest.fixture
def admin_world():
    world = make_world()
    return world, make_personas(world)


def test_administrator_adds_a_routing_rule(admin_world, browser, live_server):
    world, personas = admin_world
    url = live_server.url
    page = log_in(browser, url, personas.admin)
    page.click("nav >> text=类别与分拨")
    page.wait_for_url(f"{url}/reference/categories/")
    assert page.locator("h1").inner_text() == "事件类别"
    shot(page, "refdata-categories")
    check_axe(page)
    page.click("text=新增类别")
    page.wait_for_url(f"{url}/reference/categories/new/")
    check_axe(page)
    page.goto(f"{url}/reference/routing/")
    page.click("text=新增分拨规则")
    page.wait_for_url(f"{url}/reference/routing/new/")
    page.fill("#id_order", "3")
    page.fill("#id_name", "桃西街道高风险事件")
    page.select_option("#id_region", str(world.taoxi.pk))
    page.select_option("#id_min_risk", "high")
    page.select_option("#id_target_level", "street")
    page.select_option("#id_target_unit", str(world.taoxi_center.pk))
    shot(page, "refdata-rule-form")
    page.click("form.refdata-form button[type=submit]")
    page.wait_for_url(f"{url}/reference/routing/")
    rule = RoutingRule.objects.get(name="桃西街道高风险事件")
    assert rule.active and rule.region == world.taoxi and rule.min_risk == "high"
    row = page.locator(f"#rule-{rule.pk}")
    assert "桃西街道高风险事件" in row.inner_text() and "桃西" in row.inner_text()
    assert "已新增分拨规则" in page.content()
    shot(page, "refdata-rules")
    check_axe(page)
