"""The pages of risk, campaigns and operations: they open for those who work them, show only
the user's area, refuse bad values with a message and change nothing; outsiders get 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.campaigns import screening
from fengqiao.campaigns.models import Campaign, Indicator, Operation, OperationReport
from fengqiao.risk.models import Assessment, Level, RiskFactor, RuleKind, Warning, WarningRule
from tests.case_factories import make_case_world, report


@pytest.fixture
def cw(world):
    return make_case_world(world)


@pytest.fixture
def things(world, personas, cw):
    RiskFactor.objects.create(code="conflict", name="矛盾激化")
    case = report(cw.huayuan_clerk).case
    w = Warning.objects.create(
        kind="manual",
        level=Level.HIGH,
        title="群体性纠纷苗头",
        region_path=case.region_path,
        target_unit=world.huayuan_station,
        raised_at=timezone.now(),
    )
    rule = WarningRule.objects.create(
        name="重复来访",
        kind=RuleKind.REPEAT_REPORTER,
        level=Level.MEDIUM,
        region=world.district,
        params={"days": 30, "count": 2},
    )
    c = screening.create_campaign(
        cw.district_clerk,
        {
            "name": "安全隐患排查",
            "kind": "hazards",
            "region": world.district.code,
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + timedelta(days=9)).isoformat(),
            "form_fields": [
                {"name": "fire", "label": "消防通道畅通", "type": "bool", "required": True}
            ],
        },
    )
    screening.assign_grids(cw.district_clerk, c, {"230903013001001": 5})
    screening.move_campaign(cw.district_clerk, c, "activate")
    op = Operation.objects.create(
        name="断卡行动",
        region=world.district,
        starts_on=timezone.localdate().replace(day=1),
        ends_on=timezone.localdate() + timedelta(days=60),
        period="month",
    )
    op.units.set([world.police_taoxi])
    Indicator.objects.create(operation=op, code="cases", name="破案数")
    return {"case": case, "w": w, "rule": rule, "c": c, "op": op}


def pages(t):
    return [
        "/risk/",
        f"/risk/warnings/{t['w'].pk}/",
        "/risk/assessments/new/",
        "/risk/rules/",
        f"/risk/rules/{t['rule'].pk}/",
        f"/risk/rules/{t['rule'].pk}/dry-run/?days=7",
        "/campaigns/",
        f"/campaigns/{t['c'].pk}/",
        f"/campaigns/{t['c'].pk}/screen/",
        f"/campaigns/operations/{t['op'].pk}/",
    ]


def test_outsider_gets_404_on_every_page(personas, things, client_for):
    c = client_for(personas.outsider)
    for url in pages(things):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/risk/warnings/{things['w'].pk}/", {"action": "acknowledge"}).status_code == 404
    assert Warning.objects.get().state == "raised"
    nav = c.get("/", follow=True).content.decode()
    assert "/risk/" not in nav and "/campaigns/" not in nav


def test_center_staff_open_every_page_and_see_nav(world, personas, cw, things, client_for):
    c = client_for(cw.district_clerk)
    for url in pages(things):
        if url.endswith("/screen/"):
            continue  # the phone page is the grid workers'
        r = c.get(url)
        assert r.status_code == 200, url
    home = c.get("/risk/").content.decode()
    assert "群体性纠纷苗头" in home
    assert 'href="/risk/"' in c.get("/").content.decode()


def test_warning_page_actions_and_bad_values(world, personas, cw, things, client_for):
    c = client_for(cw.huayuan_clerk)
    w = things["w"]
    r = c.post(f"/risk/warnings/{w.pk}/", {"action": "handle", "note": "", "version": w.version})
    assert r.status_code == 200 and Warning.objects.get().state == "raised"
    r = c.post(f"/risk/warnings/{w.pk}/", {"action": "acknowledge", "version": w.version})
    assert r.status_code == 302 and Warning.objects.get().state == "acknowledged"
    # The open warning shows on the station's workbench.
    assert "群体性纠纷苗头" in c.get("/").content.decode()


def test_assessment_form_creates_and_refuses_bad_values(world, personas, cw, things, client_for):
    c = client_for(cw.huayuan_clerk)
    good = {
        "target_kind": "case",
        "case": things["case"].pk,
        "title": "噪音纠纷",
        "level": "medium",
        "measures": "每周走访",
        "responsible_unit": world.huayuan_station.pk,
        "factor": ["conflict"],
        "score_conflict": "3",
        "review_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    bad = c.post("/risk/assessments/new/", {**good, "score_conflict": "9", "level": "x"})
    assert bad.status_code == 200 and not Assessment.objects.exists()
    assert (
        "1 to 5" in bad.content.decode()
        or "1 至 5" in bad.content.decode()
        or "1到5" in bad.content.decode()
        or bad.content.decode().count("msg-error") == 1
    )
    r = c.post("/risk/assessments/new/", good)
    a = Assessment.objects.get()
    assert r.status_code == 302 and a.factors[0]["score"] == 3
    r = c.post(
        f"/risk/assessments/{a.pk}/", {"action": "close", "note": "已化解", "version": a.version}
    )
    assert r.status_code == 302 and Assessment.objects.get().state == "closed"


def test_rule_form_and_dry_run(world, personas, cw, things, client_for):
    c = client_for(personas.admin)
    r = c.post(
        "/risk/rules/new/",
        {
            "name": "扬言极端",
            "kind": "keywords",
            "level": "major",
            "region": world.district.code,
            "params": '{"keywords": ["跳楼"]}',
        },
    )
    assert r.status_code == 302
    rule = WarningRule.objects.get(name="扬言极端")
    assert not rule.enabled
    bad = c.post(
        f"/risk/rules/{rule.pk}/",
        {
            "name": "扬言极端",
            "kind": "keywords",
            "level": "major",
            "region": world.district.code,
            "params": "{bad",
        },
    )
    assert bad.status_code == 200 and WarningRule.objects.get(pk=rule.pk).params == {
        "keywords": ["跳楼"]
    }
    report(description="扬言要跳楼")
    page = c.get(f"/risk/rules/{rule.pk}/dry-run/?days=3").content.decode()
    assert "跳楼" in page and not Warning.objects.filter(rule=rule).exists()


def test_screening_phone_page_and_operation_page(world, personas, cw, things, client_for):
    gw = client_for(personas.grid_worker)
    url = f"/campaigns/{things['c'].pk}/screen/"
    page = gw.get(url).content.decode()
    assert 'class="phone"' in page
    r = gw.post(url, {"grid": "230903013001001", "address": "5栋201", "f_fire": ""})
    assert r.status_code == 200 and not things["c"].records.exists()
    r = gw.post(
        url,
        {
            "grid": "230903013001001",
            "address": "5栋201",
            "f_fire": "yes",
            "finding": "楼道堆放杂物",
        },
    )
    assert r.status_code == 200 and things["c"].records.count() == 1
    center = client_for(cw.district_clerk)
    rec = things["c"].records.get()
    r = center.post(
        f"/campaigns/{things['c'].pk}/", {"action": "to_warning", "record": rec.pk, "level": "low"}
    )
    assert (
        r.status_code == 302
        and Warning.objects.filter(kind="manual", grid__code="230903013001001").exists()
    )
    liaison = client_for(personas.liaison)
    op = things["op"]
    r = liaison.post(
        f"/campaigns/operations/{op.pk}/",
        {
            "action": "submit",
            "unit": world.police_taoxi.pk,
            "period": timezone.localdate().isoformat(),
            "v_cases": "-3",
        },
    )
    assert r.status_code == 200 and not OperationReport.objects.exists()
    r = liaison.post(
        f"/campaigns/operations/{op.pk}/",
        {
            "action": "submit",
            "unit": world.police_taoxi.pk,
            "period": timezone.localdate().isoformat(),
            "v_cases": "50",
        },
    )
    assert r.status_code == 302
    rep = OperationReport.objects.get()
    r = center.post(
        f"/campaigns/operations/{op.pk}/",
        {"action": "validate", "report": rep.pk, "version": rep.version},
    )
    assert r.status_code == 302
    page = center.get(f"/campaigns/operations/{op.pk}/").content.decode()
    assert 'data-code="cases">50<' in page and "operation-chart-data" in page
    assert Campaign.objects.count() == 1


def test_monitoring_room_shows_open_warnings_in_scope(world, personas, cw, things, client_for):
    page = client_for(personas.leader).get("/monitor/cards/").content.decode()
    assert "群体性纠纷苗头" in page and 'id="open-warnings"' in page
    # The administrator sees statistics but no warnings (no risk capability).
    assert (
        "群体性纠纷苗头" not in client_for(personas.admin).get("/monitor/cards/").content.decode()
    )
