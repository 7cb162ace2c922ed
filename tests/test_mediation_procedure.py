"""The procedure of the People's Mediation Law as issue 17 asks: the workflow table and its one
transition(); members (委员, 3–9) against hired mediators and volunteers; a party ending the
mediation (art. 23); the notice of rights and duties before the first session; one extension of
the time limit with the parties' consent; civil disputes only; the oral-agreement register;
the REST endpoints of these steps (scope, Idempotency-Key, schema)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases.errors import InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import CaseState, Category, OtherRoute
from fengqiao.mediation import actions, workflow
from fengqiao.mediation.errors import MediationNotFound
from fengqiao.mediation.models import (
    Mediation,
    MediationEvent,
    MediationState,
    MediatorPost,
    RightsNotice,
)
from fengqiao.org.models import EmploymentType
from tests.case_factories import use_immediate_tasks
from tests.factories import make_user
from tests.mediation_factories import dispute_case, make_mediation_world, started
from tests.schema_check import assert_matches_schema, openapi_schema

pytestmark = pytest.mark.django_db
S = MediationState


@pytest.fixture
def mw(world, personas, settings):
    use_immediate_tasks(settings)
    return make_mediation_world(world, personas.admin, personas.street_clerk)


def _session(mw, m):
    return actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")


# -- the workflow ----------------------------------------------------------------------------


def test_every_state_change_is_a_transition_of_the_table(world, mw):
    m = started(world, mw)
    _session(mw, m)
    a = actions.record_agreement(mw.lead, m, form="oral", agreed_items="赔偿两千元")
    m.refresh_from_db()
    assert m.state == S.AGREED and a.effective_at
    # Every change of state in the timeline is the target of its transition, from a source.
    by_event = {t.event: t for t in workflow.TRANSITIONS.values()}
    for e in MediationEvent.objects.filter(mediation=m).exclude(from_state=models_F("to_state")):
        t = by_event[e.action]
        assert e.to_state == t.target and e.from_state in t.sources, e.action
    # Version bumped once per entry written by a person.
    assert m.version == MediationEvent.objects.filter(mediation=m).count()


def models_F(name):
    from django.db.models import F

    return F(name)


def test_allowed_actions_follow_state_condition_and_scope(world, mw, personas):
    from fengqiao.accounts.access import access_for

    m = started(world, mw)
    names = workflow.allowed_names(m, access_for(mw.lead))
    assert {"session", "terminate", "failure", "extend", "withdraw"} <= names
    assert not names & {"accept", "agreement", "sign", "followup", "confirmation"}
    # Another committee's mediator and an outsider may do nothing on it.
    assert workflow.allowed_names(m, access_for(mw.other_mediator)) == set()
    assert workflow.allowed_names(m, access_for(personas.outsider)) == set()
    with pytest.raises(MediationNotFound):
        actions.withdraw(mw.other_mediator, m, reason="x")
    _session(mw, m)
    m.refresh_from_db()
    names = workflow.allowed_names(m, access_for(mw.lead))
    assert "agreement" in names and "sign" not in names
    actions.record_agreement(mw.lead, m, form="written", agreed_items="赔偿", parties_facts="甲乙",
                             main_facts="噪音", disputed_points="赔偿额", responsibilities="乙方",
                             performance_method="一次付清")  # fmt: skip
    m.refresh_from_db()
    names = workflow.allowed_names(m, access_for(mw.lead))
    assert "sign" in names and "agreement" not in names
    with pytest.raises(TransitionNotAllowed) as e:
        actions.record_agreement(mw.lead, m, form="oral", agreed_items="again")
    assert e.value.code == "condition"


def test_the_page_offers_what_the_workflow_allows(world, mw, client_for):
    m = started(world, mw)
    page = client_for(mw.lead).get(f"/mediation/case/{m.case_id}/").content.decode()
    assert "当事人终止调解" in page and "经当事人同意延长调解期限" in page
    assert f"/mediation/{m.pk}/action/accept/" not in page
    assert f"/mediation/{m.pk}/action/followup/" not in page


# -- members and mediators -------------------------------------------------------------------


def test_only_members_count_toward_three_to_nine(world, mw, personas):
    admin = personas.admin
    for i in range(6):
        actions.add_mediator(admin, mw.committee, user=make_user(f"m{i}", f"委员{i}"))
    assert actions.members(mw.committee).count() == 9
    with pytest.raises(InvalidInput) as e:
        actions.add_mediator(admin, mw.committee, user=make_user("tenth", "第十"))
    assert e.value.code == "too_many"
    hired = actions.add_mediator(admin, mw.committee, user=make_user("hired", "专职甲"),
                                 post=MediatorPost.HIRED, employment_type=EmploymentType.FULL_TIME)  # fmt: skip
    volunteer = actions.add_mediator(admin, mw.committee, user=make_user("vol", "志愿乙"),
                                     post=MediatorPost.VOLUNTEER)  # fmt: skip
    assert actions.members(mw.committee).count() == 9
    assert actions.active_mediators(mw.committee).count() == 11
    assert not hired.is_member and not volunteer.is_member
    with pytest.raises(InvalidInput) as e:
        actions.add_mediator(admin, mw.committee, user=make_user("hired2", "专职丙"),
                             post=MediatorPost.HIRED, employment_type=EmploymentType.PART_TIME)  # fmt: skip
    assert e.value.field == "employment_type"
    with pytest.raises(InvalidInput) as e:
        actions.add_mediator(admin, mw.committee, user=make_user("x1", "某"), post="boss")
    assert e.value.field == "post"


def test_a_committee_of_two_members_and_volunteers_cannot_mediate(world, mw, personas):
    admin = personas.admin
    actions.add_mediator(admin, mw.committee, user=make_user("vol", "志愿乙"),
                         post=MediatorPost.VOLUNTEER)  # fmt: skip
    # Removing a volunteer never hits the minimum; a member does at three.
    vol = actions.active_mediators(mw.committee).get(post=MediatorPost.VOLUNTEER)
    actions.remove_mediator(admin, vol)
    with pytest.raises(InvalidInput) as e:
        actions.remove_mediator(admin, mw.mediators[2])
    assert e.value.code == "too_few"
    # A volunteer can be assigned to a dispute like a member.
    vol2 = actions.add_mediator(admin, mw.committee, user=make_user("vol2", "志愿丙"),
                                post=MediatorPost.VOLUNTEER)  # fmt: skip
    m = started(world, mw)
    m = actions.assign(mw.lead, m, mediators=[vol2, mw.mediators[0]], lead=mw.mediators[0])
    assert set(m.mediators.values_list("pk", flat=True)) == {vol2.pk, mw.mediators[0].pk}


# -- a party ends the mediation (art. 23) ------------------------------------------------------


def test_a_party_ends_the_mediation_mid_way_and_it_goes_on_the_failure_routes(world, mw):
    m = started(world, mw)
    _session(mw, m)
    applicant = m.case.parties.order_by("id").first()
    with pytest.raises(InvalidInput) as e:
        actions.terminate(mw.lead, m, party=applicant, reason=" ")
    assert e.value.field == "reason"
    m = actions.terminate(mw.lead, m, party=applicant, reason="不愿继续调解，准备起诉",
                          routes_told=["court"])  # fmt: skip
    m.refresh_from_db()
    assert m.state == S.FAILED and m.terminated_by == applicant and m.ended_at
    assert m.routes_told == ["court"] and "不愿继续调解" in m.failure_reason
    assert m.events.filter(action="terminate").count() == 1
    case = m.case
    case.refresh_from_db()
    assert case.state == CaseState.DIVERTED
    assert "第二十三条" in case.history.get(action="divert").note or "art. 23" in (
        case.history.get(action="divert").note
    )
    # Ended: nothing more, and not twice.
    with pytest.raises(TransitionNotAllowed):
        actions.terminate(mw.lead, m, party=applicant, reason="再次")


def test_termination_needs_a_party_of_this_case_and_the_committee(world, mw):
    m = started(world, mw)
    other_case = dispute_case(world, mw, title="另一纠纷")
    stranger = other_case.parties.first()
    with pytest.raises(InvalidInput) as e:
        actions.terminate(mw.lead, m, party=stranger, reason="x")
    assert e.value.field == "party"
    with pytest.raises(MediationNotFound):
        actions.terminate(mw.other_mediator, m, party=m.case.parties.first(), reason="x")


# -- the notice of rights and duties ------------------------------------------------------------


def test_no_session_before_every_party_is_told_rights_and_duties(world, mw):
    m = started(world, mw, notify=False)
    applicant, builder = list(m.case.parties.order_by("id"))
    actions.deliver_notice(mw.lead, m, party=applicant, method=RightsNotice.Method.READ_OUT)
    with pytest.raises(TransitionNotAllowed) as e:
        _session(mw, m)
    assert e.value.code == "not_told" and builder.name in e.value.message
    assert [p.pk for p in actions.parties_without_notice(m)] == [builder.pk]
    # Planning a session is fine before the notice.
    actions.plan_session(mw.lead, m, at=timezone.now() + timedelta(days=1), place="调解室")
    notice = actions.deliver_notice(mw.lead, m, party=builder, method="post")
    assert notice.delivered_by == mw.lead and notice.delivered_at <= timezone.now()
    _session(mw, m)
    m.refresh_from_db()
    assert m.state == S.IN_SESSION


# -- extension of the time limit ----------------------------------------------------------------


def test_the_time_limit_is_extended_once_with_consent(world, mw):
    m = started(world, mw)
    old = m.due
    new_day = (timezone.localtime(old) + timedelta(days=15)).date()
    with pytest.raises(InvalidInput) as e:
        actions.extend_time_limit(mw.lead, m, new_due=new_day, consent="")
    assert e.value.field == "consent"
    with pytest.raises(InvalidInput) as e:
        actions.extend_time_limit(
            mw.lead, m, new_due=timezone.localtime(old).date(), consent="同意"
        )
    assert e.value.code == "not_later"
    Mediation.objects.filter(pk=m.pk).update(is_overdue=True)
    m = actions.extend_time_limit(mw.lead, m, new_due=new_day, consent="双方当事人口头同意延期")
    m.refresh_from_db()
    assert m.original_due == old and timezone.localtime(m.due).date() == new_day
    assert m.extension_consent == "双方当事人口头同意延期" and not m.is_overdue
    assert m.events.get(action="extend").note == "双方当事人口头同意延期"
    with pytest.raises(TransitionNotAllowed) as e:
        actions.extend_time_limit(mw.lead, m, new_due=new_day + timedelta(days=5), consent="再延")
    assert e.value.code == "condition"


def test_overdue_mediations_show_apart_on_the_workbench(world, mw):
    m = started(world, mw)
    Mediation.objects.filter(pk=m.pk).update(due=timezone.now() - timedelta(days=1))
    assert [x.pk for x in actions.workbench(mw.lead)["overdue"]] == [m.pk]


# -- civil disputes only --------------------------------------------------------------------------


def test_a_category_that_is_not_a_civil_dispute_is_refused_with_its_route(world, mw):
    case = dispute_case(world, mw)
    Category.objects.filter(pk=case.category_id).update(
        civil_dispute=False, other_route=OtherRoute.ARBITRATION
    )
    with pytest.raises(InvalidInput) as e:
        actions.start(mw.lead, case, committee=mw.committee, mode="initiative")
    assert e.value.code == "not_civil_dispute" and "仲裁" in e.value.message
    assert not Mediation.objects.filter(case=case).exists()


# -- the API --------------------------------------------------------------------------------------


def test_terminate_extend_and_register_through_the_api(world, mw, client_for, personas):
    m = started(world, mw)
    c = client_for(mw.lead)
    base = f"/api/v1/mediation/{m.pk}"
    detail = c.get(f"{base}/").json()
    assert "terminate" in detail["allowed_actions"] and len(detail["notices"]) == 2
    new_day = (timezone.localtime(m.due) + timedelta(days=10)).date().isoformat()
    r = c.post(f"{base}/extend/", {"new_due": new_day, "consent": "双方同意"},
               content_type="application/json")  # fmt: skip
    assert (
        r.status_code == 200
        and r.json()["original_due"]
        and "extend" not in r.json()["allowed_actions"]
    )
    assert_matches_schema(r, "/api/v1/mediation/{id}/extend/", "post")
    r = c.post(f"{base}/extend/", {"new_due": "not a date", "consent": "x"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "new_due"
    # An outsider and another committee learn nothing.
    for who in (personas.outsider, mw.other_mediator):
        r = client_for(who).post(f"{base}/terminate/", {"party": 1, "reason": "x"},
                                 content_type="application/json")  # fmt: skip
        assert r.status_code in (403, 404)
    party = m.case.parties.order_by("id").first().pk
    body = {"party": party, "reason": "不再调解", "routes_told": ["court", "arbitration"]}
    r = c.post(f"{base}/terminate/", body, content_type="application/json",
               HTTP_IDEMPOTENCY_KEY="end-1")  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "failed"
    assert r.json()["terminated_by"] == party
    again = c.post(f"{base}/terminate/", body, content_type="application/json",
                   HTTP_IDEMPOTENCY_KEY="end-1")  # fmt: skip
    assert again.status_code == 200 and again.json() == r.json()
    assert MediationEvent.objects.filter(mediation=m, action="terminate").count() == 1
    r = c.post(f"{base}/terminate/", body, content_type="application/json")
    assert r.status_code == 409


def test_oral_register_and_committee_mediators_through_the_api(world, mw, client_for, personas):
    m = started(world, mw)
    _session(mw, m)
    actions.record_agreement(mw.lead, m, form="oral", agreed_items="道歉并赔偿五百元")
    c = client_for(mw.lead)
    rows = c.get("/api/v1/mediation/oral-agreements/").json()
    assert [r["number"] for r in rows] == [m.number]
    assert rows[0]["agreed_items"] == "道歉并赔偿五百元" and "王秀英" in rows[0]["parties"]
    assert client_for(mw.other_mediator).get("/api/v1/mediation/oral-agreements/").json() == []
    assert c.get("/api/v1/mediation/oral-agreements/?date_from=x").status_code == 400
    bench = c.get("/mediation/").content.decode()
    assert "口头协议登记" in bench and m.number in bench and "道歉并赔偿五百元" in bench
    assert (
        "道歉并赔偿五百元" not in client_for(mw.other_mediator).get("/mediation/").content.decode()
    )
    url = f"/api/v1/mediation/committees/{mw.committee.pk}/mediators/"
    make_user("vol_api", "志愿丁")
    r = c.post(url, {"username": "vol_api", "post": "volunteer"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["post"] == "volunteer"
    assert len(c.get(url).json()) == 4
    assert client_for(mw.other_mediator).get(url).status_code == 404
    paths = openapi_schema()["paths"]
    for p in ("terminate", "extend", "accept", "assign", "failure", "followups"):
        assert f"/api/v1/mediation/{{id}}/{p}/" in paths


def test_the_whole_way_to_judicial_confirmation_through_the_api(world, mw, client_for):
    case = dispute_case(world, mw)
    c = client_for(mw.lead)
    r = c.post("/api/v1/mediation/", {"case": case.pk, "committee": mw.committee.pk,
               "mode": "application", "application_text": "请求调解"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    pk = r.json()["id"]
    base = f"/api/v1/mediation/{pk}"
    post = lambda path, body: c.post(f"{base}/{path}", body, content_type="application/json")  # noqa: E731
    ids = [x.pk for x in mw.mediators[:2]]
    assert post("assign/", {"mediators": ids, "lead": ids[0]}).status_code == 200
    for p in case.parties.all():
        assert post("notices/", {"party": p.pk, "method": "in_person"}).status_code == 201
    assert post("investigations/", {"place": "工地", "findings": "噪音"}).status_code == 201
    assert (
        post("sessions/", {"place": "室", "participants": "双方", "minutes": "调解"}).status_code
        == 201
    )
    a = post(
        "agreement/",
        {
            "form": "oral",
            "agreed_items": "赔偿",
            "items": [
                {
                    "obligor": case.parties.order_by("id").last().pk,
                    "what": "付款",
                    "due_date": "2030-01-01",
                }
            ],
        },
    )
    assert a.status_code == 201
    item = a.json()["items"][0]["id"]
    assert post(f"agreement/items/{item}/performed/", {"proof_note": "收据"}).status_code == 200
    followup = {"note": "回访满意", "way": "phone", "visited": "王秀英", "performance": "performed",
                "opinions": "无异议"}  # fmt: skip
    r = post("followups/", followup)
    assert r.status_code == 201
    [f] = r.json()["followups"]
    assert f["way"] == "phone" and f["visited"] == "王秀英" and f["performance"] == "performed"
    assert f["visit_date"] == timezone.localdate().isoformat() and f["opinions"] == "无异议"
    today = timezone.localdate().isoformat()
    r = post("agreement/confirmation/", {"applied_at": today, "court": "桃山区人民法院"})
    assert r.status_code == 200 and r.json()["state"] == "agreed"
    assert_matches_schema(r, "/api/v1/mediation/{id}/agreement/confirmation/", "post")
