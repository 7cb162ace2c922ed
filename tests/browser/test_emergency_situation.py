"""S5 on the big screen: the district leader opens an active event's situation view at
1920×1080: the key figures, the screening roll-up by street, the open tasks with the overdue one
first, the incidents on the Leaflet map (drawn by the app's static script, no CSP violation),
everything on one screen without scrolling, in Chinese."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.campaigns import screening
from fengqiao.cases import actions as cases
from fengqiao.emergency import actions
from fengqiao.emergency.models import Task
from tests.browser.shots import folder
from tests.browser.test_grid_map import browser, log_in, people  # noqa: F401 (fixtures)
from tests.case_factories import case_data, make_case_world
from tests.emergency_factories import make_setup

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = str(folder())


def test_situation_view_on_the_big_screen(people, browser, live_server, tmp_path):  # noqa: F811
    world, personas = people
    s = make_setup(world, personas)
    cw = make_case_world(world)
    event = actions.activate(s.commander, s.event)
    c = screening.create_campaign(cw.district_clerk, {
        "name": "疫情防控入户排查", "kind": "epidemic", "region": world.district.code,
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "form_fields": [{"name": "fever", "label": "是否发热", "type": "bool", "required": True}],
    })  # fmt: skip
    screening.assign_grids(cw.district_clerk, c, {"230903013001001": 4, "230903012001001": 2})
    c = screening.move_campaign(cw.district_clerk, c, "activate")
    screening.record_screening(personas.grid_worker, c, {
        "grid": "230903013001001", "address": "1栋101", "answers": {"fever": False}})  # fmt: skip
    actions.link_campaign(s.commander, event, c.pk)
    for point in ((131.003, 45.775), (131.012, 45.785)):
        case = cases.intake(cw.huayuan_clerk, case_data(point=point), "screening").case
        actions.link_case(s.commander, event, case.pk)
    actions.assign_task(s.commander, event, title="设置核酸检测点", hours=6,
                        body=s.groups["medical"].pk)  # fmt: skip
    late = actions.assign_task(s.commander, event, title="转运隔离人员", hours=2,
                               grid=world.grids["230903012001001"].pk)  # fmt: skip
    Task.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(hours=3))
    actions.check_in(s.member, event, note="到岗", place="河畔社区")

    page = log_in(browser, live_server, personas.leader.username,
                  viewport={"width": 1920, "height": 1080})  # fmt: skip
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/emergency/events/{event.pk}/situation/")
    page.wait_for_selector("#sit-map[data-state=ready]")
    assert page.get_attribute("#sit-map", "data-count") == "2"
    text = page.inner_text("body")
    assert "态势图" in text and "桃山区疫情防控" in text and "1办2组1专班" in text
    assert "桃西街道" in text and "桃南街道" in text  # the roll-up by street
    tasks = page.inner_text(".sit-tasks")
    assert tasks.index("转运隔离人员") < tasks.index("设置核酸检测点")
    assert page.locator(".sit-tasks li").first.get_attribute("class") == "overdue"
    assert page.locator(".sit-tasks li.overdue").count() == 1
    # Two incidents as markers, over the grids of the district.
    assert page.locator("#sit-map path.leaflet-interactive").count() >= 2 + len(world.grids)
    assert not violations and not errors
    # One screen: no scrolling at 1920×1080.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 1080, height
    for target in filter(None, (SHOTS, str(tmp_path))):
        page.screenshot(path=os.path.join(target, "s5_situation_1920.png"))
