"""Nobody sees beyond their place in the leading group: every page and endpoint of
/accountability/ and /api/v1/accountability/ for an outsider, another unit's liaison and a
street clerk; the API with Idempotency-Key."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from fengqiao.accountability import actions
from fengqiao.accountability.models import (
    Letter,
    Occurrence,
    ProgressReport,
    ReviewScore,
    Run,
)
from tests.accountability_factories import make_group, unit_scheme

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def setup(world, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    g = make_group(world, personas)
    letter = actions.create_letter(g.office, g.police)
    task = actions.add_task(g.office, letter, title="矛盾纠纷排查", target_kind="yes_no",
                            deadline=timezone.localdate() - timedelta(days=1), weight="10")  # fmt: skip
    actions.sign(personas.leader, letter, side="group", signatory="领导丁")
    actions.sign(g.office, letter, side="unit", signatory="所长王某")
    report = actions.report_progress(personas.liaison, task, text="已排查",
                                     files=[SimpleUploadedFile("a.png", PNG)])  # fmt: skip
    scheme = unit_scheme(g.group)
    run = actions.compute(g.office, scheme)
    return g, letter, task, report, scheme, run


def pages(letter, task, report, scheme, run):
    ev = report.evidence.get()
    return [
        f"/accountability/letters/{letter.pk}/",
        f"/accountability/letters/{letter.pk}/letter.docx",
        f"/accountability/letters/{letter.pk}/letter.pdf",
        f"/accountability/evidence/{ev.pk}/",
        f"/accountability/schemes/{scheme.pk}/",
    ], [
        f"/api/v1/accountability/letters/{letter.pk}/",
        f"/api/v1/accountability/tasks/{task.pk}/reports/",
        f"/api/v1/accountability/schemes/{scheme.pk}/runs/",
    ]


POSTS = [
    ("create_letter", "police"), ("add_task", "letter"), ("sign", "letter"), ("report", "task"),
    ("review", "report"), ("compute", "scheme"), ("score", "scheme"), ("occurrence", "scheme"),
    ("freeze", "run"),
]  # fmt: skip


@pytest.mark.parametrize("who", ["outsider", "justice_liaison", "street_clerk"])
def test_strangers_get_nothing(setup, personas, client_for, who):
    g, letter, task, report, scheme, run = setup
    user = g.justice_liaison if who == "justice_liaison" else getattr(personas, who)
    c = client_for(user)
    page_urls, api_urls = pages(letter, task, report, scheme, run)
    for url in page_urls:
        assert c.get(url).status_code == 404, url
    for url in [*api_urls, f"/api/v1/accountability/evidence/{report.evidence.get().pk}/file/"]:
        assert c.get(url).status_code == 404, url
    assert c.get(f"/api/v1/accountability/runs/{run.pk}/scores/").status_code == 404
    assert (
        c.get("/api/v1/accountability/letters/").json()["results"] == [] or who == "justice_liaison"
    )
    index = c.get("/accountability/")
    assert index.status_code == 200 and "桃西派出所" not in index.content.decode()
    ids = {"police": g.police.pk, "letter": letter.pk, "task": task.pk, "report": report.pk,
           "scheme": scheme.pk, "run": run.pk}  # fmt: skip
    for name, key in POSTS:
        resp = c.post(f"/accountability/{name}/{ids[key]}/", {"side": "group", "signatory": "x",
                      "text": "x", "decision": "accept"})  # fmt: skip
        assert resp.status_code in (302, 404), name
    api_posts = [
        (f"/api/v1/accountability/letters/{letter.pk}/sign/", {"side": "unit", "signatory": "x"}),
        (f"/api/v1/accountability/letters/{letter.pk}/tasks/", {"title": "x", "target_kind": "yes_no",
         "deadline": "2026-06-01", "weight": "1"}),
        (f"/api/v1/accountability/tasks/{task.pk}/reports/", {"text": "x"}),
        (f"/api/v1/accountability/reports/{report.pk}/review/", {"decision": "accept"}),
        (f"/api/v1/accountability/schemes/{scheme.pk}/runs/", {}),
        (f"/api/v1/accountability/runs/{run.pk}/freeze/", {}),
        (f"/api/v1/accountability/member-units/{g.justice.pk}/letter/", {}),
        (f"/api/v1/accountability/schemes/{scheme.pk}/review-scores/",
         {"indicator": scheme.indicators.get(code="review").pk, "score": "1", "unit": g.police.unit_id}),
        (f"/api/v1/accountability/schemes/{scheme.pk}/occurrences/",
         {"rule": scheme.rules.first().pk, "happened_on": "2026-05-01", "reason": "x",
          "unit": g.police.unit_id}),
    ]  # fmt: skip
    for url, body in api_posts:
        # Its own member unit is no stranger to the justice liaison: seen, not the office.
        own = who == "justice_liaison" and "member-units" in url
        expected = 403 if own else 404
        assert c.post(url, body, content_type="application/json").status_code == expected, url
    # Nothing changed.
    report.refresh_from_db()
    assert report.state == "submitted" and Run.objects.count() == 1
    assert Letter.objects.count() == 1 and not Run.objects.get().frozen
    assert not Occurrence.objects.exists() and not ReviewScore.objects.exists()


def test_liaison_sees_its_own_letter_only(setup, personas, client_for):
    g, letter, _task, _report, _scheme, run = setup
    c = client_for(personas.liaison)
    rows = c.get("/api/v1/accountability/letters/").json()["results"]
    assert [r["id"] for r in rows] == [letter.pk]
    other = client_for(g.justice_liaison).get("/api/v1/accountability/letters/").json()["results"]
    assert other == []
    detail = c.get(f"/api/v1/accountability/letters/{letter.pk}/").json()
    assert detail["tasks"][0]["overdue"] is True
    assert detail["tasks"][0]["allowed_actions"] == []  # under review
    # Not frozen yet: a liaison reads its score once the result is frozen.
    assert c.get(f"/api/v1/accountability/runs/{run.pk}/scores/").status_code == 404
    actions.freeze(g.office, run)
    scores = c.get(f"/api/v1/accountability/runs/{run.pk}/scores/").json()
    assert [s["subject"] for s in scores] == ["桃西派出所"]


def test_api_review_and_compute_with_idempotency(setup, personas, client_for):
    g, letter, task, report, scheme, run = setup
    office = client_for(g.office)
    bad = office.post(f"/api/v1/accountability/reports/{report.pk}/review/",
                      {"decision": "return"}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "note"
    ok = office.post(f"/api/v1/accountability/reports/{report.pk}/review/",
                     {"decision": "return", "note": "缺少台账"}, content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["state"] == "returned"
    url = f"/api/v1/accountability/schemes/{scheme.pk}/runs/"
    first = office.post(url, {"note": "复核"}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="run-2")  # fmt: skip
    again = office.post(url, {"note": "复核"}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="run-2")  # fmt: skip
    assert first.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and Run.objects.count() == 2
    frozen = office.post(f"/api/v1/accountability/runs/{run.pk}/freeze/", {},
                         content_type="application/json")  # fmt: skip
    assert frozen.status_code == 200 and frozen.json()["frozen"] is True
    twice = office.post(f"/api/v1/accountability/runs/{run.pk}/freeze/", {},
                        content_type="application/json")  # fmt: skip
    assert twice.status_code == 400
    liaison = client_for(personas.liaison)
    report2 = liaison.post(f"/api/v1/accountability/tasks/{task.pk}/reports/",
                           {"text": "补充台账", "complete": True}, content_type="application/json")  # fmt: skip
    assert report2.status_code == 201
    assert ProgressReport.objects.filter(task=task).count() == 2
    no = liaison.post(f"/api/v1/accountability/letters/{letter.pk}/tasks/",
                      {"title": "x", "target_kind": "yes_no", "deadline": str(date(2026, 6, 1)),
                       "weight": "1"}, content_type="application/json")  # fmt: skip
    assert no.status_code in (403, 409)
    ev = report.evidence.get()
    got = liaison.get(f"/api/v1/accountability/evidence/{ev.pk}/file/")
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    # The office records reviewer scores and events, and drafts the other unit's letter.
    review = scheme.indicators.get(code="review")
    url = f"/api/v1/accountability/schemes/{scheme.pk}/review-scores/"
    too_much = office.post(url, {"indicator": review.pk, "score": "99", "unit": g.police.unit_id},
                           content_type="application/json")  # fmt: skip
    assert too_much.status_code == 400 and too_much.json()["errors"][0]["field"] == "score"
    assert office.post(url, {"indicator": review.pk, "score": "15", "unit": g.police.unit_id},
                       content_type="application/json").status_code == 201  # fmt: skip
    occ = office.post(f"/api/v1/accountability/schemes/{scheme.pk}/occurrences/",
                      {"rule": scheme.rules.get(kind="veto").pk, "happened_on": "2026-05-01",
                       "reason": "重大事故", "unit": g.justice.unit_id},
                      content_type="application/json")  # fmt: skip
    assert occ.status_code == 201
    made = office.post(f"/api/v1/accountability/member-units/{g.justice.pk}/letter/",
                       {"number": "桃平安〔2026〕2号"}, content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["allowed_actions"] == [
        "edit",
        "in_force",
        "sign_group",
        "sign_unit",
    ]


def test_nav_lists_the_section_for_leaders_and_liaisons(personas, client_for, world):
    from fengqiao.accounts.access import access_for
    from fengqiao.web.context import nav_for

    assert nav_for(access_for(personas.leader))["accountability"]
    assert nav_for(access_for(personas.liaison))["accountability"]
    assert not nav_for(access_for(personas.outsider))["accountability"]
    assert not nav_for(access_for(personas.grid_worker))["accountability"]
