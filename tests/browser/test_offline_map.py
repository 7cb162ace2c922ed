"""Maps without base tiles: a tile server that answers nothing (offline, blocked) leaves the grid
outlines on a plain background with the streets' and grids' names on them."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_grid_map import SCREENSHOTS, browser, log_in, people  # noqa: F401

# Like every live-server test: the rows the suite set up before are restored afterwards (without
# this mark the live server's flush left the content types to the next transactional tests).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BLOCKED = "https://tiles.invalid/{z}/{x}/{y}.png"


def _block_tiles(page) -> list[str]:
    asked: list[str] = []

    def refuse(route):
        asked.append(route.request.url)
        route.abort()

    page.route("https://tiles.invalid/**", refuse)
    return asked


def test_blocked_tiles_fall_back_to_named_outlines(people, browser, live_server, settings):  # noqa: F811
    settings.MAP_TILE_URL = BLOCKED
    _world, personas = people
    page = log_in(
        browser, live_server, personas.leader.username, viewport={"width": 1280, "height": 800}
    )
    _block_tiles(
        page
    )  # (this test server's CSP refuses the host anyway: no tile arrives either way)
    page.goto(f"{live_server.url}/territory/")
    node = page.locator("#map")
    expect(node).to_have_attribute("data-tile-url", BLOCKED)
    expect(node).to_have_attribute("data-basemap", "outline")
    assert page.locator(".leaflet-tile-pane img").count() == 0
    streets = page.locator(".map-label-street")
    expect(streets.filter(has_text="桃西街道")).to_be_visible()
    expect(streets.filter(has_text="桃南街道")).to_be_visible()
    # A grid's name shows where it fits inside its grid on screen (closer in), never wrapped.
    grid_names = page.locator(".map-label-grid")
    for _ in range(2):
        placed_at = node.get_attribute("data-label-zoom") or ""
        page.locator("#map .leaflet-control-zoom-in").click()
        expect(node).not_to_have_attribute("data-label-zoom", placed_at)
    expect(grid_names.filter(has_text="花园社区第1网格")).to_be_visible()
    assert grid_names.filter(has_text="花园社区第1网格").bounding_box()["height"] < 20
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map_offline_outline.png"))

    # The map of cases draws the same outlines and names under its points.
    page.goto(f"{live_server.url}/cases/map/")
    expect(page.locator("[data-case-map]")).to_have_attribute("data-basemap", "outline")
    expect(page.locator(".map-label-street").filter(has_text="桃西街道")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "map_offline_cases.png"))


def test_case_map_fits_the_grids_whichever_answers_last(people, browser, live_server, settings):  # noqa: F811
    """With no located case the map of cases shows the grids, also when the grid outlines
    arrive before the (empty) case points: at the starting zoom the streets' names would not
    fit in their shapes and stay hidden."""
    import time

    from django.urls import reverse

    settings.MAP_TILE_URL = ""
    _world, personas = people
    page = log_in(
        browser, live_server, personas.leader.username, viewport={"width": 1280, "height": 800}
    )
    points = reverse("cases:geojson")

    def late(route):
        time.sleep(1.5)  # the grids answer first
        route.continue_()

    page.route(f"**{points}*", late)
    page.goto(f"{live_server.url}/cases/map/")
    node = page.locator("[data-case-map]")
    expect(node).to_have_attribute("data-points", "0")
    expect(page.locator(".map-label-street").filter(has_text="桃西街道")).to_be_visible()
    assert int(node.get_attribute("data-label-zoom") or 0) > 12


def test_no_tile_source_draws_named_outlines_at_once(people, browser, live_server, settings):  # noqa: F811
    settings.MAP_TILE_URL = ""
    _world, personas = people
    page = log_in(
        browser, live_server, personas.street_clerk.username, viewport={"width": 375, "height": 812}
    )
    page.goto(f"{live_server.url}/territory/")
    expect(page.locator("#map")).to_have_attribute("data-basemap", "outline")
    expect(page.locator(".map-label-street").filter(has_text="桃西街道")).to_be_visible()
    assert (
        page.locator(".map-label-street").filter(has_text="桃南街道").count() == 0
    )  # not in scope
    page.screenshot(path=str(SCREENSHOTS / "map_offline_phone.png"))
