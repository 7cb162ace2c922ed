"""A key-person visit recorded on the phone without signal (issue 16), in Chromium at 375×812:
the visit form of a key person on 今日's visits due is kept by the service worker, opens with the
network cut, queues the visit; back online the queue sends it (the answer to the first send is
lost on the way, so the phone sends it again with the same key) and exactly one visit exists. A
visit the server refuses stays in the queue with its reason."""

import os
from datetime import date, timedelta

import pytest
from django.utils import translation

from fengqiao.registry import services
from fengqiao.registry.models import Household, KeyPersonKind, Resident, Visit
from tests.browser.test_phone_grid import until
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
from tests.test_registry import HUAYUAN_1, citizen_id

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["browser", "day"]


def overdue_key_person(personas):
    from fengqiao.territory.models import Grid

    grid = Grid.objects.get(code=HUAYUAN_1)
    home = Household.objects.create(grid=grid, number="H0007", address="花园小区7号楼1单元302")
    r = services.save_resident(
        personas.street_clerk,
        {"grid": grid.pk, "kind": "registered", "name": "赵志强", "id_number": citizen_id(7),
         "phone": "13904671207", "relation_to_head": "户主"},
    )  # fmt: skip
    Resident.objects.filter(pk=r.pk).update(household=home)
    kp = services.save_key_person(
        personas.street_clerk,
        {"resident": r.pk, "risk_level": 3, "started_on": date.today() - timedelta(days=30),
         "kind": KeyPersonKind.objects.get(code="serious_mental_disorder").pk},
    )  # fmt: skip
    assert kp.next_visit_due < date.today()
    return kp


def test_a_visit_recorded_offline_arrives_once(day, browser, live_server):
    personas, _task = day
    kp = overdue_key_person(personas)
    url = live_server.url
    form_url = f"/m/visits/{kp.pk}/"
    context = browser.new_context(**PHONE)
    page = log_in(context, url, personas.grid_worker.username)
    controlled(page)
    link = page.locator(f"#visit-{kp.pk} a[data-visit-link]")
    assert link.get_attribute("href") == form_url
    # 今日 asked the service worker to keep the form of each visit due.
    until(page, f"caches.open('fq-pages-v1').then(c => c.match('{form_url}')).then(r => !!r)", True)
    # 我的网格 links the key person to the same form.
    page.goto(url + "/m/grid/")
    page.wait_for_selector("#p-map[data-state=ready]", timeout=WAIT)
    assert page.locator(f"[data-member] a[href='{form_url}']").count() == 1

    page.goto(url + form_url)
    check_phone_layout(page)
    check_axe(page)
    check_contrast(page)

    # Signal lost: open the form from 今日 (both from the cache), record the visit.
    context.set_offline(True)
    page.goto(url + "/m/")
    page.locator(f"#visit-{kp.pk} a[data-visit-link]").click()
    page.wait_for_selector("[data-visit-form]")
    assert "赵志强" in page.inner_text("main")
    page.select_option("#v-method", "home")
    page.fill("#v-findings", "入户走访，本人在家，按时服药，情绪稳定")
    page.select_option("#v-level", "2")
    page.click("[data-visit-form] button[type=submit]")
    page.wait_for_selector("[data-ok]:not([hidden])")
    # A second visit dated tomorrow: the server will refuse it, and the phone must say so.
    page.fill("#v-date", (date.today() + timedelta(days=1)).isoformat())
    page.fill("#v-findings", "补录")
    page.click("[data-visit-form] button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-visit-form]').dataset.queued === 'waiting waiting'",
        timeout=WAIT,
    )
    assert page.is_visible("[data-visit-pending]")
    shot(page, "21-visit-offline")
    assert not Visit.objects.exists()  # nothing sent yet

    # Back online, but the signal drops after the server took the visit: its answer never
    # reaches the phone, which sends it again with the same key.
    dropped = []

    def drop_first_answer(route):
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server runs it
            dropped.append(route.request.url)
            context.set_offline(True)
            route.abort("internetdisconnected")
            return
        route.continue_()

    context.route("**/api/v1/registry/key-persons/*/visits/", drop_first_answer)
    context.set_offline(False)
    page.evaluate("FQQueue.drain()")
    page.wait_for_function("() => !navigator.onLine", timeout=WAIT)
    assert len(dropped) == 1
    assert Visit.objects.filter(key_person=kp).count() == 1
    context.set_offline(False)
    page.evaluate("FQQueue.drain()")
    page.wait_for_function(
        "() => document.querySelector('[data-visit-form]').dataset.queued === 'done failed'",
        timeout=WAIT,
    )
    # The refusal is shown with its reason, on the form and in the queue.
    pending = page.inner_text("[data-visit-pending]")
    with translation.override("zh-hans"):
        future = translation.gettext("This cannot lie in the future.")
    assert future in pending and "走访" in pending, pending
    shot(page, "22-visit-refused-shown")
    page.goto(url + "/m/me/")
    page.wait_for_selector("[data-queue-list] li.is-failed")
    assert future in page.inner_text("[data-queue-list] li.is-failed")
    shot(page, "23-visit-queue")

    visits = list(Visit.objects.filter(key_person=kp))
    assert len(visits) == 1
    assert visits[0].findings == "入户走访，本人在家，按时服药，情绪稳定"
    assert visits[0].visitor == personas.grid_worker
    kp.refresh_from_db()
    assert kp.last_visit_on == date.today() and kp.risk_level == 2
    context.close()
