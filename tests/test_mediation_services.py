"""Mediation services: S1 to an agreement in effect and performed, refusal, failure, deadlines,
committee size and conflicted mediators."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from fengqiao.accounts.roles import Role
from fengqiao.cases.errors import CaseError, InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import CaseState, Diversion, InboxItem, RiskLevel, Task
from fengqiao.mediation import actions
from fengqiao.mediation.models import (
    Agreement,
    ConflictDeclaration,
    MediationEvent,
    MediationState,
    Mediator,
    Refusal,
)
from fengqiao.org.models import Unit, UnitKind
from fengqiao.workcalendar import calendar as wc
from tests.case_factories import use_immediate_tasks
from tests.factories import assign, make_user
from tests.mediation_factories import dispute_case, make_mediation_world, started

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    # Services speak the user's language; these tests read the Chinese messages.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def mw(world, personas, settings):
    use_immediate_tasks(settings)
    return make_mediation_world(world, personas.admin, personas.street_clerk)


def _parties(m):
    return list(m.case.parties.order_by("id"))


def test_s1_two_sessions_written_agreement_takes_effect_and_is_performed(world, mw):
    case = dispute_case(world, mw)
    m = actions.start(
        mw.lead, case, committee=mw.committee, mode="application", application_text="请求调解"
    )
    year = timezone.localtime(m.registered_at).year
    assert m.number == f"花园社区调字〔{year}〕第0001号"
    assert m.state == MediationState.REGISTERED
    m = actions.accept(mw.lead, m)
    assert m.due == wc.add_working_days(m.accepted_at, 22)
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS  # the committee's task was acknowledged and started
    m = actions.assign(mw.lead, m, mediators=mw.mediators[:2], lead=mw.mediators[0])
    applicant, builder = _parties(m)
    for p in (applicant, builder):
        actions.deliver_notice(mw.lead, m, party=p, method="in_person")
    actions.record_investigation(
        mw.lead,
        m,
        place="松林小区工地",
        findings="夜间施工至凌晨，道路多处破损",
        persons="居民、工地负责人",
    )
    actions.record_session(
        mw.lead,
        m,
        place="花园社区调解室",
        participants="王秀英、宏达建筑公司代表",
        minutes="第一次调解：双方陈述",
    )
    actions.record_session(
        mw.second,
        m,
        place="花园社区调解室",
        participants="王秀英、宏达建筑公司代表",
        minutes="第二次调解：达成一致",
    )
    m.refresh_from_db()
    assert m.state == MediationState.IN_SESSION and m.sessions.count() == 2
    due = timezone.localdate() + timedelta(days=7)
    agreement = actions.record_agreement(
        mw.lead,
        m,
        form="written",
        parties_facts="申请人王秀英，松林小区居民；被申请人七台河市宏达建筑公司",
        main_facts="工地昼夜施工，噪音扰民，道路被压坏",
        disputed_points="施工时间与道路修复",
        responsibilities="被申请人夜间施工违反规定，应负主要责任",
        agreed_items="一、每日22时至次日6时停止施工；二、七日内修复道路",
        performance_method="被申请人自行整改，调解委员会监督",
        items=[
            {"obligor": builder.pk, "what": "调整施工时间", "due_date": due},
            {"obligor": builder.pk, "what": "修复道路", "due_date": due.isoformat()},
        ],
    )
    assert agreement.effective_at is None
    actions.sign(mw.lead, agreement, who="party", party=applicant, method="signed")
    actions.sign(mw.lead, agreement, who="party", party=builder, method="sealed")
    actions.sign(mw.lead, agreement, who="mediator")
    agreement.refresh_from_db()
    assert agreement.effective_at is None
    assert actions.missing_signatures(agreement) == ["调委会印章"]
    actions.sign(mw.lead, agreement, who="seal")
    agreement.refresh_from_db()
    assert agreement.effective_at is not None
    m.refresh_from_db()
    assert m.state == MediationState.AGREED
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.outcome_success is True
    assert case.tasks.get(unit=mw.committee).state == Task.State.DONE
    for item in agreement.items.all():
        actions.mark_performance(mw.lead, item, proof_note="现场查看已整改")
    assert not agreement.items.filter(done_at__isnull=True).exists()
    actions.record_followup(
        mw.second, m, note="回访：已停止夜间施工，道路修复", visited="王秀英", way="phone"
    )
    assert agreement.confirmation_due == timezone.localtime(
        agreement.effective_at
    ).date() + timedelta(days=30)
    done = list(m.events.values_list("action", flat=True))
    assert done[:3] == ["register", "accept", "assign"] and "effective" in done


def test_signing_twice_and_wrong_party_are_refused(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    a = actions.record_agreement(
        mw.lead, m, form="written", agreed_items="x", parties_facts="a", main_facts="b",
        disputed_points="c", responsibilities="d", performance_method="e",
    )  # fmt: skip
    p = _parties(m)[0]
    actions.sign(mw.lead, a, who="party", party=p)
    with pytest.raises(InvalidInput) as e:
        actions.sign(mw.lead, a, who="party", party=p)
    assert e.value.field == "party"
    other_case = dispute_case(world, mw)
    with pytest.raises(InvalidInput) as e:
        actions.sign(mw.lead, a, who="party", party=other_case.parties.first())
    assert e.value.field == "party"
    assert a.signatures.count() == 1


def test_written_agreement_needs_what_the_law_requires(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    with pytest.raises(InvalidInput) as e:
        actions.record_agreement(mw.lead, m, form="written", agreed_items="赔偿")
    assert e.value.field == "parties_facts"
    assert not Agreement.objects.exists()


def test_oral_agreement_takes_effect_when_recorded(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    a = actions.record_agreement(mw.lead, m, form="oral", agreed_items="当场赔礼道歉")
    assert a.effective_at == a.recorded_at
    m.refresh_from_db()
    assert m.state == MediationState.AGREED


def test_refusal_means_no_mediation(world, mw):
    m = started(world, mw)
    builder = _parties(m)[1]
    with pytest.raises(InvalidInput) as e:
        actions.refuse(mw.lead, m, party=builder, reason="  ")
    assert e.value.field == "reason"
    actions.refuse(mw.lead, m, party=builder, reason="公司明确表示不接受调解，要求走诉讼")
    m.refresh_from_db()
    assert m.state == MediationState.REFUSED and m.ended_at is not None
    assert Refusal.objects.get(mediation=m).party == builder
    task = m.case.tasks.get(unit=mw.committee)
    assert task.state == Task.State.DONE and "公司明确表示不接受调解" in task.result
    with pytest.raises(TransitionNotAllowed):
        actions.record_session(mw.lead, m, place="x", participants="x", minutes="x")


def test_failure_ends_mediation_and_diverts_the_case_to_court(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="分歧较大")
    with pytest.raises(InvalidInput) as e:
        actions.record_failure(mw.lead, m, reason="赔偿数额分歧大", routes_told=[])
    assert e.value.field == "routes_told"
    actions.record_failure(mw.lead, m, reason="赔偿数额分歧大")
    m.refresh_from_db()
    assert m.state == MediationState.FAILED
    assert m.routes_told == ["arbitration", "administrative", "court"]
    case = m.case
    case.refresh_from_db()
    assert case.state == CaseState.DIVERTED
    d = Diversion.objects.get(case=case)
    assert d.target == Diversion.Target.COURT and d.reference == m.number
    assert "仲裁" in case.history.get(action="divert").note


def test_judicial_confirmation_deadline_is_30_days_after_effect(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    a = actions.record_agreement(mw.lead, m, form="oral", agreed_items="赔偿500元")
    effective_day = timezone.localtime(a.effective_at).date()
    assert a.confirmation_due == effective_day + timedelta(days=30)
    assert actions.confirmation_days_left(a, effective_day) == 30
    with pytest.raises(InvalidInput) as e:
        actions.record_judicial_confirmation(
            mw.lead, a, applied_at=effective_day + timedelta(days=31), court="桃山区人民法院"
        )
    assert e.value.field == "applied_at" and e.value.code == "late"
    assert a.confirmation_due.isoformat() in e.value.message
    jc = actions.record_judicial_confirmation(
        mw.lead, a, applied_at=effective_day + timedelta(days=30), court="桃山区人民法院"
    )
    assert jc.in_time and jc.result == "pending"
    jc = actions.record_judicial_confirmation(
        mw.lead, a, applied_at=jc.applied_at, court="桃山区人民法院", result="confirmed",
        result_at=jc.applied_at + timedelta(days=5),
    )  # fmt: skip
    assert jc.result == "confirmed"


def test_committee_size_three_to_nine(world, personas, mw):
    admin = personas.admin
    for i in range(6):
        actions.add_mediator(admin, mw.committee, user=make_user(f"extra{i}", f"成员{i}"))
    assert actions.members(mw.committee).count() == 9
    with pytest.raises(InvalidInput) as e:
        actions.add_mediator(admin, mw.committee, user=make_user("tenth", "第十"))
    assert e.value.code == "too_many" and "三至九人" in e.value.message
    assert actions.members(mw.committee).count() == 9
    small = Unit.objects.create(
        name="新建村人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.xinjian
    )
    trio = [actions.add_mediator(admin, small, user=make_user(f"s{i}", f"小{i}")) for i in range(3)]
    with pytest.raises(InvalidInput) as e:
        actions.remove_mediator(admin, trio[0])
    assert e.value.code == "too_few"
    assert actions.members(small).count() == 3
    actions.add_mediator(admin, small, user=make_user("s3", "小3"))
    actions.remove_mediator(admin, trio[0], reason="调离")
    assert actions.members(small).count() == 3


def test_a_committee_below_three_cannot_start(world, personas, mw):
    small = Unit.objects.create(
        name="河畔社区人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=world.hepan
    )
    u = make_user("med_small", "调解员周", unit=small)
    assign(u, Role.MEDIATOR, unit=small)
    actions.add_mediator(personas.admin, small, user=u)
    case = dispute_case(world, mw)
    with pytest.raises(CaseError):
        actions.start(u, case, committee=small, mode="initiative")


def test_outsider_and_other_committee_cannot_manage_members(world, personas, mw):
    for actor in (personas.outsider, mw.other_mediator, personas.street_clerk):
        with pytest.raises(NotPermitted):
            actions.add_mediator(actor, mw.committee, user=make_user(f"x{actor.pk}", "某"))


def test_conflicted_mediator_is_refused(world, mw):
    m = started(world, mw)
    # The third mediator declared the applicant as a relative; a fourth member is the builder.
    third = mw.mediators[2]
    ConflictDeclaration.objects.create(mediator=third, name="王秀英", relation="表姐")
    with pytest.raises(InvalidInput) as e:
        actions.assign(mw.lead, m, mediators=[third], lead=mw.mediators[0])
    assert e.value.code == "conflict" and "王秀英" in e.value.message
    party_user = make_user("builder_rep", "七台河市宏达建筑公司")
    same = actions.add_mediator(mw.lead, mw.committee, user=party_user)
    with pytest.raises(InvalidInput):
        actions.assign(mw.lead, m, mediators=[same], lead=same)
    by_id = actions.add_mediator(
        mw.lead, mw.committee, user=make_user("idmatch", "王某"), id_number="360426199101010071"
    )
    assert actions.conflicts_of(by_id, m.case)
    m.refresh_from_db()
    assert set(m.mediators.all()) == set(mw.mediators[:2])
    ranked = actions.suggest_assignment(mw.lead, m.case)
    assert third not in [s.mediator for s in ranked]
    assert by_id not in [s.mediator for s in ranked]
    # The lead mediator has the construction specialty: ranked first for a 施工扰民 case.
    assert ranked[0].mediator == mw.mediators[0]


def test_violence_risk_reaches_police_and_flags_the_case(world, mw):
    m = started(world, mw)
    actions.report_violence_risk(mw.lead, m, note="双方发生推搡，扬言报复")
    m.refresh_from_db()
    assert m.violence_warning
    m.case.refresh_from_db()
    assert m.case.risk_level == RiskLevel.HIGH
    item = InboxItem.objects.get(unit=world.police_taoxi, case=m.case)
    assert "报复" in item.text


def test_performance_reminders_once_a_day(world, mw):
    m = started(world, mw)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    builder = _parties(m)[1]
    today = timezone.localdate()
    actions.record_agreement(
        mw.lead, m, form="oral", agreed_items="修路",
        items=[{"obligor": builder, "what": "修复道路", "due_date": today + timedelta(days=2)},
               {"obligor": builder, "what": "赔偿", "due_date": today + timedelta(days=20)}],
    )  # fmt: skip
    assert actions.send_performance_reminders(today) == 1
    assert actions.send_performance_reminders(today) == 0
    assert actions.send_performance_reminders(today + timedelta(days=1)) == 1
    assert InboxItem.objects.filter(user=mw.lead, kind=InboxItem.Kind.DEADLINE_NEAR).count() == 2


def test_other_committee_and_outsider_cannot_act(world, personas, mw):
    m = started(world, mw)
    for actor in (mw.other_mediator, personas.outsider, personas.street_clerk):
        with pytest.raises(actions.MediationNotFound):
            actions.record_session(actor, m, place="x", participants="x", minutes="x")
        with pytest.raises(CaseError):
            actions.start(actor, dispute_case(world, mw), committee=mw.committee, mode="initiative")
    assert MediationEvent.objects.filter(mediation=m, action="session").count() == 0


def test_start_validates_mode_and_referral(world, mw):
    case = dispute_case(world, mw)
    with pytest.raises(InvalidInput) as e:
        actions.start(mw.lead, case, committee=mw.committee, mode="referral")
    assert e.value.field == "referral_source"
    with pytest.raises(InvalidInput) as e:
        actions.start(mw.lead, case, committee=mw.committee, mode="application")
    assert e.value.field == "application_text"
    m = actions.start(
        mw.lead, case, committee=mw.committee, mode="referral", referral_source="police"
    )
    assert m.referral_source == "police"
    with pytest.raises(TransitionNotAllowed):
        actions.start(mw.lead, case, committee=mw.committee, mode="initiative")


def test_mediator_model_territory(world, mw):
    assert Mediator.objects.get(user=mw.lead).territory == world.huayuan


def test_suggestions_prefer_lighter_workload(world, mw):
    # Two mediators with the same specialty and place: the one with fewer open mediations first.
    second, third = mw.mediators[1], mw.mediators[2]
    started(world, mw)  # lead and second now each have one open mediation
    ranked = [s.mediator for s in actions.suggest_assignment(mw.lead, dispute_case(world, mw))]
    assert ranked.index(third) < ranked.index(second)
    loads = {s.mediator: s.open_mediations for s in actions.suggest_assignment(
        mw.lead, dispute_case(world, mw))}  # fmt: skip
    assert loads[second] == 1 and loads[third] == 0


def test_mediator_may_divert_and_edit_but_not_cancel_close_or_merge(world, mw):
    from fengqiao.accounts.access import access_for
    from fengqiao.cases.workflow import allowed_actions

    m = started(world, mw)
    names = {t.name for t in allowed_actions(m.case, access_for(mw.lead))}
    assert {"divert", "update_details"} <= names
    assert not names & {"cancel", "close", "merge", "split", "accept", "escalate"}
