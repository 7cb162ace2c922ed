"""The grid map in a real browser: log in through the form, the Leaflet map draws exactly the
grids in the user's scope, popups and the lazy region tree work."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.factories import PASSWORD, make_personas, make_world

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told it is safe (the test does no concurrent database work).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# serialized_rollback: the flush after each test would otherwise wipe the data that migrations
# preload (case categories, channels …) for every test that runs later.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = SHOTS


@pytest.fixture
def people(settings):
    world = make_world()
    return world, make_personas(world)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser, live_server, username: str, **context):
    page = browser.new_page(locale="zh-CN", **context)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def wait_for_map(page, selector: str = "#map") -> int:
    page.wait_for_selector(f"{selector}[data-state=ready]")
    return int(page.get_attribute(selector, "data-count"))


def test_grid_worker_sees_exactly_their_grid_on_the_map(people, browser, live_server):
    _world, personas = people
    page = log_in(
        browser, live_server, personas.grid_worker.username, viewport={"width": 1280, "height": 800}
    )
    assert "我的网格" in page.content()
    page.goto(f"{live_server.url}/territory/")
    page.wait_for_selector(".leaflet-overlay-pane path")
    assert wait_for_map(page) == 1
    assert page.locator(".leaflet-overlay-pane path").count() == 1
    assert page.locator("#region-tree").inner_text().count("网格") >= 1
    assert "松山社区" not in page.content()

    page.locator(".leaflet-overlay-pane path").first.click()
    popup = page.wait_for_selector(".leaflet-popup-content")
    # Let the popup finish fading in before the screenshot.
    # (expect, not wait_for_function: a string predicate is eval'd, which the CSP refuses)
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    text = popup.inner_text()
    assert "花园社区第1网格" in text and "230903013001001" in text and "网格员甲" in text

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "grid_map.png"), full_page=True)


def test_street_clerk_tree_loads_lazily_and_filters_the_map(people, browser, live_server):
    world, personas = people
    page = log_in(
        browser,
        live_server,
        personas.street_clerk.username,
        viewport={"width": 1280, "height": 800},
    )
    page.goto(f"{live_server.url}/territory/")
    assert wait_for_map(page) == 4
    assert page.locator(".leaflet-overlay-pane path").count() == 4

    # Open 花园社区 in the tree: its grids arrive through htmx.
    region_link = f'a[href="/territory/region/{world.huayuan.pk}/"]'
    node = page.locator(f"details:has(> summary {region_link})")
    node.locator("summary .code").click()
    # (in the tree: the map without tiles shows the grids' names too)
    node.locator(".grid-leaf", has_text="花园社区第2网格").wait_for()
    assert node.locator(".grid-leaf").count() == 2

    # "Show on map" narrows the map to that community's grids.
    page.click(f'button[data-map-region="{world.huayuan.pk}"]')
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(2)
    assert wait_for_map(page) == 2


def test_home_on_a_phone(people, browser, live_server):
    _world, personas = people
    page = log_in(
        browser,
        live_server,
        personas.grid_worker.username,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    wait_for_map(page)
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home_phone.png"), full_page=True)
