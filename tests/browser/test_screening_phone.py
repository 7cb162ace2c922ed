"""The screening phone page at 375 px and the operation figures' charts in a real browser."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.campaigns import screening
from fengqiao.campaigns.models import Indicator, Operation, ScreeningRecord
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.case_factories import make_case_world
from tests.factories import PASSWORD, make_personas, make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SCREENSHOTS = SHOTS


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser, live_server, username, **context):
    page = browser.new_page(locale="zh-CN", **context)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_grid_worker_screens_on_the_phone_and_district_sees_charts(browser, live_server):
    world = make_world()
    personas = make_personas(world)
    cw = make_case_world(world)
    today = timezone.localdate()
    c = screening.create_campaign(cw.district_clerk, {
        "name": "疫情防控入户排查", "kind": "epidemic", "region": world.district.code,
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=7)).isoformat(),
        "form_fields": [{"name": "fever", "label": "有无发热", "type": "bool", "required": True}],
    })  # fmt: skip
    screening.assign_grids(cw.district_clerk, c, {"230903013001001": 10})
    screening.move_campaign(cw.district_clerk, c, "activate")
    page = log_in(browser, live_server, personas.grid_worker.username,
                  viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)  # fmt: skip
    page.goto(f"{live_server.url}/campaigns/{c.pk}/screen/")
    page.fill("#address", "1号楼101")
    page.select_option("#f_fever", "no")
    page.click("form.patrol button[type=submit]")
    page.wait_for_selector("[role=status]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "screening_phone.png"), full_page=True)
    assert ScreeningRecord.objects.filter(campaign=c, address="1号楼101").exists()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    op = Operation.objects.create(name="断卡行动", region=world.district, starts_on=today.replace(day=1),
                                  ends_on=today + timedelta(days=60), period="month")  # fmt: skip
    op.units.set([world.police_taoxi])
    Indicator.objects.create(operation=op, code="cases", name="破案数")
    center = log_in(
        browser, live_server, cw.district_clerk.username, viewport={"width": 1280, "height": 900}
    )
    center.goto(f"{live_server.url}/campaigns/operations/{op.pk}/")
    center.wait_for_selector("#trend-chart canvas")
    center.screenshot(path=str(SCREENSHOTS / "operation_figures.png"), full_page=True)
