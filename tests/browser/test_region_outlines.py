"""Region outlines in a real browser: the big screen at 1920×1080 with every tile request refused
draws the outlines of the streets and communities with their names over the grids coloured by
their cases, and nothing on it is left empty; the territory browser draws them too; the
administrator draws a street's outline in the map editor and saves it."""

import pytest
import shapely
from playwright.sync_api import expect

from fengqiao.territory import outlines
from fengqiao.territory.models import Region
from tests.browser.test_dashboard_drilldown import make_cases
from tests.browser.test_grid_map import SCREENSHOTS, browser, log_in, people  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BLOCKED = "https://tiles.invalid/{z}/{x}/{y}.png"


def _derive_all(world) -> None:
    for region in (world.taoxi, world.taonan, world.huayuan, world.songshan, world.hepan):
        outlines.derive_region_outline(None, region)


def _block_tiles(page) -> None:
    page.route("https://tiles.invalid/**", lambda route: route.abort())


def _visible_labels(page) -> list[tuple[str, dict]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#grid-map .map-label')]
           .filter((e) => getComputedStyle(e).visibility !== 'hidden')
           .map((e) => { const r = e.getBoundingClientRect();
             return [e.textContent, {x: r.x, y: r.y, width: r.width, height: r.height}]; })"""
    )


def _zoom(page, way: str, times: int) -> None:
    node = page.locator("#grid-map")
    for _ in range(times):
        placed_at = node.get_attribute("data-label-zoom") or ""
        page.locator(f"#grid-map .leaflet-control-zoom-{way}").click()
        expect(node).not_to_have_attribute("data-label-zoom", placed_at)
        _assert_apart(_visible_labels(page))


def _assert_apart(labels: list[tuple[str, dict]]) -> None:
    for i, (text_a, a) in enumerate(labels):
        for text_b, b in labels[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, f"{text_a!r} overlaps {text_b!r}"


def test_big_screen_offline_shows_named_outlines_and_cases_by_grid(
    people,  # noqa: F811
    browser,  # noqa: F811
    live_server,
    settings,
):
    settings.MAP_TILE_URL = BLOCKED
    world, personas = people
    make_cases(world)
    _derive_all(world)
    page = log_in(
        browser, live_server, personas.leader.username, viewport={"width": 1920, "height": 1080}
    )
    _block_tiles(page)  # (this test server's CSP refuses the host anyway: no tile arrives)
    page.goto(f"{live_server.url}/monitor/screen/?region={world.district.pk}&period=2025")
    node = page.locator("#grid-map")
    expect(node).to_have_attribute("data-tile-url", BLOCKED)
    expect(node).to_have_attribute("data-state", "ready")
    expect(node).to_have_attribute("data-basemap", "outline", timeout=10_000)
    assert page.locator("#grid-map .leaflet-tile-pane img").count() == 0
    # Five outlines drawn (two streets, three communities), above the eight grids.
    expect(node).to_have_attribute("data-region-count", "5")
    expect(page.locator("#grid-map .leaflet-fq-outlines-pane path")).to_have_count(5)
    expect(page.locator("#grid-map .leaflet-overlay-pane path")).to_have_count(8)
    for d in page.locator("#grid-map .leaflet-fq-outlines-pane path").all():
        assert len(d.get_attribute("d") or "") > 10
    streets = page.locator("#grid-map .map-label-street")
    expect(streets.filter(has_text="桃西街道")).to_be_visible()
    expect(streets.filter(has_text="桃南街道")).to_be_visible()
    # The cases by grid: each grid's figure (its name too does not fit its width on screen).
    labels = page.locator("#grid-map .map-label-grid")
    expect(labels).to_have_text(["3"] * 8)
    for label in labels.all():
        expect(label).to_be_visible()
    # Nothing empty on the screen: figures, feed, the three charts, the map.
    assert page.locator("#screen-figures li").count() >= 6
    assert page.locator("#screen-feed li").count() >= 1
    for chart in ("chart-trend", "chart-places", "chart-categories"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-state", "ready")
        assert page.locator(f"#{chart} svg path").count() >= 1
    box = node.bounding_box()
    assert box["width"] > 900 and box["height"] > 350
    # The labels: streets first, each inside its shape, no two overlapping, none wrapped; the
    # same after zooming out, where most no longer fit and hide.
    shown = _visible_labels(page)
    assert {"桃西街道", "桃南街道"} <= {t for t, _ in shown}
    _assert_apart(shown)
    assert all(r["height"] < 40 for _, r in shown)  # one line (two for a grid's name and figure)
    # The legend of the colours, with its unit, above the map rather than on it.
    legend = page.locator("#map-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("单位：件")
    expect(legend).to_have_attribute("data-max", "3")
    assert legend.bounding_box()["y"] + legend.bounding_box()["height"] <= box["y"]
    # Closer, each grid's name shows with its figure; farther, most labels no longer fit and hide.
    _zoom(page, "in", 2)
    expect(labels.filter(has_text="花园社区第1网格")).to_have_text("花园社区第1网格\n3")
    _assert_apart(_visible_labels(page))
    _zoom(page, "out", 4)
    assert len(_visible_labels(page)) < len(shown)
    # Everything fits the 1920×1080 screen: no scrolling.
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "screen_offline_outlines.png"))


def test_territory_browser_draws_the_outlines_in_scope(people, browser, live_server, settings):  # noqa: F811
    settings.MAP_TILE_URL = ""
    world, personas = people
    _derive_all(world)
    page = log_in(
        browser,
        live_server,
        personas.street_clerk.username,
        viewport={"width": 1280, "height": 800},
    )
    page.goto(f"{live_server.url}/territory/")
    node = page.locator("#map")
    expect(node).to_have_attribute("data-state", "ready")
    # 桃西街道 and its two communities; 桃南街道 is outside the clerk's street.
    expect(node).to_have_attribute("data-region-count", "3")
    expect(page.locator("#map .leaflet-fq-outlines-pane path")).to_have_count(3)
    expect(page.locator(".map-label-street").filter(has_text="桃西街道")).to_have_count(1)
    assert page.locator(".map-label-street").filter(has_text="桃南街道").count() == 0
    expect(page.locator(".map-label-community").filter(has_text="花园社区")).to_be_visible()
    # Grids stay clickable under the outlines.
    page.locator("#map .leaflet-overlay-pane path").first.click()
    expect(page.locator(".leaflet-popup-content")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "territory_outlines.png"))


def test_administrator_draws_a_street_outline_in_the_editor(people, browser, live_server):  # noqa: F811
    world, personas = people
    outlines.derive_region_outline(None, world.huayuan)
    page = log_in(
        browser, live_server, personas.admin.username, viewport={"width": 1440, "height": 900}
    )
    page.goto(f"{live_server.url}/territory/edit/?community={world.huayuan.pk}")
    expect(page.locator("#admin-map")).to_have_attribute("data-state", "ready")
    card = page.locator(f'[data-outline-region="{world.taoxi.pk}"]')
    card.locator("[data-outline-draw]").click()
    box = page.locator("#admin-map").bounding_box()
    corners = [(0.15, 0.15), (0.85, 0.12), (0.9, 0.85), (0.2, 0.9)]
    for fx, fy in corners:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.mouse.click(box["x"] + 0.15 * box["width"], box["y"] + 0.15 * box["height"])
    expect(page.locator("#admin-map")).to_have_attribute("data-outline-drawn", str(world.taoxi.pk))
    save = card.locator("[data-outline-save]")
    expect(save).to_be_enabled()
    page.screenshot(path=str(SCREENSHOTS / "editor_street_outline.png"))
    save.click()
    page.wait_for_url("**/territory/edit/?community=*")
    expect(page.locator(".msg").first).to_contain_text("桃西街道")
    taoxi = Region.objects.get(pk=world.taoxi.pk)
    assert taoxi.outline_source == "drawn"
    shape = shapely.geometry.shape(taoxi.outline)
    assert shape.is_valid and shape.geom_type == "Polygon" and len(shape.exterior.coords) == 5
