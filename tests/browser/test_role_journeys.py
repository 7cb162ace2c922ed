"""Each desk role's day in headless Chromium on the demo district (`fengqiao demo`): log in, move
through the menu only, reach the role's work. Clerk, mediator, liaison and leader at 1280 px,
the grid worker on a 375 px phone, where no page may scroll sideways.

Screenshots go to $JOURNEY_SCREENSHOTS (default: var/screenshots; tests/browser/shots.py), kept
as CI artefacts.
"""

import os
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command

from fengqiao.cases.models import Task
from fengqiao.mediation.models import Mediation
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = SHOTS
PASSWORD = "journey-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(browser, url: str, username: str, **context):
    page = browser.new_page(locale="zh-CN", **context)
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert "我的待办" in page.content()
    return page


def menu(page, key: str) -> None:
    """Open a page through the main menu (unfolding it first on a phone)."""
    toggle = page.locator("[data-nav-toggle]")
    if toggle.is_visible():
        toggle.click()
    with page.expect_navigation():
        page.locator(f'nav.mainnav a[data-nav="{key}"]').click()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width} px wide in a {viewport} px window"


def nav_keys(page) -> set[str]:
    return set(page.locator("nav.mainnav a").evaluate_all("els => els.map(e => e.dataset.nav)"))


def clerk_journey(browser, url: str) -> None:
    page = log_in(browser, url, "demo_station", viewport=DESKTOP)
    assert {"intake", "cases", "inbox", "unit_tasks"} <= nav_keys(page)
    assert not {"audit", "admin", "patrol"} & nav_keys(page)
    shot(page, "clerk_1_home")
    # A count on the home page opens the list behind it.
    page.locator("a.stat[data-count]").first.click()
    page.wait_for_load_state()
    assert "/cases/" in page.url
    menu(page, "cases")
    page.locator("table.case-table tbody a").first.click()
    page.wait_for_selector("#actions")
    assert "下一步" in page.content()
    shot(page, "clerk_2_case")
    menu(page, "inbox")
    assert "按事件分组" in page.content()
    shot(page, "clerk_3_inbox")
    menu(page, "intake")
    page.wait_for_selector("#id_description")
    shot(page, "clerk_4_intake")
    page.close()


def mediator_journey(browser, url: str) -> None:
    page = log_in(browser, url, "demo_mediator", viewport=DESKTOP)
    assert {"my_disputes", "mediation"} <= nav_keys(page)
    menu(page, "my_disputes")
    for heading in ("分配给我的", "调委会待受理", "本周调解会", "待回访的调解协议"):
        assert heading in page.content()
    shot(page, "mediator_1_disputes")
    link = page.locator("#assigned a, #queue a, #followup a").first
    with page.expect_navigation():
        link.click()
    assert "/mediation/case/" in page.url
    shot(page, "mediator_2_mediation")
    menu(page, "mediation")
    shot(page, "mediator_3_workbench")
    page.close()


def liaison_journey(browser, url: str) -> None:
    page = log_in(browser, url, "demo_police", viewport=DESKTOP)
    assert "unit_tasks" in nav_keys(page)
    assert not {"monitor", "patrol", "my_disputes", "audit"} & nav_keys(page)
    menu(page, "unit_tasks")
    shot(page, "liaison_1_tasks")
    # The demo police unit leads the S2 case, its task under way: complete it from the list.
    card = page.locator("article[data-task]").first
    task_id = int(card.get_attribute("data-task"))
    assert Task.objects.get(pk=task_id).state == Task.State.IN_PROGRESS
    card.locator("summary", has_text="办结").click()
    card.locator("textarea[name=result]").fill("已联合社区、民政上门处置，患者已住院，风险解除。")
    with page.expect_navigation():
        card.locator("button[data-action=complete_task]").click()
    assert "已完成" in page.content()
    assert Task.objects.get(pk=task_id).state == Task.State.DONE
    shot(page, "liaison_2_after_action")
    page.close()


def leader_journey(browser, url: str) -> None:
    page = log_in(browser, url, "demo_leader", viewport=DESKTOP)
    assert {"monitor", "screen", "ledgers", "cases"} <= nav_keys(page)
    assert not {"intake", "unit_tasks", "patrol"} & nav_keys(page)
    shot(page, "leader_1_home")
    menu(page, "monitor")
    assert "/monitor/" in page.url
    shot(page, "leader_2_monitor")
    page.goto(f"{url}/")
    menu(page, "cases")
    assert page.locator("table.case-table tbody tr").count() > 0
    shot(page, "leader_3_cases")
    page.close()


def _photo() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


def grid_worker_journey(browser, url: str) -> None:
    page = log_in(browser, url, "gw001", viewport=PHONE, is_mobile=True, has_touch=True)
    # The menu is folded behind its button on a phone.
    assert not page.locator('nav.mainnav a[data-nav="my_reports"]').is_visible()
    no_sideways_scroll(page)
    shot(page, "gridworker_1_home")
    # Report something found on patrol in the worker's own grid (松林小区网格) …
    menu(page, "patrol")
    page.wait_for_selector("#id_description")
    no_sideways_scroll(page)
    page.select_option("#id_category", index=1)
    page.fill("#id_description", "松林小区3号楼楼道堆放杂物，堵塞消防通道。")
    page.fill("#id_lon", "130.923")
    page.fill("#id_lat", "45.793")
    page.set_input_files(
        "#id_attachments", {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    with page.expect_navigation():
        page.click("form.patrol button[type=submit]")
    number = page.locator("[role=status]").inner_text().split("：")[-1].split()[0]
    shot(page, "gridworker_2_patrol_sent")
    # … and find it under 我上报的.
    menu(page, "my_reports")
    assert page.locator(f'[data-report="{number}"]').count() == 1, number
    no_sideways_scroll(page)
    shot(page, "gridworker_3_my_reports")
    with page.expect_navigation():
        page.locator(f'[data-report="{number}"] a').first.click()
    no_sideways_scroll(page)
    shot(page, "gridworker_4_case")
    menu(page, "cases")
    no_sideways_scroll(page)
    shot(page, "gridworker_5_cases")
    page.close()


def test_each_role_reaches_its_work_through_the_menu(browser, live_server):
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert Mediation.objects.exists()
    url = live_server.url
    clerk_journey(browser, url)
    mediator_journey(browser, url)
    liaison_journey(browser, url)
    leader_journey(browser, url)
    grid_worker_journey(browser, url)
