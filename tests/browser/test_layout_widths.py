"""The desk at three widths in headless Chromium: each role's main pages (its navigation, a case
and a dispute) on a 375×812 phone are readable (the document never scrolls sideways, only a
table inside its own wrapper may; no visible text under 12 px), and at 1280 and 1920 px the page
never scrolls sideways either; axe-core finds no serious or critical violation on each role's
pages at 1280 px.

One browser and one test (a browser fixture scoped to the module outlived the test's database
teardown and left the next transactional test without the preloaded data); each page is loaded
once at 375 px, then the same page is widened.
Screenshots of the phone size go to the journeys' folder (tests/browser/shots.py).
"""

import os

import pytest

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Role
from fengqiao.cases.views_actions import perform
from fengqiao.web.context import NAV_ORDER, nav_for
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import shot
from tests.browser.test_desk_pages import check_axe
from tests.case_factories import report, use_immediate_tasks
from tests.factories import PASSWORD, assign, make_personas, make_user, make_world
from tests.mediation_factories import make_mediation_world, started

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 812}
WIDE = [{"width": 1280, "height": 900}, {"width": 1920, "height": 1080}]
WAIT = 20_000
# Pages that are not desk pages: the phone app has its own test (test_phone_journeys), the big
# screen is made for a wall, the grid editor for a desktop; /admin/ is Django's admin site.
NOT_DESK = ("/m/", "/monitor/screen/", "/territory/edit/", "/admin/")

# Visible text smaller than 12 px: elements with a text node of their own, shown, not clipped
# away for screen readers only (a 1 px box).
SMALL_TEXT = """() => {
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const size = parseFloat(style.fontSize);
    if (size < 12) found.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + size + 'px: '
                             + el.textContent.trim().slice(0, 30));
  }
  return found.slice(0, 10);
}"""
SIDEWAYS = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= window.innerWidth) return null;
  // the widest elements that stick out, to name them in the failure
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !el.closest('.table-wrap')) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className
               + ' ' + Math.round(r.right) + 'px');
    }
  }
  return {width: doc.scrollWidth, items: out.slice(0, 8)};
}"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser, url: str, user):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(f"{url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def desk_pages(user) -> list[str]:
    allowed = nav_for(access_for(user))
    urls = [item.url for item in NAV_ORDER if allowed.get(item.key)]
    return [u for u in urls if not u.startswith(NOT_DESK)]


def test_main_desk_pages_fit_phone_and_wide_screens(settings, browser, live_server):
    use_immediate_tasks(settings)
    world = make_world()
    personas = make_personas(world)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    mediation = started(world, mw)
    judicial = make_user("judicial_taoxi", "司法所甲")
    assign(judicial, Role.JUDICIAL_OFFICE, region=world.taoxi)
    case = report(None).case
    case = perform(mw.cw.huayuan_clerk, case, "accept", {"expected_version": case.version})
    case = perform(mw.cw.huayuan_clerk, case, "escalate",
                   {"reason": "需街道协调", "expected_version": case.version})  # fmt: skip
    roles = {
        "street_clerk": (personas.street_clerk, [f"/cases/{case.pk}/"]),
        "station_clerk": (mw.cw.huayuan_clerk, [f"/cases/{case.pk}/"]),
        "grid_worker": (personas.grid_worker, []),
        "liaison": (personas.liaison, []),
        "leader": (personas.leader, []),
        "admin": (personas.admin, []),
        "mediator": (mw.lead, [f"/mediation/case/{mediation.case_id}/"]),
        "judicial_office": (judicial, [f"/mediation/supervision/{mediation.pk}/"]),
    }
    url = live_server.url
    failures: list[str] = []
    for role, (user, extra) in roles.items():
        page = log_in(browser, url, user)
        pages = [*desk_pages(user), *extra]
        assert pages, role
        for path in pages:
            page.set_viewport_size(PHONE)
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            wide = page.evaluate(SIDEWAYS)
            if wide:
                failures.append(f"{role} {path} at 375: {wide}")
            small = page.evaluate(SMALL_TEXT)
            if small:
                failures.append(f"{role} {path} text under 12 px: {small}")
            shot(page, f"phone-{role}-{path.strip('/').replace('/', '-') or 'home'}")
            for size in WIDE:
                page.set_viewport_size(size)
                wide = page.evaluate(SIDEWAYS)
                if wide:
                    failures.append(f"{role} {path} at {size['width']}: {wide}")
            if path == pages[0] or path in extra:
                try:
                    check_axe(page)
                except AssertionError as e:
                    failures.append(f"{role} {path} axe: {e}")
        page.context.close()
    assert not failures, "\n".join(failures)
