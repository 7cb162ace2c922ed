"""The phone's visit form (issue 16): /m/visits/<key person>/ scoped like the registry's key
persons, linked from 今日's visits due and 我的网格, kept by the service worker for offline use,
and the registry's REST endpoint it queues to, which runs a replayed Idempotency-Key once."""

import json

import pytest

from fengqiao.accounts.roles import Role
from fengqiao.org.models import GridWorker
from fengqiao.registry.models import Resident, Visit
from tests.factories import assign, make_user
from tests.test_csp import inline_scripts
from tests.test_registry import SONGSHAN_1, reg

__all__ = ["reg"]


@pytest.fixture
def other_worker(world):
    """A grid worker of 松山社区's grid: another grid than the key person's."""
    user = make_user("gw_songshan", "网格员乙")
    grid = world.grids[SONGSHAN_1]
    assign(user, Role.GRID_WORKER, grids=[grid])
    GridWorker.objects.create(user=user).grids.set([grid])
    return user


def api(kp) -> str:
    return f"/api/v1/registry/key-persons/{kp.pk}/visits/"


def post(client, kp, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(api(kp), json.dumps(body), content_type="application/json", **extra)


def test_visit_form_is_the_key_persons_grid_workers_only(
    reg, personas, other_worker, client_for, client
):
    _a, _b, kp = reg
    page = client_for(personas.grid_worker).get(f"/m/visits/{kp.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "张建国" in html and f'data-url="{api(kp)}"' in html and "phone/visit.js" in html
    assert f'data-key-person="{kp.pk}"' in html
    assert not inline_scripts(html)
    for user in (personas.outsider, other_worker, personas.station_clerk, personas.leader):
        assert client_for(user).get(f"/m/visits/{kp.pk}/").status_code == 404, user
    assert client_for(personas.grid_worker).get("/m/visits/999999/").status_code == 404
    assert client.get(f"/m/visits/{kp.pk}/").status_code == 302  # to the login page
    # An ended key person has no visit form.
    kp.active = False
    kp.save(update_fields=["active"])
    assert client_for(personas.grid_worker).get(f"/m/visits/{kp.pk}/").status_code == 404


def test_another_grids_worker_and_outsider_cannot_record(reg, personas, other_worker, client_for):
    _a, _b, kp = reg
    assert post(client_for(other_worker), kp, {"findings": "在家"}, "o-1").status_code == 404
    assert post(client_for(personas.outsider), kp, {"findings": "在家"}, "o-2").status_code == 403
    assert not Visit.objects.exists()


def test_a_replayed_visit_is_recorded_once(reg, personas, client_for):
    _a, _b, kp = reg
    gw = client_for(personas.grid_worker)
    body = {"visited_on": kp.next_visit_due.isoformat(), "method": "home", "findings": "在家，情绪稳定",
            "met_in_person": True, "risk_found": False, "risk_level_after": 2}  # fmt: skip
    first = post(gw, kp, body, "visit-1")
    assert first.status_code == 201, first.content
    again = post(gw, kp, body, "visit-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(key_person=kp).count() == 1
    kp.refresh_from_db()
    assert kp.last_visit_on.isoformat() == body["visited_on"] and kp.risk_level == 2
    # The same key with another body is refused, and records nothing.
    reused = post(gw, kp, {**body, "findings": "不在家"}, "visit-1")
    assert reused.status_code == 422
    assert Visit.objects.filter(key_person=kp).count() == 1


def test_a_refused_visit_says_why_and_records_nothing(reg, personas, client_for):
    _a, _b, kp = reg
    gw = client_for(personas.grid_worker)
    refused = post(gw, kp, {"findings": " ", "visited_on": "2999-01-01"}, "bad-1")
    assert refused.status_code == 400
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields & {"findings", "visited_on"}
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in refused.json()["errors"]
    )
    assert post(gw, kp, {"findings": " ", "visited_on": "2999-01-01"}, "bad-1").status_code == 400
    assert not Visit.objects.exists()


def test_today_and_my_grid_link_to_the_phone_form(reg, personas, client_for, world):
    from fengqiao.registry.models import Household

    a, _b, kp = reg
    gw = client_for(personas.grid_worker)
    today = gw.get("/m/").content.decode()
    assert f'href="/m/visits/{kp.pk}/" data-visit-link' in today
    assert f"/registry/key-persons/{kp.pk}/" not in today
    home = Household.objects.create(grid=a.grid, number="H1", address="花园小区1号楼101")
    Resident.objects.filter(pk=a.pk).update(household=home)
    data = gw.get("/m/grid/data.json").json()
    keys = data["households"][0]["members"][0]["key"]
    assert [k["visit"] for k in keys] == [f"/m/visits/{kp.pk}/"]


def test_service_worker_keeps_visit_forms(client):
    body = client.get("/m/sw.js").content.decode()
    assert 'var VISITS = "/m/visits/";' in body
    assert "keep-visit-forms" in body and "/static/phone/visit.js" in body
