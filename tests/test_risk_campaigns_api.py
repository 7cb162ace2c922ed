"""The risk and campaigns API: scoped like the pages, bad input → 400 naming the field,
Idempotency-Key honoured, outsiders get nothing."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.campaigns.models import Campaign, Indicator, Operation, OperationReport
from fengqiao.risk.models import Assessment, Level, RiskFactor, RuleKind, Warning, WarningRule
from tests.case_factories import make_case_world, report


@pytest.fixture
def cw(world):
    return make_case_world(world)


def post(client: Client, url: str, body: dict, key: str = ""):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def future(days=10):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_assessment_and_warning_api_with_idempotency(world, personas, cw, client_for):
    RiskFactor.objects.create(code="conflict", name="矛盾激化")
    case = report(cw.huayuan_clerk).case
    c = client_for(cw.huayuan_clerk)
    body = {
        "target_kind": "case",
        "case": case.pk,
        "title": "工地纠纷激化",
        "level": "major",
        "factors": [{"code": "conflict", "score": 5}],
        "measures": "每日走访",
        "responsible_unit": world.huayuan_station.pk,
        "review_date": future(),
    }
    r1 = post(c, "/api/v1/risk/assessments/", body, key="k-1")
    r2 = post(c, "/api/v1/risk/assessments/", body, key="k-1")
    assert r1.status_code == 201 and r2.status_code == 201
    assert r2.headers.get("Idempotent-Replayed") == "true" and Assessment.objects.count() == 1
    pk = r1.json()["id"]
    assert c.get("/api/v1/risk/warnings/?state=raised").json()["count"] == 1
    w = Warning.objects.get()
    r = post(c, f"/api/v1/risk/warnings/{w.pk}/transition/", {"action": "acknowledge"})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    r = post(
        c,
        f"/api/v1/risk/assessments/{pk}/reassess/",
        {"level": "medium", "measures": "x", "review_date": future()},
    )
    assert r.status_code == 200 and Warning.objects.get().state == "closed"
    bad = post(
        c,
        "/api/v1/risk/assessments/",
        {**body, "review_date": "2001-01-01", "factors": [{"code": "zz"}]},
    )
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"review_date", "factors"}
    assert Assessment.objects.count() == 1
    r = post(c, f"/api/v1/risk/assessments/{pk}/close/", {"note": ""})
    assert r.status_code == 400


def test_rules_api_edit_and_dry_run(world, personas, cw, client_for):
    report(people_involved=40)
    c = client_for(personas.admin)
    body = {
        "name": "群体性纠纷",
        "kind": "group_dispute",
        "params": {"people": 30},
        "level": "high",
        "region": world.district.code,
    }
    r = post(c, "/api/v1/risk/rules/", body)
    assert r.status_code == 201 and r.json()["enabled"] is False
    pk = r.json()["id"]
    hits = post(c, f"/api/v1/risk/rules/{pk}/dry-run/", {"days": 7})
    assert hits.status_code == 200 and len(hits.json()) == 1 and not Warning.objects.exists()
    bad = c.put(
        f"/api/v1/risk/rules/{pk}/",
        json.dumps({**body, "params": {"people": 1, "x": 2}}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {
        "params",
        "params.people",
    }
    assert WarningRule.objects.get().params == {"people": 30}


def test_campaign_and_operation_api(world, personas, cw, client_for):
    center = client_for(cw.district_clerk)
    r = post(
        center,
        "/api/v1/campaigns/",
        {
            "name": "矛盾纠纷大排查",
            "kind": "disputes",
            "region": world.district.code,
            "starts_on": future(0),
            "ends_on": future(30),
        },
    )
    assert r.status_code == 201
    pk = r.json()["id"]
    assert (
        post(
            center, f"/api/v1/campaigns/{pk}/grids/", {"grids": {"230903013001001": 10}}
        ).status_code
        == 200
    )
    assert (
        post(center, f"/api/v1/campaigns/{pk}/transition/", {"action": "activate"}).status_code
        == 200
    )
    gw = client_for(personas.grid_worker)
    r = post(
        gw,
        f"/api/v1/campaigns/{pk}/records/",
        {"grid": "230903013001001", "address": "3栋", "finding": "楼道堆物"},
    )
    assert r.status_code == 201
    roll = gw.get(f"/api/v1/campaigns/{pk}/rollup/").json()
    assert roll["grid"][0]["screened"] == 1 and roll["unfinished"][0]["grid"] == "230903013001001"
    rec = r.json()["id"]
    r = post(center, f"/api/v1/campaigns/records/{rec}/warning/", {"level": "low"})
    assert r.status_code == 200 and r.json()["warning"]
    op = Operation.objects.create(
        name="云剑行动",
        region=world.district,
        starts_on=timezone.localdate().replace(day=1),
        ends_on=timezone.localdate() + timedelta(days=90),
        period="month",
    )
    op.units.set([world.police_taoxi])
    Indicator.objects.create(operation=op, code="cases", name="破案数")
    liaison = client_for(personas.liaison)
    r = post(
        liaison,
        f"/api/v1/campaigns/operations/{op.pk}/reports/",
        {"unit": world.police_taoxi.pk, "period": future(0), "values": {"cases": 7}},
    )
    assert r.status_code == 201
    bad = post(
        liaison,
        f"/api/v1/campaigns/operations/{op.pk}/reports/",
        {"unit": world.police_taoxi.pk, "period": future(0), "values": {"cases": "七"}},
    )
    assert bad.status_code in (400, 409)
    rep = r.json()["id"]
    assert (
        post(
            center, f"/api/v1/campaigns/operations/reports/{rep}/decide/", {"action": "validate"}
        ).status_code
        == 200
    )
    fig = center.get(f"/api/v1/campaigns/operations/{op.pk}/figures/").json()
    assert fig["totals"] == {"cases": 7}
    assert OperationReport.objects.get().state == "validated"


URLS = [
    ("get", "/api/v1/risk/assessments/"),
    ("get", "/api/v1/risk/warnings/"),
    ("get", "/api/v1/risk/rules/"),
    ("get", "/api/v1/campaigns/"),
    ("get", "/api/v1/campaigns/operations/"),
]


def test_outsider_gets_nothing_from_any_endpoint(world, personas, cw, client_for):
    a_case = report(cw.huayuan_clerk).case
    w = Warning.objects.create(
        kind="manual",
        level=Level.HIGH,
        title="x",
        region_path=a_case.region_path,
        raised_at=timezone.now(),
    )
    rule = WarningRule.objects.create(
        name="r", kind=RuleKind.GROUP_DISPUTE, level=Level.LOW, region=world.district
    )
    camp = Campaign.objects.create(
        name="c",
        kind="hazards",
        region=world.district,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    op = Operation.objects.create(
        name="o",
        region=world.district,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        period="week",
    )
    c = client_for(personas.outsider)
    for _method, url in URLS:
        r = c.get(url)
        assert r.status_code == 200 and r.json()["count"] == 0, url
    for url in [
        f"/api/v1/risk/warnings/{w.pk}/",
        f"/api/v1/risk/rules/{rule.pk}/",
        f"/api/v1/campaigns/{camp.pk}/",
        f"/api/v1/campaigns/{camp.pk}/rollup/",
        f"/api/v1/campaigns/operations/{op.pk}/figures/",
    ]:
        assert c.get(url).status_code == 404, url
    for url, body in [
        (f"/api/v1/risk/warnings/{w.pk}/transition/", {"action": "acknowledge"}),
        (f"/api/v1/risk/rules/{rule.pk}/dry-run/", {"days": 3}),
        (f"/api/v1/campaigns/{camp.pk}/transition/", {"action": "activate"}),
    ]:
        assert post(c, url, body).status_code == 404, url
    r = post(
        c,
        "/api/v1/risk/assessments/",
        {
            "target_kind": "project",
            "title": "t",
            "level": "low",
            "measures": "m",
            "responsible_unit": 1,
            "review_date": future(),
            "project_name": "p",
            "region": world.district.code,
        },
    )
    assert r.status_code == 403
    assert Warning.objects.get().state == "raised" and Campaign.objects.get().state == "draft"
    assert Client().get("/api/v1/risk/warnings/").status_code in (401, 403)
