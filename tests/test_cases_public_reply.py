"""Internal notes never reach the public; public replies do (issue 12).

A reason or note a staff member types with a transition is internal. What the resident is told
is the public reply, given as its own field. The walk below makes every transition that carries
an internal text, each with a distinct secret, and after each one reads every public surface:
the tracking page, Open311 (JSON and XML, the list and the single request), the notifications
sent to the reporter, and the webhook payloads. No secret may appear in any of them; the reply
given with the step must.
"""

import json
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from fengqiao.cases import actions
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    Channel,
    Diversion,
    Extension,
    Task,
)
from fengqiao.open311.clients import issue_client
from fengqiao.webhooks.events import collect_events
from fengqiao.webhooks.models import EventType, WebhookEvent
from fengqiao.webhooks.services import create_subscription
from tests.case_factories import (
    HUAYUAN_POINT,
    make_case_world,
    report,
    use_immediate_tasks,
)
from tests.webhook_helpers import start_receiver

PHONE = "13904641234"
EMAIL = "wang@example.org"
LON, LAT = HUAYUAN_POINT


@pytest.fixture
def cw(world, personas, settings):
    use_immediate_tasks(settings)
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True  # the receiver listens on 127.0.0.1
    settings.PUBLIC_TRACK_RATE = "10000/600"
    return make_case_world(world)


@pytest.fixture
def receiver():
    rec, server = start_receiver()
    yield rec
    server.shutdown()
    server.server_close()


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def submit_open311(key: str) -> Case:
    resp = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": key, "service_code": "construction_disturbance",
            "description": "工地夜间施工噪音扰民", "lat": str(LAT), "long": str(LON),
            "phone": PHONE, "email": EMAIL,
        },
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
    number = json.loads(resp.content)[0]["service_request_id"]
    return Case.objects.get(tracking_number=number)


class Surfaces:
    """Everything the public can read about a set of cases."""

    def __init__(self, capture, receiver) -> None:
        self.capture, self.receiver = capture, receiver

    def run(self, step):
        """Run a step as a request would: its on-commit work (notifications) runs, then the
        webhook collector reads the new history and delivers."""
        with self.capture(execute=True):
            result = step()
        with self.capture(execute=True):
            collect_events()
        return result

    def track(self, case: Case) -> str:
        resp = Client().post(
            reverse("public:track"),
            {"tracking_number": case.tracking_number, "phone_last4": PHONE[-4:]},
        )
        assert resp.status_code == 200
        return resp.content.decode()

    def open311(self, case: Case) -> dict[str, str]:
        out = {}
        for fmt in ("json", "xml"):
            single = Client().get(f"/open311/v2/requests/{case.tracking_number}.{fmt}")
            listed = Client().get(f"/open311/v2/requests.{fmt}")
            assert single.status_code == listed.status_code == 200
            out[f"single.{fmt}"] = single.content.decode()
            out[f"list.{fmt}"] = listed.content.decode()
        return out

    def status_notes(self, case: Case) -> tuple[str | None, str | None]:
        url = f"/open311/v2/requests/{case.tracking_number}"
        row = json.loads(Client().get(f"{url}.json").content)[0]
        req = ET.fromstring(Client().get(f"{url}.xml").content).find("request")
        return row["status_notes"], req.findtext("status_notes")

    def mails(self) -> str:
        to_reporter = [m for m in mail.outbox if EMAIL in m.to]
        return "\n".join(f"{m.subject}\n{m.body}" for m in to_reporter)

    def webhooks(self) -> str:
        stored = [json.dumps(e.payload, ensure_ascii=False) for e in WebhookEvent.objects.all()]
        sent = [r.body.decode() for r in self.receiver.requests]
        return "\n".join(stored + sent)

    def all(self, cases) -> dict[str, str]:
        texts = {"mail": self.mails(), "webhooks": self.webhooks()}
        for c in cases:
            texts[f"track {c.tracking_number}"] = self.track(c)
            for name, body in self.open311(c).items():
                texts[f"open311 {name} {c.tracking_number}"] = body
        return texts


def test_internal_notes_never_reach_any_public_surface(
    cw, world, personas, receiver, django_capture_on_commit_callbacks
):
    create_subscription(
        cw.district_clerk, name="省平台", url=receiver.url,
        event_types=list(EventType.values), region_code=world.district.code,
    )  # fmt: skip
    key = issue_client("居民随手拍", Channel.objects.get(code="resident_report"), actor=None).secret
    a, b, c = submit_open311(key), submit_open311(key), submit_open311(key)
    s = Surfaces(django_capture_on_commit_callbacks, receiver)
    clerk, center, street = cw.huayuan_clerk, cw.district_clerk, personas.street_clerk
    secrets: list[str] = []

    def step(
        case: Case, name: str, call, *, reply: str | None = None, shown_on: Case | None = None
    ):
        """Run `call(version, secret, reply)`; then no secret anywhere, the reply everywhere."""
        secret = f"内部{len(secrets):02d}当事人有精神病史（{name}）"
        secrets.append(secret)
        before = CaseHistory.objects.order_by("-id").values_list("id", flat=True).first()
        s.run(lambda: call(fresh(case).version, secret, reply or ""))
        texts = s.all([a, b, c])
        for where, text in texts.items():
            for hidden in secrets:
                assert hidden not in text, (name, where, hidden)
        if reply is None:
            return
        target = shown_on or case
        assert reply in texts[f"track {target.tracking_number}"], name
        assert reply in texts["mail"], name
        entry = CaseHistory.objects.filter(case=target, id__gt=before).order_by("-id").first()
        assert entry.public_reply == reply and entry.public, name
        latest = (
            CaseHistory.objects.filter(case=target, public=True)
            .exclude(public_reply="")
            .order_by("-at", "-id")
            .first()
        )
        if latest.pk == entry.pk:
            assert s.status_notes(target) == (reply, reply), name
        if WebhookEvent.objects.filter(history_id=entry.pk).exists():
            assert reply in texts["webhooks"], name

    # Case a: from acceptance through closure, a visit, reopening, escalation, dispatch, return
    # and cancellation.
    step(a, "accept", lambda v, x, r: actions.accept(clerk, a, expected_version=v, note=x,
         public_reply=r), reply="您反映的问题已受理")  # fmt: skip
    step(c, "merge", lambda v, x, r: actions.merge(clerk, c, into=a, reason=x, public_reply=r,
         expected_version=v), reply="与另一件反映合并办理")  # fmt: skip
    step(a, "add_progress", lambda v, x, r: actions.add_progress(clerk, a, text=x,
         expected_version=v))  # fmt: skip
    step(a, "start", lambda v, x, r: actions.start(clerk, a, expected_version=v, note=x,
         public_reply=r), reply="工作人员已开始处理")  # fmt: skip
    step(a, "suspend", lambda v, x, r: actions.suspend(clerk, a, reason=x, public_reply=r,
         expected_version=v), reply="等待相关部门答复，暂停计时")  # fmt: skip
    step(a, "resume", lambda v, x, r: actions.resume(clerk, a, note=x, public_reply=r,
         expected_version=v), reply="恢复办理")  # fmt: skip
    step(a, "request_extension", lambda v, x, r: actions.request_extension(clerk, a, days=3,
         reason=x, expected_version=v))  # fmt: skip
    ext = Extension.objects.get(case=a)
    step(a, "decide_extension", lambda v, x, r: actions.decide_extension(center, ext,
         approve=True, note=x, expected_version=v))  # fmt: skip
    step(a, "raise_supervision", lambda v, x, r: actions.raise_supervision(center, a,
         level="yellow", reason=x, expected_version=v))  # fmt: skip
    step(a, "resolve", lambda v, x, r: actions.resolve(clerk, a, outcome="施工时间已调整",
         note=x, public_reply=r, expected_version=v), reply="施工单位已调整作业时间")  # fmt: skip
    step(a, "close", lambda v, x, r: actions.close(center, a, note=x, public_reply=r,
         expected_version=v), reply="感谢您的反映，本事项已办结")  # fmt: skip
    step(a, "record_visit", lambda v, x, r: actions.record_visit(clerk, a, method="phone",
         satisfaction="satisfied", note=x, expected_version=v))  # fmt: skip
    step(a, "reopen", lambda v, x, r: actions.reopen(center, a, reason=x, public_reply=r,
         expected_version=v), reply="您的事项已重新办理")  # fmt: skip
    step(a, "escalate", lambda v, x, r: actions.escalate(clerk, a, reason=x, public_reply=r,
         expected_version=v), reply="已提交街道综治中心")  # fmt: skip
    step(a, "accept again", lambda v, x, r: actions.accept(street, a, note=x,
         expected_version=v))  # fmt: skip
    step(a, "dispatch", lambda v, x, r: actions.dispatch(center, a, lead_unit=cw.civil_affairs,
         co_units=[cw.charity], instructions=x, expected_version=v))  # fmt: skip
    co = Task.objects.get(case=a, active=True, role=Task.Role.CO)
    step(a, "waive_task", lambda v, x, r: actions.waive_task(center, co, reason=x,
         expected_version=v))  # fmt: skip
    step(a, "return_case", lambda v, x, r: actions.return_case(center, a, reason=x,
         public_reply=r, expected_version=v), reply="事项已退回重新分派")  # fmt: skip
    step(a, "cancel", lambda v, x, r: actions.cancel(center, a, reason=x, public_reply=r,
         expected_version=v), reply="经核实无需处理，予以撤销")  # fmt: skip
    assert fresh(a).state == CaseState.CANCELLED

    # Case b: a hand-off to a court, its progress, and closure with the court's result.
    step(b, "divert", lambda v, x, r: actions.divert(clerk, b, target="court", note=x,
         public_reply=r, expected_version=v), reply="已移交人民法院")  # fmt: skip
    div = Diversion.objects.get(case=b)
    step(b, "update_diversion", lambda v, x, r: actions.update_diversion(clerk, div,
         status="concluded", result=x, expected_version=v))  # fmt: skip
    step(b, "close diverted", lambda v, x, r: actions.close(clerk, b, outcome="法院调解结案",
         note=x, public_reply=r, expected_version=v), reply="法院已调解结案")  # fmt: skip
    assert fresh(b).state == CaseState.CLOSED and fresh(b).outcome == "法院调解结案"
    # Every internal text is still there for staff.
    notes = set(CaseHistory.objects.values_list("note", flat=True))
    notes |= set(Task.objects.values_list("waive_reason", flat=True))
    missing = [x for x in secrets if not any(x in n for n in notes)]
    assert missing == []


@pytest.mark.parametrize("name", ["cancel", "escalate"])
def test_a_reason_alone_is_never_published(cw, name):
    """The leak as it was reported: a reason typed with a transition, nothing else given."""
    key = issue_client("居民随手拍", Channel.objects.get(code="resident_report"), actor=None).secret
    case = submit_open311(key)
    call = getattr(actions, name)
    call(cw.huayuan_clerk, case, reason="当事人有精神病史", expected_version=case.version)
    url = f"/open311/v2/requests/{case.tracking_number}"
    for fmt in ("json", "xml"):
        for body in (Client().get(f"{url}.{fmt}"), Client().get(f"/open311/v2/requests.{fmt}")):
            assert body.status_code == 200
            assert "当事人有精神病史" not in body.content.decode()
    assert Surfaces(None, None).status_notes(case) == (None, "")  # null; an empty XML element


def test_existing_reasons_stay_internal_after_the_migration(cw):
    """The data migration gives a public reply only to texts written for the public."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("fengqiao.cases.migrations.0010_casehistory_public_reply")
    case = report(None).case
    rows = {
        "cancel": CaseHistory.objects.create(case=case, action="cancel", note="当事人有精神病史",
                                             public=True),
        "note": CaseHistory.objects.create(case=case, action="note", note="已联系施工方",
                                           public=True),
        "private": CaseHistory.objects.create(case=case, action="note", note="内部备注"),
        "resolve": CaseHistory.objects.create(case=case, action="resolve", note="道路已修复",
                                              public=True),
        "close": CaseHistory.objects.create(case=case, action="close", note="已办结。",
                                            public=True),
    }  # fmt: skip
    Case.objects.filter(pk=case.pk).update(outcome="已办结。", state="closed")
    if connection.vendor == "postgresql":
        # The migration ran before history became append-only (cases 0011's trigger): replay it
        # the way it ran then, with the trigger off for this test's transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    migration.forwards(apps, None)
    got = {k: CaseHistory.objects.get(pk=r.pk).public_reply for k, r in rows.items()}
    assert got == {"cancel": "", "note": "已联系施工方", "private": "", "resolve": "道路已修复",
                   "close": ""}  # fmt: skip
    # The close had overwritten the resolution: the case has it back.
    assert fresh(case).outcome == "道路已修复"


# -- closing keeps the resolution ----------------------------------------------------------


def _resolved(cw) -> Case:
    clerk = cw.huayuan_clerk
    case = report(None, reporter_email=EMAIL).case
    case = actions.accept(clerk, case, expected_version=case.version)
    return actions.resolve(
        clerk, case, outcome="施工单位调整作业时间并修复道路", expected_version=case.version
    )


def test_closing_keeps_the_resolution_the_public_sees(cw, django_capture_on_commit_callbacks):
    case = _resolved(cw)
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.close(
            cw.district_clerk, case, note="已办结。", expected_version=case.version
        )
    assert fresh(case).outcome == "施工单位调整作业时间并修复道路"
    closing = CaseHistory.objects.get(case=case, action="close")
    assert closing.note == "已办结。" and closing.public_reply == ""
    body = Client().post(
        reverse("public:track"), {"tracking_number": case.tracking_number, "phone_last4": "1234"}
    )
    text = body.content.decode()
    assert "施工单位调整作业时间并修复道路" in text and "已办结。" not in text
    closed_mail = mail.outbox[-1]
    assert "施工单位调整作业时间并修复道路" in closed_mail.body
    assert "已办结。" not in closed_mail.body


def test_closing_with_another_outcome_is_refused_not_overwritten(cw):
    case = _resolved(cw)
    with pytest.raises(actions.InvalidInput) as err:
        actions.close(cw.district_clerk, case, outcome="已办结。", expected_version=case.version)
    assert err.value.field == "outcome" and err.value.status == 400
    after = fresh(case)
    assert after.state == CaseState.RESOLVED and after.outcome == "施工单位调整作业时间并修复道路"
    # The same outcome again (a form sent back as it was loaded) is fine.
    actions.close(
        cw.district_clerk, case, outcome="施工单位调整作业时间并修复道路",
        expected_version=case.version,
    )  # fmt: skip
    assert fresh(case).outcome == "施工单位调整作业时间并修复道路"


def test_close_page_keeps_the_resolution_and_takes_a_closing_note(cw, client_for):
    case = _resolved(cw)
    c = client_for(cw.district_clerk)
    page = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="id_close_note"' in page and 'id="id_close_public_reply"' in page
    assert 'id="id_close_outcome"' not in page  # the case has its resolution already
    resp = c.post(
        reverse("cases:act", args=[case.pk, "close"]),
        {"version": case.version, "note": "已办结。", "public_reply": "欢迎评价"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    after = fresh(case)
    assert after.state == CaseState.CLOSED and after.outcome == "施工单位调整作业时间并修复道路"
    entry = CaseHistory.objects.get(case=case, action="close")
    assert (entry.note, entry.public_reply) == ("已办结。", "欢迎评价")


# -- the forms and the API take the public reply as its own field ---------------------------


def test_web_form_reason_stays_internal_reply_is_public(cw, client_for, personas):
    case = report(None).case
    c = client_for(cw.huayuan_clerk)
    resp = c.post(
        reverse("cases:act", args=[case.pk, "cancel"]),
        {"version": case.version, "reason": "当事人有精神病史", "public_reply": "经核实，无需处理"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    entry = CaseHistory.objects.get(case=case, action="cancel")
    assert (entry.note, entry.public_reply) == ("当事人有精神病史", "经核实，无需处理")
    # An administrator sees the case but does not work on it: the public view of the
    # timeline only.
    body = client_for(personas.admin).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "经核实，无需处理" in body and "当事人有精神病史" not in body
    # The clerk who works on it sees both.
    body = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "经核实，无需处理" in body and "当事人有精神病史" in body


def test_api_reason_stays_internal_reply_is_public(cw, client_for, personas):
    from tests.test_cases_api_endpoints import assert_matches_schema

    case = report(None).case
    url = f"/api/v1/cases/{case.pk}/transitions/suspend/"
    actions.accept(cw.huayuan_clerk, case, expected_version=case.version)
    resp = client_for(cw.huayuan_clerk).post(
        url,
        {"expected_version": fresh(case).version, "reason": "当事人有精神病史",
         "public_reply": "等待相关部门答复"},
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert_matches_schema(resp, "post")
    suspend = next(h for h in resp.json()["history"] if h["action"] == "suspend")
    assert suspend["note"] == "当事人有精神病史" and suspend["public_reply"] == "等待相关部门答复"
    # An administrator reads the case through the API: the public reply, not the internal reason.
    resp = client_for(personas.admin).get(f"/api/v1/cases/{case.pk}/")
    assert resp.status_code == 200
    assert_matches_schema(resp)
    assert "当事人有精神病史" not in resp.content.decode()
    assert "等待相关部门答复" in resp.content.decode()


# -- update_details through the API -------------------------------------------------------


def test_update_details_through_the_api(cw, client_for):
    from tests.test_cases_api_endpoints import assert_matches_schema

    case = report(None).case
    c = client_for(cw.huayuan_clerk)
    url = f"/api/v1/cases/{case.pk}/transitions/update_details/"

    def post(body):
        return c.post(url, body, content_type="application/json")

    resp = post({"expected_version": case.version, "title": "工地夜间施工", "risk_level": "high"})
    assert resp.status_code == 200, resp.content
    assert_matches_schema(resp, "post")
    after = fresh(case)
    assert (after.title, after.risk_level) == ("工地夜间施工", "high")
    assert after.version == case.version + 1
    assert CaseHistory.objects.filter(case=case, action="update").count() == 1

    bad = [
        ({"people_involved": 0}, "people_involved"),
        ({"people_involved": 10**20}, "people_involved"),
        ({"people_involved": "很多"}, "people_involved"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"title": ""}, "title"),
        ({"title": "长" * 201}, "title"),
    ]
    for body, field in bad:
        resp = post({"expected_version": after.version, **body})
        assert resp.status_code == 400, (body, resp.content)
        errors = resp.json()["errors"]
        assert [e["field"] for e in errors] == [field], (body, errors)
        assert all(e["message"] and e["code"] for e in errors)
    resp = post({"title": "无版本"})
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "expected_version"
    # A stale version is a conflict, not a 500 either.
    resp = post({"expected_version": case.version, "title": "过期的表单"})
    assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "version"
    assert fresh(case).title == "工地夜间施工"
