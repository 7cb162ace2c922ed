"""Story S1 in headless Chromium: a resident reports construction noise from a phone, the
花园社区 station clerk handles it from the inbox to the follow-up visit, and the resident sees
the case closed on the tracking page."""

import os

import pytest

from fengqiao.cases.models import Case, CaseState, Category
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.case_factories import HUAYUAN_POINT, make_case_world
from tests.factories import PASSWORD, make_personas, make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# serialized_rollback: the preloaded categories and channels come back after the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = SHOTS
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"s1_{name}.png"), full_page=True)


def act(page, name: str, fields: dict[str, str] | None = None) -> None:
    """Open the action's panel, fill it, submit; htmx answers with a redirect to the case."""
    panel = page.locator(f"#action-{name}")
    if not panel.is_visible():
        # Not a next action: it sits behind the "more actions" menu.
        page.locator("#more-actions > summary").click()
    panel.locator("summary").click()
    for selector, value in (fields or {}).items():
        target = panel.locator(selector)
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()


def test_s1_from_public_report_to_satisfied_visit(settings, browser, live_server):
    world = make_world()
    make_personas(world)
    cw = make_case_world(world)
    noise = Category.objects.get(code="construction_disturbance")

    # A resident on a phone: /report/, construction noise at 松林小区 with a map point.
    resident = browser.new_page(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    resident.goto(f"{live_server.url}/report/")
    assert "我要反映" in resident.title()
    resident.wait_for_selector("[data-pick-map].leaflet-container")
    resident.select_option("#id_category", str(noise.pk))
    resident.fill("#id_description", "松林小区旁棚改工地24小时施工，噪音扰民，道路被压坏。")
    resident.fill("#id_address", "桃西街道花园社区松林小区")
    # Tapping the map places the point and fills the coordinates …
    resident.locator("[data-pick-map]").click(position={"x": 120, "y": 100})
    assert resident.input_value("#id_lon") and resident.input_value("#id_lat")
    assert resident.locator(".leaflet-marker-icon").count() == 1
    # … which the resident corrects by hand to the exact spot (the manual fallback).
    resident.fill("#id_lon", str(HUAYUAN_POINT[0]))
    resident.fill("#id_lat", str(HUAYUAN_POINT[1]))
    resident.fill("#id_reporter_name", "王女士")
    resident.fill("#id_reporter_phone", "13904641234")
    shot(resident, "1_report_phone")
    resident.click("button[type=submit]")
    number = resident.locator("#tracking-number").inner_text().strip()
    shot(resident, "2_tracking_number")
    case = Case.objects.get(tracking_number=number)
    assert case.grid == world.grids["230903013001001"]
    assert case.handling_unit == world.huayuan_station

    # The 花园社区 station clerk logs in and finds it in the inbox.
    clerk = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    clerk.goto(f"{live_server.url}/login/")
    clerk.fill("#id_username", cw.huayuan_clerk.username)
    clerk.fill("#id_password", PASSWORD)
    clerk.click("button[type=submit]")
    clerk.wait_for_url(f"{live_server.url}/")
    clerk.click("nav.mainnav >> text=事件")
    clerk.click("text=待办")
    assert number in clerk.content()
    shot(clerk, "3_inbox")
    clerk.click(f"a:has-text('{number}')")
    clerk.wait_for_selector("#action-accept")
    assert clerk.locator("#action-resolve").count() == 0  # only what the workflow allows now

    act(clerk, "accept")
    act(clerk, "add_progress", {"textarea": "现场调查：工地夜间施工属实，道路破损约50米。"})
    act(
        clerk,
        "resolve",
        {"textarea[name=outcome]": "施工单位调整作业时间为7:00-20:00，并修复道路。"},
    )
    act(clerk, "close", {"textarea[name=note]": "已办结。"})
    act(clerk, "record_visit", {"select[name=satisfaction]": "satisfied", "textarea": "回访满意"})
    shot(clerk, "4_case_closed")
    body = clerk.content()
    assert "已办结" in body and "现场调查" in body and "满意" in body
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert case.visits.get().satisfaction == "satisfied"

    # The resident checks /track/ and sees 已办结.
    resident.goto(f"{live_server.url}/track/")
    resident.fill("#id_tracking_number", number)
    resident.fill("#id_phone_last4", "1234")
    resident.click("button[type=submit]")
    resident.wait_for_selector("#case-state")
    assert resident.locator("#case-state").inner_text().strip() == "已办结"
    # The resolution, not the clerk's closing note.
    assert "施工单位调整作业时间为7:00-20:00，并修复道路。" in resident.content()
    assert "已办结。" not in resident.content()
    assert "13904641234" not in resident.content() and "王女士" not in resident.content()
    shot(resident, "5_track_closed")
