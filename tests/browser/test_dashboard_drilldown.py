"""The district dashboard in a real browser: click a bar of the territory chart and land on the
list of the cases behind it, with the same filters."""

import os
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.cases.models import Case, CaseState, Category, Channel
from tests.browser.test_grid_map import browser, log_in, people  # noqa: F401 (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_cases(world) -> dict[str, int]:
    category = Category.objects.get(code="neighbourhood")
    channel = Channel.objects.get(code="screening")
    start = timezone.make_aware(datetime(2025, 3, 3, 10, 0))
    rows, per_street = [], {}
    for n, grid in enumerate(list(world.grids.values()) * 3):
        community = grid.community
        per_street[community.parent.name] = per_street.get(community.parent.name, 0) + 1
        rows.append(
            Case(
                tracking_number=f"BR-{n:04d}", kind="dispute", category=category,
                title=f"纠纷{n}", channel=channel, grid=grid, community=community,
                street=community.parent, district=world.district, region_path=community.path,
                created_at=start + timedelta(days=n), state=CaseState.IN_PROGRESS,
            )
        )  # fmt: skip
    Case.objects.bulk_create(rows)
    rebuild_all_facts()
    return per_street


def test_click_a_territory_bar_opens_its_cases(people, browser, live_server):  # noqa: F811
    world, personas = people
    per_street = make_cases(world)
    page = log_in(
        browser, live_server, personas.leader.username, viewport={"width": 1280, "height": 900}
    )
    page.goto(f"{live_server.url}/monitor/?region={world.district.pk}&period=2025")
    page.wait_for_selector("#chart-places[data-state=ready]")
    names = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-places')).getOption().xAxis[0].data"
    )
    target = names[0]
    # The pixel of the middle of the first bar, then a real mouse click on it.
    x, y = page.evaluate(
        """() => { const c = echarts.getInstanceByDom(document.getElementById('chart-places'));
           const v = c.getOption().series[0].data[0].value;
           return c.convertToPixel({seriesIndex: 0}, [0, v / 2]); }"""
    )
    page.locator("#chart-places").scroll_into_view_if_needed()
    box = page.locator("#chart-places").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/monitor/cases/**")
    assert "indicator=screened" in page.url and "period=2025" in page.url
    total = int(page.inner_text("#drill-total"))
    assert total == per_street[target]
    assert page.locator("#drill-cases tbody tr").count() == total
