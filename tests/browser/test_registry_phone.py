"""A grid worker on a phone (375 px): the visits due list through the menu, a visit recorded."""

import os
from datetime import date, timedelta

import pytest

from fengqiao.registry import services
from fengqiao.registry.models import KeyPersonKind, Visit
from tests.browser.test_role_journeys import PHONE, browser, menu, no_sideways_scroll, shot
from tests.factories import PASSWORD
from tests.test_registry import HUAYUAN_1, citizen_id

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["browser"]


def test_grid_worker_records_a_due_visit_on_the_phone(browser, live_server, world, personas):
    r = services.save_resident(
        personas.street_clerk,
        {"grid": world.grids[HUAYUAN_1].pk, "kind": "registered", "name": "张建国",
         "id_number": citizen_id(1), "phone": "13900001111"},
    )  # fmt: skip
    kp = services.save_key_person(
        personas.street_clerk,
        {"resident": r.pk, "kind": KeyPersonKind.objects.get(code="serious_mental_disorder").pk,
         "risk_level": 3, "started_on": date.today() - timedelta(days=30)},
    )  # fmt: skip
    page = browser.new_page(locale="zh-CN", viewport=PHONE)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", personas.grid_worker.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    menu(page, "visits_due")
    assert "张建国" in page.content() and "逾期" in page.content()
    no_sideways_scroll(page)
    shot(page, "registry-visits-due-phone")
    with page.expect_navigation():
        page.click("text=张建国")
    no_sideways_scroll(page)
    page.fill("textarea[name=findings]", "情绪稳定，按时服药")
    shot(page, "registry-visit-form-phone")
    with page.expect_navigation():
        page.click("button.reg-big")
    assert Visit.objects.filter(key_person=kp).count() == 1
    assert "情绪稳定" in page.content()
