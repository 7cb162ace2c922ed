"""Planned sessions: a coming session (date, place) shows on the mediators' workbench as a next
session, is not a held session (no record, no minutes in the dossier) until its minutes are
recorded, and is refused in the past; through the service, the page and the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.errors import InvalidInput
from fengqiao.mediation import actions, documents
from fengqiao.mediation.models import MediationState, Session
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started
from tests.schema_check import assert_matches_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world, personas, settings):
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    return mw, started(world, mw)


def test_planned_session_is_a_next_session_until_held(setup):
    mw, m = setup
    at = timezone.now() + timedelta(days=2)
    planned = actions.plan_session(mw.lead, m, at=at, place="花园社区调解室", participants="双方")
    m.refresh_from_db()
    assert m.state == MediationState.ACCEPTED  # planning holds nothing yet
    bench = actions.workbench(mw.lead)
    assert [s.pk for s in bench["sessions"]] == [planned.pk]
    assert actions.workbench(mw.other_mediator)["sessions"] == []
    # Not a held session: the record and the dossier do not count it.
    assert "调解记录" in documents.missing_items(m)
    assert not [b for b in documents.mediation_record(m).blocks if b[0] == "table"]
    # In the past, or with nothing planned: refused, nothing written.
    with pytest.raises(InvalidInput) as e:
        actions.plan_session(mw.lead, m, at=timezone.now() - timedelta(hours=1), place="室")
    assert e.value.field == "at"
    with pytest.raises(InvalidInput) as e:
        actions.record_session(mw.lead, m, place="室", participants="双方", minutes="记录",
                                planned=planned.pk + 999)  # fmt: skip
    assert e.value.field == "planned"
    assert Session.objects.filter(mediation=m).count() == 1
    # Held: the same row gets its minutes (the planned time has not come: now).
    held = actions.record_session(mw.lead, m, place="花园社区调解室", participants="王秀英、宏达公司",
                                   minutes="第一次调解", planned=planned)  # fmt: skip
    assert held.pk == planned.pk and held.held and held.at <= timezone.now()
    m.refresh_from_db()
    assert m.state == MediationState.IN_SESSION
    assert actions.workbench(mw.lead)["sessions"] == []
    assert "调解记录" not in documents.missing_items(m)
    # A held session cannot be "recorded" again as planned.
    with pytest.raises(InvalidInput):
        actions.record_session(mw.lead, m, place="室", participants="双方", minutes="再记",
                                planned=held)  # fmt: skip


def test_plan_through_the_page_and_the_api(setup, client_for, personas):
    mw, m = setup
    c = client_for(mw.lead)
    soon = timezone.localtime() + timedelta(days=1)
    bad = c.post(f"/mediation/{m.pk}/action/plan_session/", {"place": "调解室"})
    assert bad.status_code == 400 and "at" in bad.context["forms"]["plan_session"].errors
    past = c.post(f"/mediation/{m.pk}/action/plan_session/",
                  {"at": "2020-01-01T09:00", "place": "调解室"})  # fmt: skip
    assert past.status_code == 400 and not Session.objects.exists()
    ok = c.post(f"/mediation/{m.pk}/action/plan_session/",
                {"at": soon.strftime("%Y-%m-%dT%H:%M"), "place": "花园社区调解室"})  # fmt: skip
    assert ok.status_code == 302
    planned = Session.objects.get(mediation=m)
    page = c.get(f"/mediation/case/{m.case_id}/").content.decode()
    assert "待进行" in page and "安排调解" in page
    bench = c.get("/mediation/").content.decode()
    assert "花园社区调解室" in bench and m.number in bench
    # The page records the minutes of the planned session.
    done = c.post(f"/mediation/{m.pk}/action/session/", {
        "planned": planned.pk, "place": "花园社区调解室", "participants": "双方",
        "minutes": "第一次调解",
    })  # fmt: skip
    assert done.status_code == 302
    assert Session.objects.get(mediation=m).minutes == "第一次调解"
    # The API plans one too; outsiders cannot.
    r = c.post(f"/api/v1/mediation/{m.pk}/sessions/", {
        "plan": True, "at": (timezone.now() + timedelta(days=3)).isoformat(), "place": "调解室",
        "participants": "双方",
    }, content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["held"] is False
    assert_matches_schema(r, "/api/v1/mediation/{id}/sessions/", "post")
    r = c.post(f"/api/v1/mediation/{m.pk}/sessions/", {"plan": True, "place": "调解室",
               "participants": ""}, content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "at"
    for who in (personas.outsider, mw.other_mediator):
        r = client_for(who).post(f"/mediation/{m.pk}/action/plan_session/",
                                 {"at": soon.strftime("%Y-%m-%dT%H:%M"), "place": "室"})  # fmt: skip
        assert r.status_code in (403, 404)
    assert Session.objects.filter(mediation=m).count() == 2
