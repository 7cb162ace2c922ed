"""The monitoring room's panels of the registry, warnings and campaigns: each figure links to
the list behind it, and the list holds exactly that many rows; scoped to the user's area."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from fengqiao.campaigns import screening
from fengqiao.registry import monitor as registry_monitor
from fengqiao.registry import services
from fengqiao.registry.models import KeyPerson, KeyPersonKind
from fengqiao.risk import actions as risk
from fengqiao.risk import monitor as risk_monitor
from fengqiao.risk.models import Level
from tests.case_factories import make_case_world
from tests.test_registry import HUAYUAN_1, SONGSHAN_1, citizen_id


@pytest.fixture
def room(world, personas):
    cw = make_case_world(world)
    clerk = personas.street_clerk
    smd = KeyPersonKind.objects.get(code="serious_mental_disorder")
    for seq, grid, started in ((51, HUAYUAN_1, 90), (52, SONGSHAN_1, 1)):
        r = services.save_resident(
            clerk,
            {"grid": world.grids[grid].pk, "kind": "registered", "name": f"人{seq}",
             "id_number": citizen_id(seq)},
        )  # fmt: skip
        services.save_key_person(
            clerk,
            {"resident": r.pk, "kind": smd.pk, "risk_level": 3,
             "started_on": date.today() - timedelta(days=started)},
        )  # fmt: skip
    risk.raise_manual(
        cw.huayuan_clerk, {"level": Level.HIGH, "title": "a", "grid": world.grids[HUAYUAN_1]}
    )
    risk.raise_manual(
        cw.district_clerk, {"level": Level.LOW, "title": "b", "grid": world.grids[SONGSHAN_1]}
    )
    c = screening.create_campaign(
        cw.district_clerk,
        {"name": "安全隐患排查", "kind": "hazards", "region": world.district.code,
         "starts_on": timezone.localdate().isoformat(),
         "ends_on": (timezone.localdate() + timedelta(days=7)).isoformat(), "form_fields": []},
    )  # fmt: skip
    screening.assign_grids(cw.district_clerk, c, {HUAYUAN_1: 4})
    screening.move_campaign(cw.district_clerk, c, "activate")
    screening.record_screening(personas.grid_worker, c, {"grid": HUAYUAN_1, "address": "1栋"})
    return cw, c


def _links(html: str, title: str) -> list[tuple[str, str]]:
    section = html.split(title, 1)[1].split("</section>", 1)[0]
    return [
        (url.replace("&amp;", "&"), text)
        for url, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    ]


def test_panels_drill_down_to_the_lists_behind_them(room, personas, client_for):
    cw, c = room
    client = client_for(cw.district_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the titles below are the English
    html = client.get("/monitor/cards/").content.decode()  # the page loads its cards from here
    kp = dict((t, u) for u, t in _links(html, "Key persons and visits") or [])
    assert kp, html[:200]
    overdue_url = next(u for t, u in kp.items() if "overdue" in t.lower())
    overdue = int(re.search(r"(\d+)$", next(t for t in kp if kp[t] == overdue_url)).group(1))
    assert overdue == KeyPerson.objects.filter(next_visit_due__lt=date.today()).count() == 1
    listing = client.get(overdue_url).content.decode()
    assert "人51" in listing and "人52" not in listing
    warnings = _links(html, "Open warnings by level")
    high = next(u for u, t in warnings if t.endswith(": 1") and "level=high" in u)
    page = client.get(high).content.decode()
    assert page.count('href="/risk/warnings/') == 1  # the one high warning, not the low one
    camp = _links(html, "Screening campaigns: completion")
    assert any(u == f"/campaigns/{c.pk}/" and "(1 / 4)" in t for u, t in camp)


def test_figures_are_scoped(room, personas):
    gw = registry_monitor.figures(personas.grid_worker)
    assert gw["total"] == 1 and gw["overdue"] == 1
    assert registry_monitor.figures(personas.outsider) is None
    cw, _c = room
    assert risk_monitor.open_by_level(cw.huayuan_clerk)["low"] == 0
    assert risk_monitor.open_by_level(cw.district_clerk) == {
        "low": 1, "medium": 0, "high": 1, "major": 0,
    }  # fmt: skip


def test_outsider_sees_no_monitor(room, personas, client_for):
    r = client_for(personas.outsider).get("/monitor/")
    assert r.status_code in (403, 404)
