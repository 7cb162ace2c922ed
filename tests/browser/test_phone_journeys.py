"""The phone app in Chromium at phone sizes (issue 16): a grid worker's day with the network cut
and restored in the middle of the offline queue (each item arrives exactly once), a resident's
report made without signal and tracked, the transfer budgets over a throttled network (bytes
asserted; timings only printed, see bench/phone_budget.py), touch targets, text size, no sideways
scroll, and axe-core on every phone page."""

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from fengqiao.cases.models import Attachment, Case, CaseState, Task
from fengqiao.cases.views_actions import perform
from fengqiao.org.models import GridWorker
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.case_factories import HUAYUAN_POINT_2, make_case_world, report
from tests.factories import PASSWORD, make_personas, make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 375, "height": 812}, "locale": "zh-CN", "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}  # fmt: skip
AXE = Path(settings.VAR_DIR) / "vendor" / "axe-core" / "axe.min.js"
WAIT = 20_000  # ms: the longest any step may take before the test fails


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def day(settings):
    settings.PUBLIC_REPORT_RATE = "100/600"
    world = make_world()
    personas = make_personas(world)
    cw = make_case_world(world)
    GridWorker.objects.filter(user=personas.grid_worker).update(station=world.huayuan_station)
    case = report(None, point=HUAYUAN_POINT_2).case
    case = perform(cw.district_clerk, case, "accept", {"expected_version": case.version})
    case = perform(cw.district_clerk, case, "dispatch",
                   {"lead_unit": world.huayuan_station, "expected_version": case.version})  # fmt: skip
    task = case.tasks.get(active=True)
    case.refresh_from_db()
    perform(cw.huayuan_clerk, case, "assign_task",
            {"task": task, "assignee": personas.grid_worker, "expected_version": case.version})  # fmt: skip
    return personas, task


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(context, url: str, username: str):
    page = context.new_page()
    page.goto(f"{url}/login/?next=/m/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/m/")
    return page


def controlled(page) -> None:
    """Wait until the service worker is active and controls the page (reload once if needed)."""
    ready = page.evaluate(
        "Promise.race([navigator.serviceWorker.ready.then(() => true),"
        " new Promise(r => setTimeout(() => r(false), 15000))])"
    )
    assert ready, "the service worker did not install"
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=WAIT)


def queue_states(page) -> list[str]:
    return page.evaluate("FQQueue.all().then(items => items.map(x => x.state))")


def wait_drained(page, total: int) -> None:
    page.wait_for_function(
        f"() => document.body.dataset.queueOpen === '0' && document.body.dataset.queueTotal === '{total}'",
        timeout=WAIT,
        polling=250,
    )


PHONE_CHECKS = """() => {
  const small = [], tiny = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.type === 'hidden' || el.closest('.leaflet-container')) continue;
    if (el.type !== 'checkbox' && (r.height < 44 || r.width < 44)) small.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.leaflet-container') || !el.childNodes.length) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(getComputedStyle(el).fontSize) < 16) tiny.push(el.outerHTML.slice(0, 80));
  }
  return {small, tiny, sideways: document.documentElement.scrollWidth > window.innerWidth};
}"""


def check_phone_layout(page) -> None:
    for width in (360, 375, 414):
        page.set_viewport_size({"width": width, "height": 800})
        found = page.evaluate(PHONE_CHECKS)
        assert not found["sideways"], (page.url, width)
        assert not found["small"], (page.url, width, found["small"][:3])
        assert not found["tiny"], (page.url, width, found["tiny"][:3])
    page.set_viewport_size(PHONE["viewport"])


def check_axe(page) -> None:
    # From the server's own static files (var/vendor, copied from npm): the pages' CSP allows
    # scripts from 'self' only, which an inline injection would break.
    assert AXE.exists()
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=f"{origin}/static/axe-core/axe.min.js")
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')))"
    )
    assert found == [], (page.url, found)


def check_contrast(page) -> None:
    """WCAG AA contrast (usable in bright light): axe's color-contrast rule alone, every impact,
    at the phone width."""
    width = page.viewport_size["width"]
    assert width == 375, width
    if not page.evaluate("!!window.axe"):
        origin = page.evaluate("location.origin")
        page.add_script_tag(url=f"{origin}/static/axe-core/axe.min.js")
    found = page.evaluate(
        "axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}})"
        ".then(r => [r.passes.length, r.violations.flatMap(v => v.nodes.map(n =>"
        " n.target.join(' ') + ' ' + (n.any[0] && n.any[0].message)))])"
    )
    checked, violations = found
    assert checked, (page.url, "nothing was checked")
    assert violations == [], (page.url, violations[:3])


def photo_bytes(width=3000, height=2000) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_grid_workers_day_offline_and_back(day, browser, live_server):
    personas, task = day
    url = live_server.url
    context = browser.new_context(**PHONE)
    page = log_in(context, url, personas.grid_worker.username)
    controlled(page)
    assert task.case.title in page.inner_text("#section-tasks")
    shot(page, "01-today")
    for path in ("/m/", "/m/report/", "/m/reports/", "/m/grid/", "/m/me/"):
        page.goto(url + path)
        if path == "/m/grid/":
            page.wait_for_selector("#p-map[data-state=ready]", timeout=WAIT)
        check_phone_layout(page)
        check_axe(page)
        check_contrast(page)
    page.goto(url + "/m/grid/")
    page.wait_for_selector("#p-map[data-state=ready]", timeout=WAIT)
    shot(page, "02-grid")

    # Online: accept the task.
    page.goto(url + "/m/")
    page.click(f"#task-{task.pk} [data-task-action=acknowledge]")
    wait_drained(page, 1)

    # Signal lost: start and complete the task, report twice (one resolved on the spot).
    context.set_offline(True)
    page.goto(url + "/m/")  # from the service worker's cache
    card = f"#task-{task.pk}"
    page.click(f"{card} [data-task-action=start]")
    page.fill(f"{card} [data-task-form=complete] textarea", "已上门协调，双方达成一致")
    page.click(f"{card} [data-task-form=complete] button")
    page.wait_for_selector(f"{card} [data-pending]:not([hidden])")
    shot(page, "03-today-offline")

    page.goto(url + "/m/report/")
    page.select_option("#r-category", "construction_disturbance")
    page.fill("#r-description", "楼道堆放杂物堵塞消防通道，两户争吵")
    page.click("#r-map", position={"x": 180, "y": 110})
    page.set_input_files("#r-photos", files=[
        {"name": "big.png", "mimeType": "image/png", "buffer": photo_bytes()}])  # fmt: skip
    page.wait_for_selector("[data-photo-note][data-count='1']", timeout=WAIT)
    page.fill("#r-party1", "李大爷")
    page.check("[data-on-the-spot]")
    page.fill("#r-outcome", "当场协调清理楼道，双方和解")
    shot(page, "04-report-on-the-spot")
    page.click("[data-report-form] button[type=submit]")
    page.wait_for_selector("[data-ok]:not([hidden])")
    page.select_option("#r-category", "construction_disturbance")
    page.fill("#r-description", "小区路灯损坏三盏，夜间出行不便")
    page.click("[data-report-form] button[type=submit]")
    page.wait_for_selector("[data-ok]:not([hidden])")

    page.goto(url + "/m/me/")
    page.wait_for_selector("[data-queue-list] li")
    assert queue_states(page) == ["done", "waiting", "waiting", "waiting", "waiting"]
    shot(page, "05-queue-offline")
    assert Case.objects.count() == 1  # nothing sent yet

    # Back online, but the signal drops again after the server took the first report: its
    # answer never reaches the phone, which sends it again with the same key.
    dropped = []

    def drop_first_answer(route):
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server runs it
            dropped.append(route.request.url)
            context.set_offline(True)
            route.abort("internetdisconnected")
            return
        route.continue_()

    context.route("**/api/v1/cases/on-the-spot/", drop_first_answer)
    context.set_offline(False)
    page.evaluate("FQQueue.drain()")
    page.wait_for_function("() => !navigator.onLine", timeout=WAIT)
    # The report the server took waits to be sent again: the key makes the second send a replay.
    page.wait_for_function(
        "() => document.body.dataset.queueStates.includes('waiting')", timeout=WAIT
    )
    assert len(dropped) == 1
    context.set_offline(False)
    wait_drained(page, 5)
    shot(page, "06-queue-drained")

    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.result == "已上门协调，双方达成一致"
    reports = Case.objects.filter(created_by=personas.grid_worker).order_by("pk")
    assert [c.description for c in reports] == [
        "楼道堆放杂物堵塞消防通道，两户争吵",
        "小区路灯损坏三盏，夜间出行不便",
    ]
    spot = reports[0]
    assert spot.state == CaseState.RESOLVED and spot.outcome == "当场协调清理楼道，双方和解"
    assert spot.parties.get().name == "李大爷" and spot.lon is not None
    photo = Attachment.objects.get(case=spot)
    from PIL import Image

    with photo.file.open("rb") as f:
        image = Image.open(f)
        assert image.format == "JPEG" and max(image.size) == 1600
    assert reports[1].state == CaseState.REGISTERED

    page.goto(url + "/m/reports/")
    assert spot.tracking_number in page.content()
    shot(page, "07-my-reports")
    context.close()


def test_budgets_on_a_poor_network(day, browser, live_server):
    personas, _task = day
    url = live_server.url
    # Log in elsewhere, then open the app in a context with empty caches and no service worker.
    login = browser.new_context(**PHONE, service_workers="block")
    log_in(login, url, personas.grid_worker.username)
    context = browser.new_context(**PHONE, storage_state=login.storage_state())
    login.close()
    page = context.new_page()
    # Measure on a fresh page: bytes as the network sees them (encodedDataLength).
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400,
             "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8})  # fmt: skip
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))  # fmt: skip

    def visit() -> tuple[int, float, list[str]]:
        sizes.clear()
        urls.clear()
        started = time.monotonic()
        page.goto(url + "/m/", wait_until="load")
        page.wait_for_selector("#section-tasks")
        took = time.monotonic() - started
        page.wait_for_timeout(300)  # late finishing events
        return sum(sizes.values()), took, list(urls.values())

    first, first_s, first_urls = visit()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    controlled(page)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400,
             "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8})  # fmt: skip
    page.goto(url + "/m/report/")
    later, later_s, later_urls = visit()
    print(f"BUDGET first visit: {first / 1024:.1f} KB in {first_s:.2f} s")
    print(f"BUDGET later visit: {later / 1024:.1f} KB in {later_s:.2f} s")
    assert first < 300 * 1024, first
    assert later < 50 * 1024, later
    assert not any("echarts" in u or "leaflet" in u for u in first_urls + later_urls)
    context.close()


def test_a_residents_report_offline_and_tracking(day, browser, live_server):
    url = live_server.url
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url + "/report/")
    controlled(page)
    check_phone_layout_public(page)
    context.set_offline(True)
    page.goto(url + "/report/")  # from the service worker's cache
    category = page.locator("#id_category option").nth(1).get_attribute("value")
    page.select_option("#id_category", category)
    page.fill("#id_description", "小区门口下水道井盖缺失，很危险")
    page.fill("#id_reporter_name", "王女士")
    page.fill("#id_reporter_phone", "13904641234")
    page.set_input_files("#id_attachments", files=[
        {"name": "big.png", "mimeType": "image/png", "buffer": photo_bytes(2400, 1800)}])  # fmt: skip
    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("[data-public-queue] [data-saved]:not([hidden])")
    shot(page, "08-resident-offline")
    assert (
        Case.objects.filter(channel__code="resident_report", description__contains="井盖").count()
        == 0
    )
    context.set_offline(False)
    page.wait_for_selector("[data-public-queue] li[data-state=done]", timeout=WAIT)
    case = Case.objects.get(description__contains="井盖")
    assert page.locator("[data-public-queue] li").inner_text().count(case.tracking_number) == 1
    assert Attachment.objects.filter(case=case).count() == 1
    shot(page, "09-resident-sent")
    check_axe(page)
    check_contrast(page)

    page.goto(url + "/track/")
    page.fill("#id_tracking_number", case.tracking_number)
    page.fill("#id_phone_last4", "1234")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=" + case.tracking_number)
    shot(page, "10-resident-track")
    check_axe(page)
    check_contrast(page)

    # The case is handled: the resident reads the public reply and the resolution, and rates.
    from fengqiao.accounts.models import User

    clerk = User.objects.get(username="clerk_district")
    case = perform(clerk, case, "accept", {"expected_version": case.version})
    case = perform(clerk, case, "resolve", {
        "outcome": "已补装井盖并设置警示标志", "public_reply": "您反映的井盖已补装，感谢监督。",
        "expected_version": case.version})  # fmt: skip
    page.goto(url + "/track/")
    page.fill("#id_tracking_number", case.tracking_number)
    page.fill("#id_phone_last4", "1234")
    page.click("form button[type=submit]")
    page.wait_for_selector("#case-state")
    text = page.inner_text("main")
    assert "已补装井盖并设置警示标志" in text and "您反映的井盖已补装，感谢监督。" in text
    check_phone_layout_public(page)
    shot(page, "10b-resident-resolved")
    page.locator("form.rate-form input[type=radio]").first.check()
    page.click("form.rate-form button[type=submit]")
    page.wait_for_selector(".msg[role=status]")
    assert case.visits.filter(method="online").count() == 1
    shot(page, "10c-resident-rated")
    context.close()


def check_phone_layout_public(page) -> None:
    for width in (360, 375, 414):
        page.set_viewport_size({"width": width, "height": 800})
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    page.set_viewport_size(PHONE["viewport"])
