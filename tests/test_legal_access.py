"""Nobody sees beyond their place in the legal-service network: a room's lawyer sees their
room's questions, a station's their street's, the centre all; an outsider gets 404 on every
page and endpoint; the resident's phone is masked for those who do not hold the question;
internal notes never reach the resident. The API with Idempotency-Key."""

import pytest
from django.urls import reverse

from fengqiao.legalservices import actions
from fengqiao.legalservices.models import AidCaseType, Question, QuestionState
from tests.legal_factories import make_legal_world

PHONE = "13904645678"


@pytest.fixture
def setup(world, settings):
    settings.PUBLIC_LEGAL_RATE = "1000/600"
    lw = make_legal_world(world)
    base = {"topic": lw.topic.pk, "text": "拖欠工资", "phone": PHONE, "name": "李大爷"}
    room_q = actions.ask(**base, community=world.huayuan.pk).question
    street_q = actions.ask(**base, community=world.songshan.pk).question  # 桃西 station
    south_q = actions.ask(**base, community=world.hepan.pk).question  # 桃南 station
    return lw, room_q, street_q, south_q


def token_client(user):
    """The API as the user (session; lawyers' accounts hold no role to be issued tokens by)."""
    from django.test import Client

    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def visible_numbers(user):
    return set(actions.visible(user, Question.objects.all()).values_list("number", flat=True))


def test_scope_by_level(setup, personas):
    lw, room_q, street_q, south_q = setup
    assert visible_numbers(lw.room_user) == {room_q.number}
    assert visible_numbers(lw.station_user) == {room_q.number, street_q.number}
    assert visible_numbers(lw.centre_user) == {room_q.number, street_q.number, south_q.number}
    assert visible_numbers(personas.outsider) == set()
    # A leader (statistics capability over the district) reads them all.
    assert visible_numbers(personas.leader) == {room_q.number, street_q.number, south_q.number}
    # A station clerk of another community (no place in the network) sees none.
    assert visible_numbers(personas.station_clerk) == set()


def pages(q):
    return [
        reverse("legal:index"), reverse("legal:list"), reverse("legal:network"),
        reverse("legal:figures"), reverse("legal:question", args=[q.pk]),
    ]  # fmt: skip


def apis(q):
    return [
        "/api/v1/legal/points/", "/api/v1/legal/questions/", "/api/v1/legal/figures/",
        f"/api/v1/legal/questions/{q.pk}/",
    ]  # fmt: skip


POSTS = ["answer", "note", "refer-aid", "refer-mediation"]


def test_outsider_gets_404_everywhere(setup, personas, client_for):
    _lw, room_q, *_ = setup
    c = client_for(personas.outsider)
    for url in pages(room_q):
        assert c.get(url).status_code == 404, url
    for name in ("answer", "note", "refer_aid", "refer_mediation"):
        assert c.post(reverse("legal:act", args=[room_q.pk, name]), {}).status_code == 404
    api = token_client(personas.outsider)
    assert api.get(f"/api/v1/legal/questions/{room_q.pk}/").status_code == 404
    for url in ["/api/v1/legal/points/", "/api/v1/legal/questions/"]:
        body = api.get(url).json()
        assert body["count"] == 0, url
    assert api.get("/api/v1/legal/figures/").json()["total"] == 0
    for name in POSTS:
        r = api.post(f"/api/v1/legal/questions/{room_q.pk}/{name}/", {"text": "x"},
                     content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k-{name}")  # fmt: skip
        assert r.status_code == 404, name
    room_q.refresh_from_db()
    assert room_q.state == QuestionState.OPEN and room_q.events.count() == 1


def test_another_rooms_lawyer_gets_404(setup, client_for):
    lw, room_q, _street_q, south_q = setup
    c = client_for(lw.room_user)
    assert c.get(reverse("legal:question", args=[south_q.pk])).status_code == 404
    assert c.get(reverse("legal:question", args=[room_q.pk])).status_code == 200
    listed = c.get(reverse("legal:list")).content.decode()
    assert room_q.number in listed and south_q.number not in listed


def test_phone_masked_for_those_who_do_not_hold_the_question(setup, client_for, personas):
    lw, room_q, *_ = setup
    assert (
        PHONE
        in client_for(lw.room_user)
        .get(reverse("legal:question", args=[room_q.pk]))
        .content.decode()
    )
    for user in (lw.station_user, lw.centre_user, personas.leader):
        body = client_for(user).get(reverse("legal:question", args=[room_q.pk])).content.decode()
        assert PHONE not in body and "139****5678" in body
        data = token_client(user).get(f"/api/v1/legal/questions/{room_q.pk}/").json()
        assert data["phone"] == "139****5678"


def test_api_flow_with_idempotency(setup):
    lw, room_q, *_ = setup
    api = token_client(lw.room_user)
    url = f"/api/v1/legal/questions/{room_q.pk}/answer/"
    first = api.post(url, {"text": "可申请劳动仲裁"}, content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="answer-1")  # fmt: skip
    assert first.status_code == 200, first.content
    again = api.post(url, {"text": "可申请劳动仲裁"}, content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="answer-1")  # fmt: skip
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert room_q.messages.filter(kind="answer").count() == 1
    assert first.json()["state"] == "answered" and "note" not in first.json()["allowed_actions"][:0]
    bad = api.post(f"/api/v1/legal/questions/{room_q.pk}/refer-aid/",
                   {"economic_hardship": True, "case_type": 99999},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "case_type"
    ct = AidCaseType.objects.get(code="labour_pay")
    ok = api.post(f"/api/v1/legal/questions/{room_q.pk}/refer-aid/",
                  {"economic_hardship": False, "case_type": ct.pk}, content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["referral"]["likely_eligible"] is False


def test_resident_api_ask_track_follow_up_rate(setup, client, world):
    lw, *_ = setup
    topics = client.get("/api/v1/legal/topics/").json()
    assert any(t["code"] == "labour" for t in topics)
    r = client.post("/api/v1/legal/ask/", {"topic": lw.topic.pk, "text": "工伤怎么认定？",
                    "phone": PHONE, "community": world.huayuan.pk},
                    content_type="application/json", HTTP_IDEMPOTENCY_KEY="ask-1")  # fmt: skip
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert r.json()["link"].startswith("/legal/q/")
    bad = client.post("/api/v1/legal/ask/", {"topic": lw.topic.pk, "text": "x", "phone": "12"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "phone"
    q = Question.objects.get(number=number)
    actions.note(lw.room_user, q, text="内部备注甲")
    actions.answer(lw.room_user, q, text="向人社局申请工伤认定。")
    track = {"number": number, "phone_last4": PHONE[-4:]}
    wrong = client.post("/api/v1/legal/track/", {**track, "phone_last4": "0000"},
                        content_type="application/json")  # fmt: skip
    assert wrong.status_code == 404
    seen = client.post("/api/v1/legal/track/", track, content_type="application/json").json()
    assert seen["state"] == "answered" and "内部备注甲" not in str(seen)
    assert [m["kind"] for m in seen["messages"]] == ["answer"]
    r = client.post("/api/v1/legal/track/follow-up/", {**track, "text": "需要什么材料？"},
                    content_type="application/json")  # fmt: skip
    assert r.json()["state"] == "follow_up"
    actions.answer(lw.room_user, q, text="劳动合同和医疗诊断证明。")
    r = client.post("/api/v1/legal/track/rate/", {**track, "score": 4, "comment": "清楚"},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["rating"] == 4


def test_public_pages_are_rate_limited(world, client, settings):
    settings.PUBLIC_LEGAL_RATE = "1/600"
    make_legal_world(world)
    from django.core.cache import cache

    cache.clear()
    assert (
        client.post(reverse("legal:track"), {"number": "X", "phone_last4": "1234"}).status_code
        == 404
    )
    assert (
        client.post(reverse("legal:track"), {"number": "X", "phone_last4": "1234"}).status_code
        == 429
    )
    cache.clear()


def test_public_tracking_link_hides_notes(setup, client):
    lw, room_q, *_ = setup
    actions.note(lw.room_user, room_q, text="内部备注乙")
    body = client.get(reverse("legal:status", args=[room_q.token])).content.decode()
    assert room_q.number in body and "内部备注乙" not in body and PHONE not in body
    assert client.get(reverse("legal:status", args=["nope"])).status_code == 404
