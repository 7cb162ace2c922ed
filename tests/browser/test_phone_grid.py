"""我的网格 in Chromium at 375 px (issue 16): the grid's households and places open without
signal (cached by the service worker), a tap on a household shows its members masked with the
links to the record and the visit; and a new release's static files replace the old ones."""

import os

import pytest

from fengqiao.registry import services
from fengqiao.registry.models import Household, KeyPersonKind, Place, PlaceKind, Resident
from tests.browser.test_phone_journeys import (
    PHONE,
    WAIT,
    browser,
    check_axe,
    check_contrast,
    check_phone_layout,
    controlled,
    day,
    log_in,
    shot,
)
from tests.case_factories import HUAYUAN_POINT
from tests.test_registry import HUAYUAN_1, citizen_id

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["browser", "day"]


def households(personas, world_grid):
    home = Household.objects.create(
        grid=world_grid, number="H0001", address="花园小区3号楼2单元401", head_name="王建华"
    )
    Household.objects.create(grid=world_grid, number="H0002", address="花园小区5号楼1单元102")
    people = []
    for i, (name, relation, phone) in enumerate(
        [("王建华", "户主", "13904671201"), ("王磊", "子", "13904671203")], start=1
    ):
        r = services.save_resident(
            personas.street_clerk,
            {"grid": world_grid.pk, "kind": "registered", "name": name, "id_number": citizen_id(i),
             "phone": phone, "relation_to_head": relation},
        )  # fmt: skip
        Resident.objects.filter(pk=r.pk).update(household=home)
        people.append(r)
    kp = services.save_key_person(
        personas.street_clerk,
        {"resident": people[1].pk, "risk_level": 2,
         "kind": KeyPersonKind.objects.get(code="serious_mental_disorder").pk},
    )  # fmt: skip
    Place.objects.create(grid=world_grid, name="花园便民超市", kind=PlaceKind.objects.get(code="shop"),
                         lon=HUAYUAN_POINT[0], lat=HUAYUAN_POINT[1])  # fmt: skip
    return home, people, kp


def test_my_grid_households_and_places_offline(day, browser, live_server):
    personas, _task = day
    from fengqiao.territory.models import Grid

    home, people, kp = households(personas, Grid.objects.get(code=HUAYUAN_1))
    url = live_server.url
    context = browser.new_context(**PHONE)
    page = log_in(context, url, personas.grid_worker.username)
    controlled(page)
    context.set_offline(True)
    page.goto(url + "/m/grid/")  # page, data and Leaflet from the service worker's caches
    page.wait_for_selector("#p-map[data-state=ready]", timeout=WAIT)
    cards = page.locator("[data-household]")
    assert cards.count() == 2
    assert "花园便民超市" in page.inner_text("[data-place-list]")
    card = page.locator(f"[data-household='{home.pk}']")
    assert not card.locator("[data-member]").first.is_visible()
    card.locator("summary").click()  # tap: the members
    members = card.locator("[data-member]")
    assert members.count() == 2 and members.first.is_visible()
    text = card.inner_text()
    assert "王建华" in text and "王磊" in text
    assert "139****1201" in text and citizen_id(1)[:3] + "*" * 11 + citizen_id(1)[-4:] in text
    assert "13904671201" not in page.content() and citizen_id(1) not in page.content()
    visit = card.locator(f"[data-member='{people[1].pk}'] a[href='/m/visits/{kp.pk}/']")
    assert visit.count() == 1
    record = card.locator(f"a[href='/registry/residents/{people[0].pk}/']")
    assert record.count() == 1
    shot(page, "11-grid-household-offline")
    # The report link carries the household's address into 上报 (also from the cache).
    card.locator("a[href^='/m/report/?address=']").click()
    page.wait_for_selector("#r-address")
    assert page.input_value("#r-address") == home.address
    context.set_offline(False)
    page.goto(url + "/m/grid/")
    page.wait_for_selector("#p-map[data-state=ready]", timeout=WAIT)
    page.locator(f"[data-household='{home.pk}'] summary").click()
    check_phone_layout(page)
    check_axe(page)  # axe-core is not cached for offline: the tests' own script
    check_contrast(page)
    # Online, the record opens.
    with page.expect_navigation():
        page.locator(f"a[href='/registry/residents/{people[0].pk}/']").click()
    assert "王建华" in page.content()
    context.close()


def until(page, expression: str, expected) -> None:
    """Poll an expression that answers a promise (caches are asynchronous) until it is expected."""
    found = None
    for _ in range(WAIT // 250):
        found = page.evaluate(expression)
        if found == expected:
            return
        page.wait_for_timeout(250)
    raise AssertionError((expression, found, expected))


def test_a_new_release_replaces_the_cached_static_files(day, browser, live_server, monkeypatch):
    personas, _task = day
    from fengqiao.web.phone import views

    url = live_server.url
    context = browser.new_context(**PHONE)
    page = log_in(context, url, personas.grid_worker.username)
    controlled(page)
    keys = (
        "caches.keys().then(k => k.filter(n => n.startsWith('fq-static-')"
        " && n !== 'fq-static-other'))"
    )
    _files, release1 = views.static_revisions()
    until(page, keys, [f"fq-static-{release1}"])
    cached = page.evaluate(
        f"caches.open('fq-static-{release1}').then(c => c.keys())"
        ".then(r => r.map(x => new URL(x.url).pathname))"
    )
    assert "/static/phone/app.js" in cached and "/static/leaflet/leaflet.js" in cached

    # The release changes a file: the worker's bytes change, the browser installs it.
    real = views.static_revisions
    monkeypatch.setattr(
        views, "static_revisions",
        lambda: (lambda files, _r: ([{**f, "revision": "0" * 16} for f in files], "f" * 16))(*real()),
    )  # fmt: skip
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    # Installed, precached into its own cache, activated: the old release's cache is gone.
    until(page, keys, ["fq-static-" + "f" * 16])
    cached = page.evaluate(
        "caches.open('fq-static-ffffffffffffffff').then(c => c.keys())"
        ".then(r => r.map(x => new URL(x.url).pathname))"
    )
    assert "/static/phone/app.js" in cached and "/static/leaflet/leaflet.js" in cached
    page.reload()
    page.wait_for_selector("#section-tasks")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    context.close()
