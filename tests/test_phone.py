"""The grid worker's phone app (issue 16): report and resolve on the spot, tasks a station
assigns to its grid workers, the pages of /m/, and the resident's report sent twice by an
offline queue that arrives once."""

import pytest

from fengqiao.analytics.facts import case_facts
from fengqiao.cases.models import Case, CaseState, Task
from fengqiao.cases.views_actions import perform
from fengqiao.org.models import GridWorker
from tests.case_factories import (
    HUAYUAN_POINT,
    HUAYUAN_POINT_2,
    SONGSHAN_POINT,
    make_case_world,
    report,
)

API = "/api/v1/cases/"
SPOT = "/api/v1/cases/on-the-spot/"
PAGES = ["/m/", "/m/report/", "/m/reports/", "/m/grid/", "/m/grid/data.json", "/m/me/"]


@pytest.fixture
def cw(world):
    return make_case_world(world)


def on_the_spot(point=SONGSHAN_POINT, **extra):
    body = {
        "channel": "grid_patrol",
        "category": "construction_disturbance",
        "description": "两户因楼道堆物争吵，已当场劝解",
        "lon": point[0],
        "lat": point[1],
        "parties": [{"party_type": "person", "role": "applicant", "name": "李大爷"}],
        "outcome": "当场协调清理楼道，双方和解",
    }
    body.update(extra)
    return body


def test_resolved_on_the_spot_is_created_resolved_once_and_counted(personas, cw, client_for):
    gw = client_for(personas.grid_worker)
    key = {"HTTP_IDEMPOTENCY_KEY": "spot-1"}
    first = gw.post(SPOT, on_the_spot(), content_type="application/json", **key)
    assert first.status_code == 201, first.content
    again = gw.post(SPOT, on_the_spot(), content_type="application/json", **key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.filter(created_by=personas.grid_worker).count() == 1
    case = Case.objects.get(pk=first.json()["id"])
    assert case.state == CaseState.RESOLVED and case.outcome_success is True
    assert case.outcome == "当场协调清理楼道，双方和解"
    entry = case.current_history
    assert entry.action == "resolve_on_the_spot" and entry.from_state == CaseState.REGISTERED
    assert entry.public_reply == case.outcome
    measures = {c.measure for c in case_facts(case)}
    assert {"registered", "resolved", "concluded", "success"} <= measures
    assert case.parties.get().name == "李大爷"


def test_on_the_spot_refused_to_outsiders(personas, cw, client_for, client):
    for user in (personas.outsider, personas.leader):
        answer = client_for(user).post(SPOT, on_the_spot(), content_type="application/json")
        assert answer.status_code in (403, 404)
    assert client.post(SPOT, on_the_spot(), content_type="application/json").status_code in (
        401,
        403,
    )
    assert not Case.objects.exists()


def test_on_the_spot_needs_what_was_done(personas, cw, client_for):
    gw = client_for(personas.grid_worker)
    answer = gw.post(SPOT, on_the_spot(outcome=" "), content_type="application/json")
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["outcome"]
    assert not Case.objects.exists()


def test_own_report_outside_the_grid_is_listed_and_opens(personas, cw, client_for):
    gw = client_for(personas.grid_worker)
    body = on_the_spot()
    del body["outcome"]
    created = gw.post(API, body, content_type="application/json")
    assert created.status_code == 201
    case = Case.objects.get(pk=created.json()["id"])
    assert case.grid.code != "230903013001001"  # 松山社区: not the worker's grid
    page = gw.get("/m/reports/")
    assert case.tracking_number in page.content.decode()
    assert gw.get(f"{API}{case.pk}/").status_code == 200


def _assigned(world, personas, cw, point=HUAYUAN_POINT):
    """A case dispatched to 花园社区's station, whose clerk hands it to the grid worker."""
    GridWorker.objects.filter(user=personas.grid_worker).update(station=world.huayuan_station)
    case = report(None, point=point).case
    case = perform(cw.district_clerk, case, "accept", {"expected_version": case.version})
    case = perform(cw.district_clerk, case, "dispatch",
                   {"lead_unit": world.huayuan_station, "expected_version": case.version})  # fmt: skip
    task = case.tasks.get(active=True)
    case.refresh_from_db()
    perform(cw.huayuan_clerk, case, "assign_task",
            {"task": task, "assignee": personas.grid_worker, "expected_version": case.version})  # fmt: skip
    task.refresh_from_db()
    case.refresh_from_db()
    return case, task


def test_station_assigns_and_the_worker_works_the_task_from_the_phone(
    world, personas, cw, client_for
):
    # The case lies in grid 002: outside the worker's grid, still theirs through the task.
    case, task = _assigned(world, personas, cw, point=HUAYUAN_POINT_2)
    assert task.assignee == personas.grid_worker
    gw = client_for(personas.grid_worker)
    today = gw.get("/m/").content.decode()
    assert case.title in today and f'data-version="{case.version}"' in today
    url = f"{API}{case.pk}/tasks/{task.pk}/"
    v = case.version
    assert gw.post(url + "acknowledge/", {"expected_version": v},
                   content_type="application/json").status_code == 200  # fmt: skip
    stale = gw.post(url + "start/", {"expected_version": v}, content_type="application/json")
    assert stale.status_code == 409  # the conflict the phone shows, not loses
    assert gw.post(url + "start/", {"expected_version": v + 1},
                   content_type="application/json").status_code == 200  # fmt: skip
    done = gw.post(url + "complete/", {"expected_version": v + 2, "result": "已上门调解"},
                   content_type="application/json")  # fmt: skip
    assert done.status_code == 200, done.content
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.result == "已上门调解"


def test_only_the_assignee_and_the_station_may_act_on_the_task(world, personas, cw, client_for):
    case, task = _assigned(world, personas, cw, point=HUAYUAN_POINT_2)
    from fengqiao.accounts.roles import Role
    from tests.factories import assign, make_user

    other = make_user("gw_other", "网格员乙")
    assign(other, Role.GRID_WORKER, grids=[world.grids["230903013001001"]])
    url = f"{API}{case.pk}/tasks/{task.pk}/acknowledge/"
    for user in (other, personas.outsider):
        answer = client_for(user).post(url, {"expected_version": case.version},
                                       content_type="application/json")  # fmt: skip
        assert answer.status_code in (403, 404)
    assert case.title not in client_for(other).get("/m/").content.decode()
    # Only an active grid worker of the station can be given the task.
    with pytest.raises(Exception) as refused:
        perform(cw.huayuan_clerk, case, "assign_task",
                {"task": task, "assignee": other, "expected_version": case.version})  # fmt: skip
    assert getattr(refused.value, "field", "") == "assignee"


def test_station_assigns_from_its_task_page(world, personas, cw, client_for):
    GridWorker.objects.filter(user=personas.grid_worker).update(station=world.huayuan_station)
    case = report(None).case
    case = perform(cw.district_clerk, case, "accept", {"expected_version": case.version})
    case = perform(cw.district_clerk, case, "dispatch",
                   {"lead_unit": world.huayuan_station, "expected_version": case.version})  # fmt: skip
    task = case.tasks.get(active=True)
    clerk = client_for(cw.huayuan_clerk)
    page = clerk.get("/tasks/").content.decode()
    assert "网格员甲" in page
    answer = clerk.post(f"/tasks/{task.pk}/assign_task/",
                        {"version": case.version, "assignee": personas.grid_worker.pk})  # fmt: skip
    assert answer.status_code == 302
    task.refresh_from_db()
    assert task.assignee == personas.grid_worker


@pytest.mark.parametrize("path", PAGES)
def test_phone_pages_are_the_grid_workers_only(personas, client_for, client, path):
    assert client_for(personas.grid_worker).get(path).status_code == 200
    for user in (personas.outsider, personas.station_clerk, personas.liaison):
        assert client_for(user).get(path).status_code == 403
    assert client.get(path).status_code == 302  # to the login page


def test_grid_data_holds_my_grid_and_its_open_cases_only(personas, cw, client_for):
    inside = report(None, point=HUAYUAN_POINT).case
    outside = report(None, point=SONGSHAN_POINT).case
    data = client_for(personas.grid_worker).get("/m/grid/data.json").json()
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("grid") == 1
    numbers = {f["properties"].get("number") for f in data["features"]}
    assert inside.tracking_number in numbers and outside.tracking_number not in numbers


def test_service_worker_and_manifest(client):
    sw = client.get("/m/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("text/javascript")
    body = sw.content.decode()
    assert "/static/workbox/workbox-sw.js" in body and '"/m/"' in body
    manifest = client.get("/m/manifest.webmanifest").json()
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"


def test_resident_report_sent_twice_by_the_queue_arrives_once(client, world, settings):
    settings.PUBLIC_REPORT_RATE = "100/600"
    from fengqiao.cases.models import Category

    category = Category.objects.filter(active=True, public=True).first()
    form = {"category": category.pk, "description": "路灯坏了，晚上很黑", "address": "松林小区",
            "reporter_name": "王女士", "reporter_phone": "13904641234"}  # fmt: skip
    first = client.post("/report/", form, HTTP_IDEMPOTENCY_KEY="resident-1")
    assert first.status_code == 200, first.content.decode()[:2000]
    again = client.post("/report/", form, HTTP_IDEMPOTENCY_KEY="resident-1")
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    number = Case.objects.get().tracking_number
    assert number in first.content.decode() and number in again.content.decode()


def _dispatched_to_station(world, personas, cw):
    GridWorker.objects.filter(user=personas.grid_worker).update(station=world.huayuan_station)
    case = report(None, point=HUAYUAN_POINT_2).case
    case = perform(cw.district_clerk, case, "accept", {"expected_version": case.version})
    case = perform(cw.district_clerk, case, "dispatch",
                   {"lead_unit": world.huayuan_station, "expected_version": case.version})  # fmt: skip
    return case, case.tasks.get(active=True)


def test_station_assigns_through_the_api_once_per_key(world, personas, cw, client_for):
    case, task = _dispatched_to_station(world, personas, cw)
    url = f"{API}{case.pk}/tasks/{task.pk}/assign/"
    clerk = client_for(cw.huayuan_clerk)
    body = {"assignee": personas.grid_worker.pk, "expected_version": case.version}
    key = {"HTTP_IDEMPOTENCY_KEY": "assign-1"}
    first = clerk.post(url, body, content_type="application/json", **key)
    assert first.status_code == 200, first.content
    assert first.json()["assignee"] == personas.grid_worker.pk
    again = clerk.post(url, body, content_type="application/json", **key)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    case.refresh_from_db()
    assert case.history.filter(action="assign_task").count() == 1
    task.refresh_from_db()
    assert task.assignee == personas.grid_worker
    # The task is now on the worker's 今日 and in the case's task list.
    assert case.title in client_for(personas.grid_worker).get("/m/").content.decode()
    listed = clerk.get(f"{API}{case.pk}/tasks/").json()
    assert [t["assignee"] for t in listed] == [personas.grid_worker.pk]
    # null takes it back.
    back = clerk.post(url, {"assignee": None, "expected_version": case.version},
                      content_type="application/json")  # fmt: skip
    assert back.status_code == 200 and back.json()["assignee"] is None


def test_assign_through_the_api_refuses_outsiders_and_bad_input(world, personas, cw, client_for):
    case, task = _dispatched_to_station(world, personas, cw)
    url = f"{API}{case.pk}/tasks/{task.pk}/assign/"
    body = {"assignee": personas.grid_worker.pk, "expected_version": case.version}
    for user in (personas.outsider, personas.grid_worker):
        answer = client_for(user).post(url, body, content_type="application/json")
        assert answer.status_code in (403, 404), (user, answer.status_code)
    clerk = client_for(cw.huayuan_clerk)
    for bad, field in (
        ({"assignee": personas.outsider.pk}, "assignee"),  # not a grid worker of the station
        ({"assignee": "x"}, "assignee"),
        ({"assignee": 0}, "assignee"),
        ({"assignee": 2**62}, "assignee"),  # no such user (and no 500 on PostgreSQL)
        ({}, "assignee"),
    ):
        answer = clerk.post(url, {"expected_version": case.version, **bad},
                            content_type="application/json")  # fmt: skip
        assert answer.status_code == 400, (bad, answer.content)
        assert field in answer.content.decode()
    stale = clerk.post(url, {**body, "expected_version": case.version - 1},
                       content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    task.refresh_from_db()
    assert task.assignee is None


def test_grid_data_holds_my_households_with_masked_members_and_places(world, personas, client_for):
    from fengqiao.registry import services
    from fengqiao.registry.models import Household, KeyPersonKind, Place, PlaceKind, Resident
    from tests.test_registry import HUAYUAN_1, SONGSHAN_1, citizen_id

    mine = world.grids[HUAYUAN_1]
    home = Household.objects.create(
        grid=mine, number="H1", address="花园小区1号楼101", head_name="张建国"
    )
    r = services.save_resident(
        personas.street_clerk,
        {"grid": mine.pk, "kind": "registered", "name": "张建国", "id_number": citizen_id(1),
         "phone": "13900001111", "relation_to_head": "户主"},
    )  # fmt: skip
    Resident.objects.filter(pk=r.pk).update(household=home)
    kp = services.save_key_person(
        personas.street_clerk,
        {"resident": r.pk, "kind": KeyPersonKind.objects.get(code="serious_mental_disorder").pk,
         "risk_level": 3},
    )  # fmt: skip
    Place.objects.create(grid=mine, name="花园超市", kind=PlaceKind.objects.get(code="shop"),
                         lon=HUAYUAN_POINT[0], lat=HUAYUAN_POINT[1])  # fmt: skip
    other = Household.objects.create(grid=world.grids[SONGSHAN_1], number="H9", address="松山小区")
    Place.objects.create(grid=world.grids[SONGSHAN_1], name="松山超市",
                         kind=PlaceKind.objects.get(code="shop"))  # fmt: skip

    data = client_for(personas.grid_worker).get("/m/grid/data.json").json()
    assert [h["id"] for h in data["households"]] == [home.pk] and other.pk
    member = data["households"][0]["members"][0]
    assert member["name"] == "张建国" and member["relation"] == "户主"
    assert member["id_number"] == citizen_id(1)[:3] + "*" * 11 + citizen_id(1)[-4:]
    assert member["phone"] == "139****1111"
    assert member["url"] == f"/registry/residents/{r.pk}/"
    assert [k["url"] for k in member["key"]] == [f"/registry/key-persons/{kp.pk}/"]
    assert [p["name"] for p in data["places"]] == ["花园超市"]
    assert "13900001111" not in str(data) and citizen_id(1) not in str(data)
    # A grid worker of another grid sees none of it; an outsider gets nothing.
    assert client_for(personas.outsider).get("/m/grid/data.json").status_code == 403


def test_service_worker_carries_the_static_files_revisions(client, monkeypatch, tmp_path):
    """Static names are not hashed: a changed file must change the worker's bytes (so the browser
    installs it) and the name of the cache it precaches into (so the old copy is dropped)."""
    import re

    from fengqiao.web.phone import views

    real = views.finders.find
    app = tmp_path / "app.js"
    monkeypatch.setattr(
        views.finders, "find", lambda path, **kw: str(app) if path == "phone/app.js" else real(path)
    )

    def worker() -> tuple[str, str, dict]:
        import json

        body = client.get("/m/sw.js").content.decode()
        release = re.search(r'var RELEASE = "([0-9a-f]{16})";', body).group(1)
        files = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", body).group(1))
        return body, release, {f["url"]: f["revision"] for f in files}

    app.write_text("/* release 1 */")
    body1, release1, files1 = worker()
    assert worker()[0] == body1  # the same files, the same worker: nothing to install
    assert {"/static/phone/app.js", "/static/leaflet/leaflet.js", "/static/phone/grid.js"} <= set(
        files1
    )
    app.write_text("/* release 2 */")
    body2, release2, files2 = worker()
    assert release2 != release1 and body2 != body1
    assert files2["/static/phone/app.js"] != files1["/static/phone/app.js"]
    assert {u: r for u, r in files2.items() if u != "/static/phone/app.js"} == {
        u: r for u, r in files1.items() if u != "/static/phone/app.js"
    }
    assert 'var STATIC = "fq-static-" + RELEASE;' in body2
