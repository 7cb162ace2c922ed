"""S7 legal consultation end to end: a villager asks (page and API), the question reaches the
community room (else the street's station, else the centre), a lawyer answers, the resident is
notified, reads the answer, asks a follow-up, rates; hard cases go to legal aid and to people's
mediation; an unanswered question escalates after its working-day limit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases.errors import CaseError, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, Category
from fengqiao.core import chain
from fengqiao.legalservices import actions
from fengqiao.legalservices.models import (
    AidCaseType,
    Message,
    Question,
    QuestionState,
    ReferralKind,
)
from fengqiao.legalservices.tasks import sweep_questions_task
from tests import test_notifications
from tests.case_factories import HEPAN_POINT, HUAYUAN_POINT, use_immediate_tasks
from tests.legal_factories import make_legal_world

PHONE = "13904645678"


@pytest.fixture
def lw(world, settings):
    settings.PUBLIC_LEGAL_RATE = "1000/600"
    return make_legal_world(world)


def ask(lw, **kw):
    data = {"topic": lw.topic.pk, "text": "公司拖欠三个月工资，我该怎么办？", "phone": PHONE,
            "name": "李大爷"}  # fmt: skip
    data.update(kw)
    return actions.ask(**data)


def test_routing_room_then_station_then_centre(lw, world):
    assert ask(lw, community=world.huayuan.pk).question.point == lw.huayuan
    # 松山社区 has no room: its street's station.
    assert ask(lw, community=world.songshan.pk).question.point == lw.taoxi
    # From a point on the map: 河畔社区 (桃南街道), no room → 桃南 station.
    assert ask(lw, lon=HEPAN_POINT[0], lat=HEPAN_POINT[1]).question.point == lw.taonan
    assert ask(lw, lon=HUAYUAN_POINT[0], lat=HUAYUAN_POINT[1]).question.point == lw.huayuan
    lw.taonan.active = False
    lw.taonan.save()
    assert ask(lw, community=world.hepan.pk).question.point == lw.centre


def test_bad_input_names_every_field_and_saves_nothing(lw):
    with pytest.raises(CaseError) as e:
        actions.ask(topic=999, text="  ", phone="110", community=999)
    fields = {x.field for x in e.value.errors}
    assert {"topic", "text", "phone", "community"} <= fields
    assert not Question.objects.exists()


def test_s7_ask_answer_notify_follow_up_rate(
    lw, world, client, client_for, settings, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    use_immediate_tasks(settings)
    settings.SMS_CHANNEL = "tests.test_notifications.RecordingSms"
    test_notifications.SENT.clear()
    # The resident asks on the public page, without an account.
    page = client.get(reverse("legal:ask"))
    assert page.status_code == 200 and "法律咨询" in page.content.decode()
    with on_commit(execute=True):
        resp = client.post(reverse("legal:ask"), {
            "topic": lw.topic.pk, "community": world.huayuan.pk, "text": "公司拖欠三个月工资怎么办？",
            "name": "李大爷", "phone": PHONE,
        })  # fmt: skip
    assert resp.status_code == 200, resp.content.decode()[:2000]
    q = Question.objects.get()
    assert q.point == lw.huayuan and q.state == QuestionState.OPEN and q.due_at
    link = reverse("legal:status", args=[q.token])
    assert link in resp.content.decode()
    assert test_notifications.SENT and test_notifications.SENT[-1][0] == PHONE
    assert q.number in test_notifications.SENT[-1][1]

    # The room's lawyer sees it in their queue, with the phone in full.
    lawyer = client_for(lw.room_user)
    queue = lawyer.get(reverse("legal:index")).content.decode()
    assert q.number in queue and PHONE in queue
    # An internal note first, then the answer.
    lawyer.post(
        reverse("legal:act", args=[q.pk, "note"]), {"note-text": "当事人情绪激动，注意安抚"}
    )
    with on_commit(execute=True):
        r = lawyer.post(reverse("legal:act", args=[q.pk, "answer"]),
                        {"answer-text": "可向劳动监察大队投诉，或申请劳动仲裁。"})  # fmt: skip
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.state == QuestionState.ANSWERED and q.answered_by == lw.room_lawyer
    assert q.first_answered_at and q.due_at is None
    assert "劳动仲裁" in test_notifications.SENT[-1][1]
    assert all("安抚" not in text for _phone, text in test_notifications.SENT)

    # The resident reads the answer, never the note; asks a follow-up.
    status = client.get(link).content.decode()
    assert "劳动仲裁" in status and "周律师" in status and "安抚" not in status
    r = client.post(reverse("legal:follow_up", args=[q.token]), {"text": "仲裁要花钱吗？"})
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.state == QuestionState.FOLLOW_UP and q.due_at
    actions.answer(lw.room_user, q, text="劳动仲裁不收费。")
    # … and rates the answer.
    r = client.post(reverse("legal:rate", args=[q.token]), {"score": "5", "comment": "很有帮助"})
    assert r.status_code == 200 and "很有帮助" in r.content.decode()
    q.refresh_from_db()
    assert (q.state, q.rating) == (QuestionState.CLOSED, 5)
    with pytest.raises(TransitionNotAllowed):
        actions.rate(q, score=1)
    # Every step is in the question's hash chain.
    assert list(q.events.values_list("action", flat=True)) == [
        "ask",
        "note",
        "answer",
        "follow_up",
        "answer",
        "rate",
    ]
    assert chain.verify().breaks == []


def test_only_the_lawyers_of_a_covering_point_answer(lw, world, personas):
    q = ask(lw, community=world.hepan.pk).question  # 桃南 station: outside 桃西
    with pytest.raises(CaseError) as e:
        actions.answer(lw.room_user, q, text="答复")
    assert e.value.status == 404
    # The centre's staff see it and may refer it, but only a lawyer answers.
    with pytest.raises(NotPermitted):
        actions.answer(lw.centre_user, q, text="答复")
    actions.note(lw.centre_user, q, text="请桃南站尽快配备律师")


def test_hard_case_referred_to_legal_aid(lw, world, settings):
    use_immediate_tasks(settings)
    q = ask(lw, community=world.huayuan.pk).question
    with pytest.raises(CaseError) as e:
        actions.refer_aid(lw.room_user, q, economic_hardship=None, case_type=1)
    assert e.value.field == "economic_hardship"
    labour = AidCaseType.objects.get(code="labour_pay")
    ref = actions.refer_aid(lw.room_user, q, economic_hardship=True, case_type=labour.pk,
                            note="低保户")  # fmt: skip
    q.refresh_from_db()
    assert q.state == QuestionState.REFERRED and ref.kind == ReferralKind.LEGAL_AID
    assert ref.likely_eligible is True
    info = actions.public_status(q)
    assert info["referral"] and "低保户" not in str(info)


def test_hard_case_referred_to_mediation(lw, world, personas, settings):
    from tests.mediation_factories import make_mediation_world

    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    q = ask(lw, community=world.huayuan.pk, lon=HUAYUAN_POINT[0], lat=HUAYUAN_POINT[1],
            text="邻居装修占用楼道，多次协商无果").question  # fmt: skip
    category = Category.objects.get(code="construction_disturbance")
    ref = actions.refer_mediation(lw.room_user, q, category=category.pk)
    case = Case.objects.get(pk=ref.case_id)
    assert case.kind == "dispute" and case.description == q.text
    assert case.reporter_phone == PHONE and case.channel.code == "legal_service"
    assert ref.mediation is None
    # The case takes the usual road (the community's station dispatches it to the committee);
    # a lawyer who also works the station and mediates for 花园社区's committee registers the
    # mediation in the same step.
    from fengqiao.accounts.roles import Role
    from tests.factories import assign

    assign(lw.room_user, Role.STATION_STAFF, region=world.huayuan)
    assign(lw.room_user, Role.MEDIATOR, unit=mw.committee)
    q2 = ask(lw, community=world.huayuan.pk, lon=HUAYUAN_POINT[0], lat=HUAYUAN_POINT[1]).question
    ref2 = actions.refer_mediation(lw.room_user, q2, category=category.pk,
                                   committee=mw.committee.pk)  # fmt: skip
    assert ref2.mediation is not None and ref2.mediation.case_id == ref2.case_id
    assert ref2.mediation.referral_reference == q2.number
    q2.refresh_from_db()
    assert q2.state == QuestionState.REFERRED


def test_unanswered_question_escalates_room_station_centre(lw, world):
    q = ask(lw, community=world.huayuan.pk).question
    assert sweep_questions_task.call() == 0
    later = q.due_at + timedelta(minutes=1)
    assert actions.sweep(later) == 1
    q.refresh_from_db()
    assert q.point == lw.taoxi and q.escalations == 1 and q.first_point == lw.huayuan
    # The station's lawyer now has it in their queue; the room's lawyer still sees it but the
    # next sweep moves it to the centre, where it stays.
    assert actions.sweep(q.due_at + timedelta(minutes=1)) == 1
    q.refresh_from_db()
    assert q.point == lw.centre
    assert actions.sweep(q.due_at + timedelta(days=30)) == 0
    assert list(q.events.values_list("action", flat=True)) == ["ask", "escalate", "escalate"]
    assert chain.verify().breaks == []


def test_escalation_counts_working_days(lw, world, settings):
    settings.LEGAL_ANSWER_WORKING_DAYS = 3
    q = ask(lw, community=world.huayuan.pk).question
    from fengqiao.workcalendar import calendar as wc

    assert q.due_at == wc.add_working_days(q.asked_at, 3)
    assert q.due_at - q.asked_at >= timedelta(days=3)
    assert actions.sweep(q.asked_at + timedelta(days=1)) == 0


def test_figures_and_drill_down(lw, world, client_for):
    q1 = ask(lw, community=world.huayuan.pk).question
    ask(lw, community=world.hepan.pk)
    actions.answer(lw.room_user, q1, text="答复")
    actions.rate(Question.objects.get(pk=q1.pk), score=4)
    c = client_for(lw.centre_user)
    body = c.get(reverse("legal:figures")).content.decode()
    assert "?level=room" in body and "?lawyer=" in body
    page = c.get(reverse("legal:list") + "?level=room").content.decode()
    assert q1.number in page and "2 " not in page[:0]
    data = c.get("/api/v1/legal/figures/").json()
    assert data["total"] == 2 and data["rating"] == 4.0
    assert {r["key"]: r["count"] for r in data["by_level"]} == {
        "room": 1,
        "station": 1,
        "centre": 0,
    }
    assert data["per_lawyer"][0]["count"] == 1
    # The monitoring room's panel links to the lists.
    from django.test import RequestFactory

    from fengqiao.legalservices.monitor import panel

    req = RequestFactory().get("/monitor/")
    req.user = lw.centre_user
    p = panel(req)
    assert p and any("?level=room" in r["url"] for r in p["rows"])


def test_message_kinds_are_kept_apart(lw, world):
    q = ask(lw, community=world.huayuan.pk).question
    actions.note(lw.room_user, q, text="内部")
    assert Message.objects.filter(question=q, kind="note").exists()
    assert "内部" not in str(actions.public_status(q))
    timezone.now()
