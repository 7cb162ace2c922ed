"""Desk pages in headless Chromium (1280 px): the street clerk's dispatch form (several units,
a deadline per unit), a ledger export with its progress bar and file, and axe-core on the main
desk pages (no serious or critical violation).

Screenshots go to $JOURNEY_SCREENSHOTS (default: var/screenshots; tests/browser/shots.py), kept
as CI artefacts."""

import os
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from fengqiao.cases.models import Case, CaseState
from fengqiao.cases.views_actions import perform
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.case_factories import report, use_immediate_tasks
from tests.factories import PASSWORD, make_personas, make_world
from tests.mediation_factories import dispute_case, make_mediation_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(settings.VAR_DIR) / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
WAIT = 20_000


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def desk(settings):
    use_immediate_tasks(settings)
    world = make_world()
    personas = make_personas(world)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    dispute_case(world, mw)
    cw = mw.cw
    case = report(None).case
    case = perform(cw.huayuan_clerk, case, "accept", {"expected_version": case.version})
    case = perform(cw.huayuan_clerk, case, "escalate",
                   {"reason": "需街道协调", "expected_version": case.version})  # fmt: skip
    case = perform(personas.street_clerk, case, "accept", {"expected_version": case.version})
    return SimpleNamespace(world=world, personas=personas, cw=cw, case=case, mw=mw)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(browser, url: str, user):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(f"{url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def check_axe(page) -> None:
    """axe-core from the server's own static files (the CSP allows scripts from 'self' only)."""
    assert AXE.exists()
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=f"{origin}/static/axe-core/axe.min.js")
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))"
    )
    assert found == [], (page.url, found)


def test_street_clerk_dispatches_to_several_units_with_a_deadline_each(desk, browser, live_server):
    world = desk.world
    personas = desk.personas
    cw = desk.cw
    case = desk.case
    url = live_server.url
    page = log_in(browser, url, personas.street_clerk)
    page.goto(f"{url}/cases/{case.pk}/")
    action = page.locator("#action-dispatch")
    action.locator("summary").first.click()
    form = action.locator("form")
    # A district unit (reached from the street center) as lead, the street's police as co.
    form.locator("details.dispatch-more summary").click()
    civil = form.locator(f'li[data-unit="{cw.civil_affairs.pk}"]')
    civil.locator('input[name="lead_unit"]').check()
    police = form.locator(f'li[data-unit="{world.police_taoxi.pk}"]')
    police.locator('input[name="co_units"]').check()
    due = police.locator("input[type=datetime-local]")
    assert due.is_visible() and due.input_value()  # prefilled from the deadline policy
    later = timezone.localtime(timezone.now() + timedelta(days=4)).replace(second=0, microsecond=0)
    due.fill(later.strftime("%Y-%m-%dT%H:%M"))
    form.locator("textarea[name=instructions]").fill("民政局牵头，派出所配合核查。")
    shot(page, "desk-dispatch-form")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.DISPATCHED
    tasks = {t.unit_id: t for t in case.tasks.filter(active=True)}
    assert set(tasks) == {cw.civil_affairs.pk, world.police_taoxi.pk}
    assert tasks[world.police_taoxi.pk].due == later
    assert tasks[cw.civil_affairs.pk].due == case.handle_due
    shot(page, "desk-dispatched")
    check_axe(page)


def test_ledger_export_shows_progress_and_offers_the_file(desk, browser, live_server):
    personas = desk.personas
    url = live_server.url
    page = log_in(browser, url, personas.leader)
    page.goto(f"{url}/monitor/ledgers/")
    with page.expect_navigation():
        page.locator("section.ledger form button[type=submit]").first.click()
    page.wait_for_selector("#export-progress progress")
    page.wait_for_selector("#export-progress[data-state=done] a.btn", timeout=WAIT)
    assert page.locator("#export-progress progress").get_attribute("value") == "100"
    shot(page, "desk-ledger-export")
    check_axe(page)
    with page.expect_download() as download:
        page.locator("#export-progress a.btn").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_axe_on_the_main_desk_pages(desk, browser, live_server):
    personas = desk.personas
    case = desk.case
    mw = desk.mw
    url = live_server.url
    clerk = log_in(browser, url, personas.street_clerk)
    for path in ("/", "/cases/", f"/cases/{case.pk}/"):
        clerk.goto(url + path)
        check_axe(clerk)
    leader = log_in(browser, url, personas.leader)
    for path in ("/monitor/", "/monitor/screen/"):
        leader.goto(url + path)
        leader.wait_for_load_state("networkidle")
        check_axe(leader)
    mediator = log_in(browser, url, mw.lead)
    mediator.goto(url + "/mediation/")
    check_axe(mediator)
    admin = log_in(browser, url, personas.admin)
    admin.goto(url + "/territory/edit/")
    admin.wait_for_selector("#admin-map[data-state=ready]")
    check_axe(admin)


def test_administrator_draws_and_edits_grids_on_the_map(desk, browser, live_server):
    from fengqiao.territory.models import Grid

    world = desk.world
    personas = desk.personas
    url = live_server.url
    page = log_in(browser, url, personas.admin)
    page.goto(f"{url}/territory/edit/?community={world.huayuan.pk}")
    page.wait_for_selector("#admin-map[data-state=ready]")
    grid = Grid.objects.get(code="230903013001001")
    before = grid.boundary
    # Edit: pick grid 1, drag one of its corners, save.
    page.click(f'button[data-grid="{grid.pk}"]')
    page.wait_for_timeout(500)
    marker = page.locator("#admin-map .marker-icon:not(.marker-icon-middle)").first
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 10, y - 10, steps=4)
    page.mouse.move(x - 30, y - 30, steps=8)
    page.mouse.up()
    shot(page, "desk-map-edit")
    with page.expect_navigation():
        page.click("#grid-edit-save")
    assert "msg-error" not in page.content()
    grid.refresh_from_db()
    assert grid.boundary != before
    # Draw: zoom out, draw a square away from every grid, name it, create it.
    page.wait_for_selector("#admin-map[data-state=ready]")
    for _ in range(2):
        page.click(".leaflet-control-zoom-out")
        page.wait_for_timeout(400)
    page.click(".leaflet-pm-icon-polygon")
    area = page.locator("#admin-map").bounding_box()
    w, h = area["width"], area["height"]  # bottom right: away from the controls
    corners = [(w - 140, h - 140), (w - 70, h - 140), (w - 70, h - 70), (w - 140, h - 70)]
    for dx, dy in [*corners, corners[0]]:
        page.mouse.click(area["x"] + dx, area["y"] + dy)
        page.wait_for_timeout(150)
    assert page.locator("#grid-new-save").is_enabled()
    page.fill("#id_new_code", "230903013001007")
    page.fill("#id_new_name", "花园社区新绘网格")
    shot(page, "desk-map-draw")
    with page.expect_navigation():
        page.click("#grid-new-save")
    assert "msg-error" not in page.content(), page.locator(".msg-error").inner_text()
    made = Grid.objects.get(code="230903013001007")
    assert made.community_id == world.huayuan.pk and made.boundary["type"] == "Polygon"
    page.wait_for_selector("#admin-map[data-state=ready]")
    shot(page, "desk-map-saved")
    check_axe(page)
