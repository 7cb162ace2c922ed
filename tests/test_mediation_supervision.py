"""The judicial office (司法所) over the mediation committees of its street: committees, overdue
disputes, figures, registers, documents and dossiers of its street only; reviews of hard cases
recorded through the one action; another street's office sees nothing; no mediator's action."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm, Role
from fengqiao.cases.errors import NotPermitted
from fengqiao.mediation import actions
from fengqiao.mediation.models import Mediation, MediationEvent, SupervisionReview
from fengqiao.web.context import nav_for
from tests.factories import assign, make_user
from tests.mediation_factories import make_mediation_world, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world, personas):
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw)
    Mediation.objects.filter(pk=m.pk).update(due=timezone.now() - timedelta(days=2))
    taoxi = make_user("sfs_taoxi", "司法所甲")
    assign(taoxi, Role.JUDICIAL_OFFICE, region=world.taoxi)
    taonan = make_user("sfs_taonan", "司法所乙")
    assign(taonan, Role.JUDICIAL_OFFICE, region=world.taonan)
    return mw, m, taoxi, taonan


def test_role_reads_mediation_of_its_street_and_nothing_else(sw):
    mw, m, taoxi, taonan = sw
    access = access_for(taoxi)
    assert access.has_perm(Perm.MEDIATION_SUPERVISE)
    assert not access.has_perm(Perm.MEDIATION_HANDLE) and not access.has_perm(Perm.CASE_VIEW)
    lines = {line.committee.pk: line for line in actions.committee_lines(taoxi)}
    assert set(lines) == {mw.committee.pk, mw.other_committee.pk}
    assert lines[mw.committee.pk].open == 1 and lines[mw.committee.pk].overdue == 1
    assert list(actions.overdue_mediations(taoxi)) == [m]
    assert nav_for(access)["mediation_supervision"] and not nav_for(access)["mediation"]
    assert actions.committee_lines(taonan) == []
    assert not actions.overdue_mediations(taonan).exists()
    assert not actions.visible_mediations(taonan).exists()


def test_supervision_page_lists_committees_overdue_and_figures(sw, client_for):
    mw, m, taoxi, taonan = sw
    r = client_for(taoxi).get("/mediation/supervision/")
    assert r.status_code == 200
    text = r.content.decode()
    assert mw.committee.name in text and mw.other_committee.name in text
    assert m.number in text and f"/mediation/supervision/{m.pk}/" in text
    other = client_for(taonan).get("/mediation/supervision/").content.decode()
    assert mw.committee.name not in other and m.number not in other
    # Mediators have their own workbench, not the supervisor's pages.
    assert client_for(mw.lead).get("/mediation/supervision/").status_code == 403


def test_review_recorded_on_page_and_timeline(sw, client_for):
    _mw, m, taoxi, taonan = sw
    c = client_for(taoxi)
    assert c.get(f"/mediation/supervision/{m.pk}/").status_code == 200
    r = c.post(
        f"/mediation/supervision/{m.pk}/", {"kind": "review", "note": "疑难案件：请补充调查"}
    )
    assert r.status_code == 302
    review = SupervisionReview.objects.get(mediation=m)
    assert review.by == taoxi and review.kind == "review"
    assert MediationEvent.objects.filter(mediation=m, action="review").exists()
    assert "疑难案件：请补充调查" in c.get(f"/mediation/supervision/{m.pk}/").content.decode()
    blank = c.post(f"/mediation/supervision/{m.pk}/", {"kind": "review", "note": ""})
    assert blank.status_code == 400 and SupervisionReview.objects.count() == 1
    outsider = client_for(taonan)
    assert outsider.get(f"/mediation/supervision/{m.pk}/").status_code == 404
    assert outsider.post(f"/mediation/supervision/{m.pk}/", {"kind": "review", "note": "x"}
                         ).status_code == 404  # fmt: skip
    assert SupervisionReview.objects.count() == 1


def test_only_the_supervisor_reviews_and_it_takes_no_mediator_action(sw):
    mw, m, taoxi, taonan = sw
    with pytest.raises(NotPermitted):
        actions.record_review(mw.lead, m, kind="guidance", note="自己评查")
    with pytest.raises(NotPermitted):
        actions.record_investigation(taoxi, m, place="现场", findings="司法所不代替调解员")
    with pytest.raises(actions.MediationNotFound):
        actions.record_review(taonan, m, kind="guidance", note="别的街道")


def test_documents_dossier_and_register_of_its_street(sw, client_for):
    mw, m, taoxi, taonan = sw
    c, o = client_for(taoxi), client_for(taonan)
    docx = c.get(f"/mediation/{m.pk}/documents/acceptance_register.docx")
    assert docx.status_code == 200 and docx["Content-Type"].startswith("application/vnd")
    assert c.get(f"/mediation/{m.pk}/dossier.pdf").status_code == 200
    assert o.get(f"/mediation/{m.pk}/documents/acceptance_register.docx").status_code == 404
    assert o.get(f"/mediation/{m.pk}/dossier.pdf").status_code == 404
    today = timezone.localdate().isoformat()
    reg = c.get(f"/api/v1/mediation/register/?date_from={today}&date_to={today}")
    assert reg.status_code == 200 and [x["number"] for x in reg.json()] == [m.number]
    assert o.get(f"/api/v1/mediation/register/?date_from={today}&date_to={today}").json() == []
    ledger = c.get(f"/mediation/ledger.xlsx?committee={mw.committee.pk}&date_from={today}"
                   f"&date_to={today}")  # fmt: skip
    assert ledger.status_code == 200
    refused = o.get(f"/mediation/ledger.xlsx?committee={mw.committee.pk}&date_from={today}"
                    f"&date_to={today}")  # fmt: skip
    assert refused.status_code == 400
    figures = c.get(f"/api/v1/mediation/figures/?date_from={today}&date_to={today}").json()
    assert figures["total"]["accepted"] == 1
    other = o.get(f"/api/v1/mediation/figures/?date_from={today}&date_to={today}").json()
    assert other["total"]["accepted"] == 0


def test_api_supervision_and_reviews(sw, client_for):
    mw, m, taoxi, taonan = sw
    c, o = client_for(taoxi), client_for(taonan)
    data = c.get("/api/v1/mediation/supervision/").json()
    by_id = {x["id"]: x for x in data["committees"]}
    assert by_id[mw.committee.pk]["overdue"] == 1 and by_id[mw.committee.pk]["accepted"] == 1
    assert [x["number"] for x in data["overdue"]] == [m.number]
    assert o.get("/api/v1/mediation/supervision/").json()["committees"] == []
    assert client_for(mw.lead).get("/api/v1/mediation/supervision/").status_code == 403
    url = f"/api/v1/mediation/{m.pk}/reviews/"
    body = {"kind": "guidance", "note": "请在七日内再次组织调解"}
    r = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="rv-1")
    assert r.status_code == 201 and r.json()["kind"] == "guidance"
    again = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="rv-1")
    assert again.status_code == 201 and SupervisionReview.objects.count() == 1
    assert [x["note"] for x in c.get(url).json()] == [body["note"]]
    bad = c.post(url, {"kind": "praise", "note": ""}, content_type="application/json")
    assert bad.status_code == 400 and SupervisionReview.objects.count() == 1
    assert o.get(url).status_code == 404
    assert o.post(url, body, content_type="application/json").status_code == 404
    # The mediation API answers it in its street, read only.
    assert c.get(f"/api/v1/mediation/{m.pk}/").status_code == 200
    assert o.get(f"/api/v1/mediation/{m.pk}/").status_code == 404
    note = {"note": "x", "way": "phone", "visited": "王", "performance": "performed"}
    assert c.post(f"/api/v1/mediation/{m.pk}/followups/", note,
                  content_type="application/json").status_code == 403  # fmt: skip
