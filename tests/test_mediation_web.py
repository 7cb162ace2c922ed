"""Mediation pages and API: scope on every view and endpoint (outsider, a mediator of another
committee, staff without the mediation capability), actions through the page, API answers
checked against the OpenAPI schema."""

import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from fengqiao.mediation import actions
from fengqiao.mediation.models import Mediation, MediationState, Session
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import dispute_case, make_mediation_world, started
from tests.schema_check import assert_matches_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world, personas, settings):
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw)
    return mw, m


def _urls(m: Mediation) -> list[tuple[str, str]]:
    return [
        ("get", "/mediation/"),
        ("get", f"/mediation/case/{m.case_id}/"),
        ("post", f"/mediation/case/{m.case_id}/start/"),
        ("post", f"/mediation/{m.pk}/action/session/"),
        ("post", f"/mediation/{m.pk}/action/refuse/"),
        ("get", f"/mediation/{m.pk}/documents/agreement.pdf"),
        ("get", f"/mediation/{m.pk}/documents/cover.docx"),
        ("get", f"/mediation/{m.pk}/dossier.pdf"),
        ("get", "/mediation/ledger.xlsx"),
        ("get", "/api/v1/mediation/"),
        ("get", f"/api/v1/mediation/{m.pk}/"),
        ("get", f"/api/v1/mediation/{m.pk}/sessions/"),
        ("post", f"/api/v1/mediation/{m.pk}/sessions/"),
        ("post", f"/api/v1/mediation/{m.pk}/notices/"),
        ("get", f"/api/v1/mediation/{m.pk}/agreement/"),
        ("post", f"/api/v1/mediation/{m.pk}/agreement/"),
        ("post", f"/api/v1/mediation/{m.pk}/agreement/sign/"),
        ("get", f"/api/v1/mediation/{m.pk}/documents/agreement.pdf"),
    ]


SESSION = {"place": "调解室", "participants": "双方", "minutes": "越权记录"}


def test_outsider_and_staff_without_mediation_capability_are_refused(setup, personas, client_for):
    _mw, m = setup
    for user in (personas.outsider, personas.street_clerk, personas.grid_worker):
        c = client_for(user)
        for method, url in _urls(m):
            if method == "post":
                kw = {"content_type": "application/json"} if url.startswith("/api/") else {}
                r = c.post(url, SESSION, **kw)
            else:
                r = c.get(url)
            assert r.status_code in (403, 404), (user.username, url, r.status_code)
    assert not Session.objects.exists()
    anonymous = Client()
    for method, url in _urls(m):
        r = getattr(anonymous, method)(url)
        assert r.status_code in (302, 401, 403), (url, r.status_code)


def test_mediator_of_another_committee_is_refused(setup, client_for):
    mw, m = setup
    c = client_for(mw.other_mediator)
    for method, url in _urls(m):
        if url in ("/mediation/", "/api/v1/mediation/", "/mediation/ledger.xlsx"):
            continue  # their own workbench and list: checked below
        if method == "post":
            kw = {"content_type": "application/json"} if url.startswith("/api/") else {}
            r = c.post(url, SESSION, **kw)
        else:
            r = c.get(url)
        assert r.status_code == 404, (url, r.status_code)
    assert not Session.objects.exists()
    page = c.get("/mediation/")
    assert page.status_code == 200 and m.number not in page.content.decode()
    listing = c.get("/api/v1/mediation/")
    assert listing.status_code == 200 and listing.json()["count"] == 0
    today = timezone.localdate().isoformat()
    ledger = c.get("/mediation/ledger.xlsx", {"committee": mw.committee.pk, "date_from": today,
                                               "date_to": today})  # fmt: skip
    assert ledger.status_code == 400  # not one of their committees


def test_mediation_page_and_actions(setup, client_for):
    mw, m = setup
    c = client_for(mw.lead)
    page = c.get(f"/mediation/case/{m.case_id}/")
    html = page.content.decode()
    assert page.status_code == 200 and m.number in html and "记录调解" in html
    bad = c.post(f"/mediation/{m.pk}/action/session/", {"place": "调解室", "participants": "双方"})
    assert bad.status_code == 400 and "minutes" in bad.context["forms"]["session"].errors
    assert not Session.objects.exists()
    ok = c.post(f"/mediation/{m.pk}/action/session/", {**SESSION, "minutes": "第一次调解"})
    assert ok.status_code == 302 and Session.objects.filter(mediation=m).count() == 1
    # A service refusal comes back as the page with the message, nothing changed.
    refused = c.post(
        f"/mediation/{m.pk}/action/agreement/", {"form": "written", "agreed_items": "赔偿"}
    )
    assert refused.status_code == 400
    assert "parties_facts" in refused.context["forms"]["agreement"].errors
    m.refresh_from_db()
    assert m.state == MediationState.IN_SESSION
    oral = c.post(f"/mediation/{m.pk}/action/agreement/", {"form": "oral", "agreed_items": "道歉"})
    assert oral.status_code == 302
    m.refresh_from_db()
    assert m.state == MediationState.AGREED
    pdf = c.get(f"/mediation/{m.pk}/documents/agreement.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "道歉" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    dossier = c.get(f"/mediation/{m.pk}/dossier.pdf")
    assert dossier.status_code == 200 and dossier.content.startswith(b"%PDF")
    today = timezone.localdate().isoformat()
    xlsx = c.get("/mediation/ledger.xlsx", {"committee": mw.committee.pk, "date_from": today,
                                            "date_to": today})  # fmt: skip
    assert xlsx.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content))["人民调解登记台账"].values)
    assert rows[2][1] == m.number
    bench = c.get("/mediation/")
    assert (
        bench.status_code == 200
        and "调解成功率 = 调解成功数 / 受理数 = 1 / 1 = 100.00%" in bench.content.decode()
    )


def test_start_from_the_case_page(setup, world, client_for):
    mw, _m = setup
    case = dispute_case(world, mw)
    c = client_for(mw.lead)
    page = c.get(f"/mediation/case/{case.pk}/")
    assert page.status_code == 200 and page.context["suggestions"]
    bad = c.post(
        f"/mediation/case/{case.pk}/start/", {"committee": mw.committee.pk, "mode": "referral"}
    )
    assert bad.status_code == 400 and not Mediation.objects.filter(case=case).exists()
    ok = c.post(f"/mediation/case/{case.pk}/start/", {"committee": mw.committee.pk, "mode": "referral",
                                                       "referral_source": "court"})  # fmt: skip
    assert ok.status_code == 302
    m = Mediation.objects.get(case=case)
    assert m.state == MediationState.ACCEPTED and m.referral_source == "court"


def test_api_flow_matches_schema(setup, client_for):
    mw, m = setup
    c = client_for(mw.lead)
    base = f"/api/v1/mediation/{m.pk}/"
    r = c.get("/api/v1/mediation/")
    assert r.status_code == 200 and [x["number"] for x in r.json()["results"]] == [m.number]
    assert_matches_schema(r, "/api/v1/mediation/", "get")
    r = c.post(base + "sessions/", {"place": "调解室", "participants": "双方", "minutes": ""},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "minutes"
    r = c.post(base + "sessions/", SESSION, content_type="application/json")
    assert r.status_code == 201
    assert_matches_schema(r, "/api/v1/mediation/{id}/sessions/", "post")
    parties = list(m.case.parties.order_by("id"))
    r = c.post(base + "agreement/", {
        "form": "written", "agreed_items": "修路", "parties_facts": "a", "main_facts": "b",
        "disputed_points": "c", "responsibilities": "d", "performance_method": "e",
        "items": [{"obligor": parties[1].pk, "what": "修路", "due_date": "2030-01-01"}],
    }, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.json()
    assert_matches_schema(r, "/api/v1/mediation/{id}/agreement/", "post")
    for body in [{"who": "party", "party": parties[0].pk}, {"who": "party", "party": parties[1].pk,
                 "method": "sealed"}, {"who": "mediator"}, {"who": "seal"}]:  # fmt: skip
        r = c.post(base + "agreement/sign/", body, content_type="application/json")
        assert r.status_code == 200
    assert r.json()["effective_at"] and r.json()["missing_signatures"] == []
    assert_matches_schema(r, "/api/v1/mediation/{id}/agreement/sign/", "post")
    r = c.post(base + "agreement/sign/", {"who": "seal"}, content_type="application/json")
    assert r.status_code == 409  # in effect: no more signing
    r = c.get(base)
    assert r.json()["state"] == "agreed"
    assert_matches_schema(r, "/api/v1/mediation/{id}/", "get")
    r = c.get(base + "documents/agreement.docx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    today = timezone.localdate().isoformat()
    r = c.get("/api/v1/mediation/figures/", {"date_from": today, "date_to": today})
    assert r.json()["total"]["success_rate"] == "100.00"
    assert_matches_schema(r, "/api/v1/mediation/figures/", "get")
    r = c.get("/api/v1/mediation/figures/", {"date_from": "x", "date_to": today})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "date_from"


def test_api_start(setup, world, client_for, personas):
    mw, _m = setup
    case = dispute_case(world, mw)
    body = {"case": case.pk, "committee": mw.committee.pk, "mode": "initiative"}
    r = client_for(mw.other_mediator).post(
        "/api/v1/mediation/", body, content_type="application/json"
    )
    assert r.status_code == 403 and not Mediation.objects.filter(case=case).exists()
    r = client_for(mw.lead).post("/api/v1/mediation/", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["state"] == "accepted"
    assert actions.get_mediation(mw.lead, r.json()["id"]).case_id == case.pk


def test_committee_members_page(setup, personas, client_for):
    mw, _m = setup
    url = f"/mediation/committee/{mw.committee.pk}/"
    for user in (personas.outsider, mw.other_mediator, personas.street_clerk):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, {"remove": mw.mediators[2].pk}).status_code == 404
    c = client_for(mw.lead)
    page = c.get(url)
    assert page.status_code == 200 and "调解员孙" in page.content.decode()
    # Three members: removing one would break art. 8.
    r = c.post(url, {"remove": mw.mediators[2].pk})
    assert r.status_code == 400 and "三至九人" in r.content.decode()
    assert actions.members(mw.committee).count() == 3
    r = c.post(url, {"username": "nobody", "employment_type": "part_time"})
    assert r.status_code == 400 and "username" in r.context["form"].errors
    r = c.post(url, {"username": personas.grid_worker.username, "employment_type": "full_time",
                     "specialties": ["neighbours"]})  # fmt: skip
    assert r.status_code == 302 and actions.members(mw.committee).count() == 4
