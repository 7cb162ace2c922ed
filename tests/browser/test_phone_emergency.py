"""应急任务 and 报到 on the phone without signal (issues 19 S5 and 16), in Chromium at 375×812: the
grid worker's 今日 lists the open emergency tasks of their grid, overdue first, with the hour
deadline and the event; with the network cut they accept and complete a task and check in with
their position; back online the queue sends the three in order (the answer to the first send is
lost on the way, so the phone sends it again with the same key) and each arrives exactly once."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.emergency import actions
from fengqiao.emergency.models import CheckIn, EventLog, Task, TaskState
from tests.browser.test_phone_journeys import (
    PHONE,
    WAIT,
    browser,
    check_axe,
    check_contrast,
    check_phone_layout,
    controlled,
    log_in,
    queue_states,
    shot,
    wait_drained,
)
from tests.emergency_factories import make_setup
from tests.factories import make_personas, make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["browser"]

GRID = "230903013001001"  # the grid worker's grid
POSITION = {"latitude": 45.7712, "longitude": 131.0031}


@pytest.fixture
def emergency():
    world = make_world()
    personas = make_personas(world)
    s = make_setup(world, personas)
    actions.activate(s.commander, s.event)
    grid = world.grids[GRID].pk
    task = actions.assign_task(s.office, s.event, title="全员入户排查", hours=12, grid=grid,
                               detail="逐户登记体温和行程")  # fmt: skip
    late = actions.assign_task(s.office, s.event, title="核酸采样点值守", hours=4, grid=grid)
    given = timezone.now() - timedelta(hours=6)
    Task.objects.filter(pk=late.pk).update(assigned_at=given, deadline=given + timedelta(hours=4))
    actions.assign_task(s.office, s.event, title="邻格任务", hours=3,
                        grid=world.grids["230903013001002"].pk)  # fmt: skip
    return personas, s, task, late


def test_accept_complete_and_check_in_offline_arrive_once(emergency, browser, live_server):
    personas, _s, task, late = emergency
    url = live_server.url
    context = browser.new_context(**PHONE, permissions=["geolocation"], geolocation=POSITION)
    page = log_in(context, url, personas.grid_worker.username)
    controlled(page)
    section = page.locator("#section-emergency")
    titles = section.locator("[data-emtask] h3").all_inner_texts()
    assert titles == ["核酸采样点值守", "全员入户排查"]  # overdue first; not the other grid's
    first = section.locator("[data-emtask]").first
    assert "超期" in first.inner_text() and "桃山区疫情防控" in first.inner_text()
    assert "限12小时" in page.inner_text(f"#emtask-{task.pk}")
    check_phone_layout(page)
    check_axe(page)
    check_contrast(page)
    shot(page, "31-emergency-today")

    # Signal lost: accept, complete, check in, all queued.
    context.set_offline(True)
    card = page.locator(f"#emtask-{task.pk}")
    card.locator("[data-emtask-accept]").click()
    card.locator("[data-emtask-complete]:not([hidden]) textarea").fill(
        "入户86户，发现发热1人已上报"
    )
    card.locator("[data-emtask-complete] button[type=submit]").click()
    checkin = page.locator("[data-checkin-form]")
    checkin.locator("textarea").fill("已到岗，开始入户")
    checkin.locator("input[name=where]").check()
    checkin.locator("button[type=submit]").click()
    page.wait_for_function("() => document.body.dataset.queueOpen === '3'", timeout=WAIT)
    assert queue_states(page) == ["waiting"] * 3
    assert page.is_visible(f"#emtask-{task.pk} [data-pending]")
    assert page.is_visible("[data-checkin-pending]")
    shot(page, "32-emergency-offline")
    assert Task.objects.get(pk=task.pk).state == TaskState.ASSIGNED
    assert not CheckIn.objects.exists()

    # Back online, but the answer to the first send is lost: the phone sends it again with the
    # same key, the server replays its answer.
    dropped = []

    def drop_first_answer(route):
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server runs it
            dropped.append(route.request.url)
            context.set_offline(True)
            route.abort("internetdisconnected")
            return
        route.continue_()

    context.route("**/api/v1/emergency/**", drop_first_answer)
    context.set_offline(False)
    page.evaluate("FQQueue.drain()")
    page.wait_for_function("() => !navigator.onLine", timeout=WAIT)
    assert dropped == [f"{url}/api/v1/emergency/tasks/{task.pk}/accept/"]
    assert Task.objects.get(pk=task.pk).state == TaskState.ACCEPTED
    context.set_offline(False)
    page.evaluate("FQQueue.drain()")
    wait_drained(page, 3)
    assert queue_states(page) == ["done"] * 3

    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.result == "入户86户，发现发热1人已上报"
    assert task.accepted_by == personas.grid_worker == task.done_by
    actions_logged = list(EventLog.objects.filter(task=task).values_list("action", flat=True))
    assert actions_logged == ["assign", "accept", "complete"]
    row = CheckIn.objects.get()
    assert (row.user, row.note) == (personas.grid_worker, "已到岗，开始入户")
    assert (row.lat, row.lng) == (POSITION["latitude"], POSITION["longitude"])
    assert Task.objects.get(pk=late.pk).state == TaskState.ASSIGNED

    # 今日 again: the done task is gone, the overdue one stays.
    page.reload()
    assert section.locator("[data-emtask] h3").all_inner_texts() == ["核酸采样点值守"]
    shot(page, "33-emergency-sent")
    context.close()
