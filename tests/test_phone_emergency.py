"""应急任务 and 报到 on the phone's 今日 (issues 19 S5 and 16): a grid worker sees the open tasks
of active emergency events given to their own grids, overdue first with the hour deadline and
the event's name, and the check-in form of those events; accepting, completing and checking in
go to the emergency REST API with an Idempotency-Key (a replay changes nothing, a stale state
is a 409); another grid's worker and an outsider see none of it and get 404."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Role
from fengqiao.emergency import actions
from fengqiao.emergency.models import CheckIn, Task, TaskState
from fengqiao.org.models import EmploymentType, GridWorker
from fengqiao.web.phone.sections import checkin_section, emergency_section, today_sections
from fengqiao.web.workbench import grid_emergency_tasks as emergency_tasks
from tests.emergency_factories import make_setup
from tests.factories import assign, make_user

MINE = "230903013001001"  # personas.grid_worker's grid
OTHER = "230903013001002"  # the other grid of 花园社区


@pytest.fixture
def s(world, personas):
    setup = make_setup(world, personas)
    actions.activate(setup.commander, setup.event)
    return setup


@pytest.fixture
def neighbour(world):
    """The worker of the other grid of the same community."""
    u = make_user("gw_neighbour", "网格员邻")
    grid = world.grids[OTHER]
    assign(u, Role.GRID_WORKER, grids=[grid])
    GridWorker.objects.create(user=u, employment_type=EmploymentType.FULL_TIME).grids.set([grid])
    return u


def give(s, world, code, title, hours):
    return actions.assign_task(s.office, s.event, title=title, hours=hours,
                               grid=world.grids[code].pk)  # fmt: skip


def sections_of(user):
    request = RequestFactory().get("/m/")
    request.user = user
    return {x.key: x for x in today_sections(request, access_for(user))}


def test_my_grid_tasks_overdue_first_then_by_deadline(s, world, personas, neighbour):
    later = give(s, world, MINE, "重点人员健康监测", 24)
    soon = give(s, world, MINE, "全员入户排查", 6)
    late = give(s, world, MINE, "核酸采样点值守", 4)
    past = timezone.now() - timedelta(hours=10)
    Task.objects.filter(pk=late.pk).update(assigned_at=past, deadline=past + timedelta(hours=4))
    done = give(s, world, MINE, "已完成的任务", 2)
    actions.accept_task(personas.grid_worker, done)
    actions.complete_task(personas.grid_worker, done, result="完成")
    give(s, world, OTHER, "邻格任务", 1)
    actions.assign_task(s.office, s.event, title="组里的任务", hours=1, body=s.groups["medical"].pk)

    tasks = emergency_tasks(personas.grid_worker)
    assert [t.title for t in tasks] == ["核酸采样点值守", "全员入户排查", "重点人员健康监测"]
    assert [t.is_late for t in tasks] == [True, False, False]
    assert [t.pk for t in tasks] == [late.pk, soon.pk, later.pk]

    page = sections_of(personas.grid_worker)
    assert list(page)[:2] == ["emergency", "checkin"]
    assert [e.pk for e in page["checkin"].items] == [s.event.pk]
    # The neighbour sees their grid's task only.
    assert [t.title for t in emergency_tasks(neighbour)] == ["邻格任务"]


def test_the_page_shows_deadline_event_and_the_queue_urls(s, world, personas, client_for):
    t = give(s, world, MINE, "全员入户排查", 12)
    html = client_for(personas.grid_worker).get("/m/").content.decode()
    assert "应急任务" in html and "全员入户排查" in html and "桃山区疫情防控" in html
    assert timezone.localtime(t.deadline).strftime("%m-%d %H:%M") in html
    assert "限12小时" in html
    assert f'data-accept-url="/api/v1/emergency/tasks/{t.pk}/accept/"' in html
    assert f'data-complete-url="/api/v1/emergency/tasks/{t.pk}/complete/"' in html
    assert f'data-url="/api/v1/emergency/events/{s.event.pk}/checkins/"' in html
    assert "phone/emergency.js" in html and "<script>" not in html


def test_nothing_without_an_active_event_or_for_others(s, world, personas, neighbour, client_for):
    give(s, world, OTHER, "邻格任务", 3)
    # My grid has no task: no section, no check-in form (the event is not mine to check in to).
    assert {"emergency", "checkin"}.isdisjoint(sections_of(personas.grid_worker))
    assert "邻格任务" not in client_for(personas.grid_worker).get("/m/").content.decode()
    for user in (personas.outsider, personas.station_clerk):
        assert emergency_tasks(user) == []
        request = RequestFactory().get("/m/")
        request.user = user
        assert emergency_section(request, access_for(user)) is None
        assert checkin_section(request, access_for(user)) is None
    actions.stand_down(s.commander, s.event)
    assert emergency_tasks(neighbour) == [] and "emergency" not in sections_of(neighbour)


def test_accept_complete_check_in_once_each_and_stale_is_409(s, world, personas, neighbour,
                                                             client_for):  # fmt: skip
    t = give(s, world, MINE, "全员入户排查", 12)
    gw = client_for(personas.grid_worker)
    accept = f"/api/v1/emergency/tasks/{t.pk}/accept/"
    first = gw.post(accept, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="em-a")
    again = gw.post(accept, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="em-a")
    assert first.status_code == 200 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    stale = gw.post(accept, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="em-b")
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "transition"
    done = f"/api/v1/emergency/tasks/{t.pk}/complete/"
    for _ in range(2):
        r = gw.post(done, {"result": "入户80户"}, content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="em-c")  # fmt: skip
        assert r.status_code == 200 and r.json()["state"] == "done"
    t.refresh_from_db()
    assert t.state == TaskState.DONE and t.version == 3
    assert [e.action for e in t.log.order_by("at", "id")] == ["assign", "accept", "complete"]
    checkins = f"/api/v1/emergency/events/{s.event.pk}/checkins/"
    body = {"note": "已到岗", "lat": 45.771, "lng": 131.003}
    for _ in range(2):
        r = gw.post(checkins, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="em-d")
        assert r.status_code == 201
    row = CheckIn.objects.get(user=personas.grid_worker)
    assert (row.note, row.lat, row.lng) == ("已到岗", 45.771, 131.003)
    assert not emergency_tasks(personas.grid_worker)


def test_other_grids_worker_and_outsider_get_404(s, world, personas, neighbour, client_for):
    t = give(s, world, MINE, "全员入户排查", 12)
    give(s, world, OTHER, "邻格任务", 12)  # the neighbour sees the event through this one
    for user in (neighbour, personas.outsider):
        c = client_for(user)
        for url, body in ((f"/api/v1/emergency/tasks/{t.pk}/accept/", {}),
                          (f"/api/v1/emergency/tasks/{t.pk}/complete/", {"result": "x"})):  # fmt: skip
            assert c.post(url, body, content_type="application/json").status_code == 404, url
        assert "全员入户排查" not in c.get("/m/").content.decode()
    listed = client_for(neighbour).get(f"/api/v1/emergency/events/{s.event.pk}/tasks/").json()
    assert [r["title"] for r in listed] == ["邻格任务"]
    page = client_for(neighbour).get(f"/emergency/events/{s.event.pk}/").content.decode()
    assert "邻格任务" in page and "全员入户排查" not in page
    outsider = client_for(personas.outsider)
    assert outsider.post(f"/api/v1/emergency/events/{s.event.pk}/checkins/", {"note": "x"},
                         content_type="application/json").status_code == 404  # fmt: skip
    assert Task.objects.get(pk=t.pk).state == TaskState.ASSIGNED and not CheckIn.objects.exists()
