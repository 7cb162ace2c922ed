"""Story S5: an emergency structure ("1 office, n groups, task forces") is set up for an
epidemic, activated; the screening campaign is linked and rolls up; tasks go to groups and grids
with deadlines in calendar hours, are accepted and done, overdue ones are flagged; members and
grid workers check in; the situation view and the daily report (DOCX and PDF, A4) show the
figures; the event is stood down; plans are kept with their drills. Every step is in the history
(a hash chain) and the audit trail."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.campaigns import screening
from fengqiao.cases import actions as cases
from fengqiao.cases.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.core import chain
from fengqiao.core.models import AuditEntry
from fengqiao.emergency import actions, monitor, situation
from fengqiao.emergency.models import EventLog, EventState, Task, TaskState
from fengqiao.emergency.workflow import NotFound
from tests.case_factories import case_data, make_case_world
from tests.emergency_factories import make_setup


@pytest.fixture
def s(world, personas):
    return make_setup(world, personas)


def _campaign(world, cw, personas):
    center = cw.district_clerk
    c = screening.create_campaign(center, {
        "name": "疫情防控入户排查", "kind": "epidemic", "region": world.district.code,
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "form_fields": [{"name": "fever", "label": "是否发热", "type": "bool", "required": True}],
    })  # fmt: skip
    screening.assign_grids(center, c, {"230903013001001": 3, "230903012001001": 2})
    c = screening.move_campaign(center, c, "activate")
    for addr in ("1栋101", "1栋102"):
        screening.record_screening(personas.grid_worker, c, {
            "grid": "230903013001001", "address": addr, "answers": {"fever": False}})  # fmt: skip
    return c


def test_s5_end_to_end(world, personas, s, client_for):
    cw = make_case_world(world)
    leader, gw = s.commander, personas.grid_worker
    event = s.event
    # The structure: 1 office, 2 groups, 1 task force (and the command).
    assert situation.build(leader, event).structure_text == "1办2组1专班"
    # Tasks only once activated; the office (a member of the office) commands too.
    with pytest.raises(TransitionNotAllowed):
        actions.assign_task(leader, event, title="x", hours=2, body=s.groups["medical"].pk)
    event = actions.activate(s.office, event, note="启动二级响应")
    assert event.state == EventState.ACTIVE and event.activated_at is not None
    # A plain member cannot command.
    with pytest.raises(NotPermitted):
        actions.stand_down(s.member, event)

    campaign = _campaign(world, cw, personas)
    event = actions.link_campaign(leader, event, campaign.pk)
    case = cases.intake(cw.huayuan_clerk, case_data(), "screening").case
    actions.link_case(leader, event, case.pk)

    # Tasks with deadlines in calendar hours (a Saturday night counts like any other hour).
    before = timezone.now()
    t_grid = actions.assign_task(leader, event, title="花园社区第1网格全员入户排查", hours=12,
                                 grid=world.grids["230903013001001"].pk)  # fmt: skip
    assert timedelta(hours=12) <= t_grid.deadline - before < timedelta(hours=12, minutes=1)
    t_med = actions.assign_task(s.office, event, title="设置核酸检测点", hours=4,
                                body=s.groups["medical"].pk)  # fmt: skip
    t_late = actions.assign_task(leader, event, title="转运隔离人员", hours=1,
                                 grid=world.grids["230903012001001"].pk)  # fmt: skip
    Task.objects.filter(pk=t_late.pk).update(deadline=timezone.now() - timedelta(hours=2))
    with pytest.raises(InvalidInput) as e:
        actions.assign_task(leader, event, title="x", hours=0, body=s.groups["medical"].pk)
    assert e.value.field == "hours"
    with pytest.raises(InvalidInput) as e:
        actions.assign_task(leader, event, title="x", hours=3)
    assert e.value.field == "body"

    # The grid worker accepts and finishes the grid's task; the medic the group's. The grid
    # worker does not even see the group's task (only their grids').
    with pytest.raises(NotFound):
        actions.accept_task(gw, t_med)
    actions.accept_task(gw, t_grid)
    with pytest.raises(TransitionNotAllowed):
        actions.accept_task(gw, t_grid)
    actions.complete_task(gw, t_grid, result="入户128户，发现发热1人")
    actions.accept_task(s.member, t_med)
    # Check-ins by a group member and a grid worker (place optional).
    actions.check_in(s.member, event, note="检测点已设置", place="河畔社区广场", task=t_med.pk)
    actions.check_in(gw, event, note="到岗", lat=45.775, lng=131.002)
    with pytest.raises(InvalidInput):
        actions.check_in(gw, event, lat=45.7)

    sit = situation.build(leader, event)
    assert (sit.tasks_total, sit.tasks_done, sit.tasks_open, sit.tasks_overdue) == (3, 1, 2, 1)
    assert sit.open_tasks[0].pk == t_late.pk  # overdue first
    assert sit.checkins_today == 2 and sit.done_today == 1
    assert sit.campaign_total.screened == 2 and sit.campaign_total.target == 5
    assert {r.name for r in sit.rollup["street"]} == {"桃西街道", "桃南街道"}
    assert [i["id"] for i in sit.incidents] == [case.pk]

    c = client_for(leader)
    page = c.get(f"/emergency/events/{event.pk}/situation/")
    body = page.content.decode()
    assert page.status_code == 200 and "转运隔离人员" in body and "sit-map" in body
    assert body.index("转运隔离人员") < body.index("设置核酸检测点")
    api = c.get(f"/api/v1/emergency/events/{event.pk}/situation/").json()
    assert api["tasks_overdue"] == 1 and api["structure"] == "1办2组1专班"
    assert api["screening_by_street"][0]["target"] in (2, 3)

    # The daily report, as DOCX and PDF on A4.
    docx = c.get(f"/emergency/events/{event.pk}/daily-report.docx")
    assert docx.status_code == 200
    from docx import Document

    doc = Document(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "桃山区疫情防控" in text and "1办2组1专班" in text
    assert (
        round(doc.sections[0].page_width.mm) == 210 and round(doc.sections[0].page_height.mm) == 297
    )
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "转运隔离人员" in cells and "桃西街道" in cells
    pdf = c.get(f"/emergency/events/{event.pk}/daily-report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf.content
    api_pdf = c.get(f"/api/v1/emergency/events/{event.pk}/daily-report/pdf/")
    assert api_pdf.status_code == 200 and api_pdf["Content-Type"] == "application/pdf"

    # Monitoring room: the panel's figures open the lists behind them.
    figures = monitor.figures(leader)
    assert figures == {"active": 1, "open": 2, "overdue": 1, "drills": 0}
    dash = c.get("/emergency/tasks/?overdue=1").content.decode()
    assert "转运隔离人员" in dash and "设置核酸检测点" not in dash

    # Stand down; no more tasks or check-ins.
    event = actions.stand_down(leader, event, note="解除响应")
    assert event.state == EventState.STOOD_DOWN and event.stood_down_at >= event.activated_at
    with pytest.raises(TransitionNotAllowed):
        actions.check_in(gw, event, note="x")
    with pytest.raises(TransitionNotAllowed):
        actions.complete_task(s.member, t_med, result="x")
    assert monitor.figures(leader)["active"] == 0

    # History: every step, a sound hash chain; the audit trail has the changes.
    log = list(EventLog.objects.filter(event=event).values_list("action", flat=True))
    assert log[:2] == ["create", "body_added"] and log[-1] == "stand_down"
    assert {"activate", "campaign_linked", "case_linked", "assign", "accept", "complete"} <= set(
        log
    )
    report = chain.verify_model(chain.SPECS["emergency.eventlog"])
    assert report.ok and report.rows == len(log)
    assert AuditEntry.objects.filter(object_type__contains="event", action="update").exists()
    assert Task.objects.get(pk=t_grid.pk).state == TaskState.DONE


def test_plans_and_drills(world, personas, s, client_for):
    leader = s.commander
    with pytest.raises(InvalidInput) as e:
        actions.record_drill(leader, s.plan, held_on=timezone.localdate() + timedelta(days=1),
                             scenario="x", participants="x")  # fmt: skip
    assert e.value.field == "held_on"
    drill = actions.record_drill(
        leader, s.plan, held_on=timezone.localdate(), scenario="学校发现聚集性疫情",
        participants="卫健局、教育局、桃西街道", findings="转运车辆调度慢",
        follow_ups=["修订转运方案", "补充防护物资"],
    )  # fmt: skip
    assert drill.follow_ups == ["修订转运方案", "补充防护物资"]
    with pytest.raises(NotPermitted):
        actions.record_drill(s.member, s.plan, held_on=timezone.localdate(), scenario="x",
                             participants="x")  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        actions.create_plan(leader, region=world.district.pk, title="t", version="1",
                            levels=[{"level": "V", "name": "x"}], text="x")  # fmt: skip
    assert e.value.field == "levels"
    c = client_for(leader)
    page = c.get(f"/emergency/plans/{s.plan.pk}/").content.decode()
    assert "二级响应" in page and "修订转运方案" in page
    api = c.get(f"/api/v1/emergency/plans/{s.plan.pk}/").json()
    assert [lv["level"] for lv in api["levels"]] == ["II", "IV"] and len(api["drills"]) == 1
    assert monitor.figures(leader)["drills"] == 1
    assert (
        "学校发现聚集性疫情"
        in c.get(f"/emergency/drills/?year={timezone.localdate().year}").content.decode()
    )
    # A plan file (PDF) is served to those who see the plan.
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("预案.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n")
    resp = c.post("/emergency/new/create_plan/", {
        "region": world.district.pk, "title": "防汛应急预案", "version": "2026", "file": pdf,
        "level_I_name": "一级响应",
    })  # fmt: skip
    assert resp.status_code == 302
    from fengqiao.emergency.models import Plan

    plan = Plan.objects.get(title="防汛应急预案")
    assert plan.levels[0]["name"] == "一级响应"
    assert c.get(f"/emergency/plans/{plan.pk}/file/").status_code == 200


def test_pages_and_forms(world, personas, s, client_for):
    c = client_for(s.commander)
    index = c.get("/emergency/").content.decode()
    assert "桃山区疫情防控" in index and "桃山区突发公共卫生事件应急预案" in index
    resp = c.post(f"/emergency/activate/{s.event.pk}/", {"note": "启动"})
    assert resp.status_code == 302
    resp = c.post(f"/emergency/assign/{s.event.pk}/", {"title": "核酸采样", "hours": "6",
                                                        "body": s.groups["medical"].pk})  # fmt: skip
    assert resp.status_code == 302
    t = Task.objects.get(title="核酸采样")
    assert t.hours == 6
    medic = client_for(s.member)
    assert medic.post(f"/emergency/accept/{t.pk}/").status_code == 302
    assert medic.post(f"/emergency/complete/{t.pk}/", {"result": "采样300人"}).status_code == 302
    t.refresh_from_db()
    assert t.state == TaskState.DONE
    assert medic.post(f"/emergency/check_in/{s.event.pk}/", {"note": "到岗"}).status_code == 302
    page = c.get(f"/emergency/events/{s.event.pk}/").content.decode()
    assert "采样300人" in page and "到岗" in page and "医疗救治组" in page
    # Bad input: a message, nothing saved.
    c.post(f"/emergency/assign/{s.event.pk}/", {"title": "x", "hours": "abc",
                                                "body": s.groups["medical"].pk})  # fmt: skip
    assert not Task.objects.filter(title="x").exists()
    # Navigation: leaders and centre staff.
    assert "/emergency/" in c.get("/").content.decode()


def test_api_with_idempotency(world, personas, s, client_for):
    c = client_for(s.commander)
    url = f"/api/v1/emergency/events/{s.event.pk}/activate/"
    assert c.post(url, {}, content_type="application/json").status_code == 200
    tasks_url = f"/api/v1/emergency/events/{s.event.pk}/tasks/"
    body = {"title": "封控小区物资保障", "hours": 8, "grid": world.grids["230903013001001"].pk}
    first = c.post(tasks_url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    again = c.post(tasks_url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and again.json() == first.json()
    assert Task.objects.filter(title="封控小区物资保障").count() == 1
    bad = c.post(tasks_url, {"title": "x", "hours": 2, "body": s.groups["medical"].pk,
                             "grid": world.grids["230903013001001"].pk},
                 content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "body"
    outside = c.post(tasks_url, {"title": "x", "hours": 2, "grid": 10**9},
                     content_type="application/json")  # fmt: skip
    assert outside.status_code == 400 and outside.json()["errors"][0]["code"] == "does_not_exist"
    gw = client_for(personas.grid_worker)
    tid = first.json()["id"]
    assert gw.get(f"/api/v1/emergency/events/{s.event.pk}/").status_code == 200
    assert gw.post(f"/api/v1/emergency/tasks/{tid}/accept/", {},
                   content_type="application/json").json()["state"] == "accepted"  # fmt: skip
    done = gw.post(f"/api/v1/emergency/tasks/{tid}/complete/", {"result": "已送达"},
                   content_type="application/json")  # fmt: skip
    assert done.status_code == 200 and done.json()["state"] == "done"
    ci = gw.post(f"/api/v1/emergency/events/{s.event.pk}/checkins/",
                 {"note": "到岗", "place": "花园社区", "task": tid}, content_type="application/json")  # fmt: skip
    assert ci.status_code == 201
    history = c.get(f"/api/v1/emergency/events/{s.event.pk}/history/").json()
    assert [h["action"] for h in history][-3:] == ["assign", "accept", "complete"]
    created = c.post("/api/v1/emergency/events/", {"name": "防汛", "kind": "防汛", "level": "IV",
                     "region": world.taoxi.pk}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["state"] == "draft"
    # A street's centre staff cannot set up a district event.
    street = client_for(personas.street_clerk)
    refused = street.post("/api/v1/emergency/events/", {"name": "x", "kind": "x", "level": "IV",
                          "region": world.district.pk}, content_type="application/json")  # fmt: skip
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "region"


def test_daily_report_pdf_without_the_font_is_a_503_and_docx_still_works(
    world, personas, s, client_for, settings
):
    settings.PDF_CJK_FONT = "/nonexistent/font.ttc"
    c = client_for(s.commander)
    page = c.get(f"/emergency/events/{s.event.pk}/daily-report.pdf")
    assert page.status_code == 503 and "DOCX" in page.content.decode()
    api = c.get(f"/api/v1/emergency/events/{s.event.pk}/daily-report/pdf/")
    assert api.status_code == 503 and api.json()["errors"][0]["code"] == "font_unavailable"
    assert c.get(f"/emergency/events/{s.event.pk}/daily-report.docx").status_code == 200
