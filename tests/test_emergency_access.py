"""Nobody sees an emergency event beyond their area or their part in it: every page and endpoint
of /emergency/ and /api/v1/emergency/ answers 404 to an outsider, to staff of another street and
to the station clerk of another community; lists leave other areas' rows out; nothing changes."""

import pytest
from django.utils import timezone

from fengqiao.emergency import actions
from fengqiao.emergency.models import CheckIn, Drill, Event, EventState, Plan, Task
from tests.emergency_factories import make_setup
from tests.factories import assign, make_user


@pytest.fixture
def setup(world, personas):
    s = make_setup(world, personas)
    actions.activate(s.commander, s.event)
    task = actions.assign_task(s.commander, s.event, title="核酸采样任务甲", hours=6,
                               grid=world.grids["230903013001001"].pk)  # fmt: skip
    actions.check_in(s.member, s.event, note="到岗")
    drill = actions.record_drill(s.commander, s.plan, held_on=timezone.localdate(),
                                 scenario="学校聚集性疫情演练甲", participants="各组")  # fmt: skip
    return s, task, drill


@pytest.fixture
def hepan_staff(world):
    from fengqiao.accounts.roles import Role

    u = make_user("hepan_center", "河畔中心")
    assign(u, Role.CENTER_STAFF, region=world.taonan)
    return u


def urls(s, task):
    e, p = s.event.pk, s.plan.pk
    pages = [f"/emergency/events/{e}/", f"/emergency/events/{e}/situation/",
             f"/emergency/events/{e}/daily-report.docx", f"/emergency/events/{e}/daily-report.pdf",
             f"/emergency/plans/{p}/", f"/emergency/plans/{p}/file/"]  # fmt: skip
    api = [f"/api/v1/emergency/events/{e}/", f"/api/v1/emergency/events/{e}/tasks/",
           f"/api/v1/emergency/events/{e}/checkins/", f"/api/v1/emergency/events/{e}/history/",
           f"/api/v1/emergency/events/{e}/situation/",
           f"/api/v1/emergency/events/{e}/daily-report/docx/",
           f"/api/v1/emergency/events/{e}/daily-report/pdf/",
           f"/api/v1/emergency/plans/{p}/", f"/api/v1/emergency/plans/{p}/file/"]  # fmt: skip
    posts = {"add_body": e, "activate": e, "stand_down": e, "link_campaign": e,
             "link_case": e, "assign": e, "check_in": e, "accept": task.pk, "complete": task.pk,
             "drill": p}  # fmt: skip
    api_posts = [
        (f"/api/v1/emergency/events/{e}/bodies/", {"kind": "group", "name": "x", "duties": "x"}),
        (f"/api/v1/emergency/events/{e}/activate/", {}),
        (f"/api/v1/emergency/events/{e}/stand-down/", {}),
        (f"/api/v1/emergency/events/{e}/campaign/", {"campaign": 1}),
        (f"/api/v1/emergency/events/{e}/cases/", {"case": 1}),
        (f"/api/v1/emergency/events/{e}/tasks/", {"title": "x", "hours": 1, "body": s.groups["medical"].pk}),
        (f"/api/v1/emergency/events/{e}/checkins/", {"note": "x"}),
        (f"/api/v1/emergency/tasks/{task.pk}/accept/", {}),
        (f"/api/v1/emergency/tasks/{task.pk}/complete/", {"result": "x"}),
        (f"/api/v1/emergency/plans/{p}/drills/", {"held_on": "2026-01-01", "scenario": "x",
                                                   "participants": "x"}),
    ]  # fmt: skip
    return pages, api, posts, api_posts


@pytest.mark.parametrize("who", ["outsider", "station_clerk", "hepan", "liaison"])
def test_strangers_get_nothing(setup, personas, hepan_staff, client_for, who):
    s, task, _drill = setup
    user = hepan_staff if who == "hepan" else getattr(personas, who)
    c = client_for(user)
    pages, api, posts, api_posts = urls(s, task)
    for url in pages + api:
        assert c.get(url).status_code == 404, url
    for name, pk in posts.items():
        resp = c.post(f"/emergency/{name}/{pk}/", {"note": "x", "title": "x", "hours": "1",
                      "result": "x", "kind": "group", "name": "x", "duties": "x"})  # fmt: skip
        assert resp.status_code == 404, name
    for url, body in api_posts:
        assert c.post(url, body, content_type="application/json").status_code == 404, url
    assert c.get("/api/v1/emergency/events/").json()["results"] == []
    assert c.get("/api/v1/emergency/plans/").json()["results"] == []
    for url in ("/emergency/", "/emergency/tasks/?overdue=1", "/emergency/drills/"):
        page = c.get(url)
        assert page.status_code == 200 and "桃山区疫情防控" not in page.content.decode()
        assert "核酸采样任务甲" not in page.content.decode()
        assert "学校聚集性疫情演练甲" not in page.content.decode()
    # Nothing changed.
    event = Event.objects.get()
    assert event.state == EventState.ACTIVE and event.bodies.count() == 5
    assert Task.objects.get().state == "assigned" and CheckIn.objects.count() == 1
    assert Drill.objects.count() == 1 and Plan.objects.count() == 1


def test_who_sees_the_event(setup, personas, hepan_staff, client_for, world):
    s, _task, _drill = setup
    # The district's staff (region subtree), a group member with no role over the district,
    # the grid worker of a grid with a task.
    for user in (personas.leader, s.office, s.member, personas.grid_worker, personas.street_clerk):
        rows = client_for(user).get("/api/v1/emergency/events/").json()["results"]
        assert [r["id"] for r in rows] == [s.event.pk], user
    # The street's staff sees its own street's events, not a street elsewhere.
    other = actions.create_event(personas.leader, name="桃南防汛", kind="防汛", level="IV",
                                 region=world.taonan.pk)  # fmt: skip
    street = client_for(personas.street_clerk).get("/api/v1/emergency/events/").json()["results"]
    assert other.pk not in [r["id"] for r in street]
    hepan = client_for(hepan_staff).get("/api/v1/emergency/events/").json()["results"]
    assert [r["id"] for r in hepan] == [other.pk]
    # A member may check in but not command; its allowed actions say so.
    detail = client_for(s.member).get(f"/api/v1/emergency/events/{s.event.pk}/").json()
    assert detail["allowed_actions"] == ["check_in"]
    refused = client_for(s.member).post(f"/api/v1/emergency/events/{s.event.pk}/stand-down/", {},
                                        content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    # The monitoring room's panel for the district leader, none for the outsider.
    dash = client_for(personas.leader).get("/monitor/cards/").content.decode()
    assert "/emergency/tasks/?overdue=1" in dash
    from django.test import RequestFactory

    from fengqiao.emergency.monitor import panel

    req = RequestFactory().get("/monitor/")
    req.user = personas.outsider
    assert panel(req) is None
