"""S4 in a real browser: the liaison reports progress with an evidence file on its letter at
375 px, the office returns it with a reason, the page shows both, in Chinese."""

import os
from datetime import date

import pytest

from fengqiao.accountability import actions
from fengqiao.accountability.models import ProgressReport
from tests.accountability_factories import make_group
from tests.browser.shots import folder
from tests.browser.test_grid_map import browser, log_in, people  # noqa: F401 (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = str(folder())
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_liaison_reports_and_office_returns(people, browser, live_server, tmp_path):  # noqa: F811
    world, personas = people
    g = make_group(world, personas)
    letter = actions.create_letter(g.office, g.police, number="桃平安〔2026〕1号")
    actions.add_task(g.office, letter, title="电信诈骗案件破案", measures="开展断卡行动",
                     target_kind="number", target_number="50", target_unit="起",
                     deadline=date(2026, 11, 30), weight="30")  # fmt: skip
    actions.sign(personas.leader, letter, side="group", signatory="领导丁")
    actions.sign(personas.liaison, letter, side="unit", signatory="所长王某")
    evidence = tmp_path / "破案统计.png"
    evidence.write_bytes(PNG)

    page = log_in(browser, live_server, personas.liaison.username,
                  viewport={"width": 375, "height": 800})  # fmt: skip
    page.goto(f"{live_server.url}/accountability/letters/{letter.pk}/")
    assert "目标管理责任书" in page.content()
    page.fill("textarea[name=text]", "已破案30起")
    page.fill("input[name=achieved_number]", "30")
    page.set_input_files("input[name=files]", str(evidence))
    page.click("text=报送进展")
    page.wait_for_selector("text=已保存。")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "s4_liaison.png"), full_page=True)
    report = ProgressReport.objects.get()
    assert report.evidence.count() == 1

    office = log_in(
        browser, live_server, g.office.username, viewport={"width": 1280, "height": 900}
    )
    office.goto(f"{live_server.url}/accountability/letters/{letter.pk}/")
    office.fill("input[name=note]", "请附案件清单")
    office.click("button[value=return]")
    office.wait_for_selector("text=请附案件清单")
    if SHOTS:
        office.screenshot(path=os.path.join(SHOTS, "s4_office.png"), full_page=True)
    report.refresh_from_db()
    assert report.state == "returned"
