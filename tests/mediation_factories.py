"""Helpers for mediation tests, on top of tests/factories.py and tests/case_factories.py.

Adds the 花园社区 mediation committee with three mediators (the story S1 committee), the 松山社区
committee with its own mediator (another committee), and an S1 dispute case with two parties,
dispatched by the 花园社区 station to the committee.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Role
from fengqiao.cases import actions as case_actions
from fengqiao.cases.models import Case
from fengqiao.mediation import actions
from fengqiao.mediation.models import Mediation, Mediator, RightsNotice
from fengqiao.org.models import EmploymentType, Sector, Unit, UnitKind
from tests.case_factories import CaseWorld, case_data, make_case_world, use_immediate_tasks
from tests.factories import World, assign, make_user

RESIDENT_ID = "360426199101010071"


@dataclass
class MediationWorld:
    cw: CaseWorld
    committee: Unit
    other_committee: Unit
    lead: User  # 花园社区 committee, lead mediator
    second: User
    third: User
    other_mediator: User  # 松山社区 committee
    mediators: list[Mediator]
    dispatcher: User  # 桃西街道 center clerk: dispatches cases to the committee


def make_mediation_world(world: World, admin: User, dispatcher: User) -> MediationWorld:
    cw = make_case_world(world)
    justice = Sector.objects.get_or_create(code="justice", defaults={"name": "司法"})[0]
    committee = Unit.objects.create(
        name="花园社区人民调解委员会",
        kind=UnitKind.MEDIATION_COMMITTEE,
        region=world.huayuan,
        sector=justice,
    )
    other = Unit.objects.create(
        name="松山社区人民调解委员会",
        kind=UnitKind.MEDIATION_COMMITTEE,
        region=world.songshan,
        sector=justice,
    )
    users = []
    for username, name in [("med_lead", "调解员赵"), ("med_2", "调解员钱"), ("med_3", "调解员孙")]:
        u = make_user(username, name, unit=committee)
        assign(u, Role.MEDIATOR, unit=committee)
        users.append(u)
    mediators = [
        actions.add_mediator(
            admin,
            committee,
            user=u,
            employment_type=EmploymentType.PART_TIME,
            specialties=["construction"] if i == 0 else ["family"],
        )
        for i, u in enumerate(users)
    ]
    other_user = make_user("med_other", "调解员李", unit=other)
    assign(other_user, Role.MEDIATOR, unit=other)
    for u in [other_user, *[make_user(f"med_o{i}", f"松山{i}") for i in range(2)]]:
        actions.add_mediator(admin, other, user=u)
    return MediationWorld(cw, committee, other, *users, other_user, mediators, dispatcher)


def dispute_case(world: World, mw: MediationWorld, **overrides) -> Case:
    """An S1 dispute registered at the 花园社区 station and dispatched to the committee."""
    data = case_data(
        parties=[
            {
                "role": "applicant",
                "name": "王秀英",
                "id_type": "citizen_id",
                "id_number": RESIDENT_ID,
                "phone": "13904641234",
            },
            {
                "role": "respondent",
                "party_type": "organisation",
                "name": "七台河市宏达建筑公司",
                "phone": "13904649999",
            },
        ],
        **overrides,
    )
    clerk = mw.cw.huayuan_clerk
    case = case_actions.intake(clerk, data, "walk_in").case
    case = case_actions.accept(clerk, case, expected_version=case.version)
    case = case_actions.dispatch(
        mw.dispatcher,
        case,
        lead_unit=mw.committee,
        instructions="请人民调解委员会调解",
        lead_due=timezone.now() + timedelta(days=30),
        expected_version=case.version,
    )
    return case


def started(
    world: World, mw: MediationWorld, case: Case | None = None, *, notify: bool = True
) -> Mediation:
    """A mediation of the S1 case, accepted, with the lead and second mediators assigned and
    (`notify`) every party told their rights and duties, so sessions may be held."""
    case = case or dispute_case(world, mw)
    m = actions.start(
        mw.lead, case, committee=mw.committee, mode="application", application_text="请求调解"
    )
    m = actions.accept(mw.lead, m)
    m = actions.assign(mw.lead, m, mediators=mw.mediators[:2], lead=mw.mediators[0])
    if notify:
        for party in case.parties.order_by("id"):
            actions.deliver_notice(mw.lead, m, party=party, method=RightsNotice.Method.IN_PERSON)
        m.refresh_from_db()
    return m


def full_mediation(world: World, personas, settings) -> Mediation:
    """An S1 mediation with every record: notices, investigation, two sessions, a signed
    written agreement in effect, a performed item, a follow-up and judicial confirmation."""
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw, notify=False)
    applicant, builder = list(m.case.parties.order_by("id"))
    for p in (applicant, builder):
        actions.deliver_notice(mw.lead, m, party=p, method="in_person")
    actions.record_investigation(mw.lead, m, place="松林小区工地", findings="夜间施工噪音超标")
    actions.record_session(mw.lead, m, place="花园社区调解室", participants="王秀英、宏达公司",
                            minutes="第一次调解：双方陈述各自意见")  # fmt: skip
    actions.record_session(mw.lead, m, place="花园社区调解室", participants="王秀英、宏达公司",
                            minutes="第二次调解：达成一致意见")  # fmt: skip
    a = actions.record_agreement(
        mw.lead, m, form="written", parties_facts="申请人王秀英；被申请人宏达建筑公司",
        main_facts="工地昼夜施工扰民", disputed_points="施工时间、道路修复",
        responsibilities="被申请人负主要责任", agreed_items="夜间停止施工并修复道路",
        performance_method="七日内履行，调委会监督",
        items=[{"obligor": builder, "what": "修复松林小区道路",
                "due_date": timezone.localdate() + timedelta(days=7)}],
    )  # fmt: skip
    actions.sign(mw.lead, a, who="party", party=applicant, method="thumbprint")
    actions.sign(mw.lead, a, who="party", party=builder, method="sealed")
    actions.sign(mw.lead, a, who="mediator")
    actions.sign(mw.lead, a, who="seal")
    actions.mark_performance(mw.lead, a.items.get(), proof_note="道路已修复，现场照片存档")
    actions.record_followup(
        mw.lead,
        m,
        note="回访：噪音问题已解决，居民满意",
        visited="王秀英",
        way="on_site",
        performance="performed",
        opinions="双方满意",
    )
    actions.record_judicial_confirmation(
        mw.lead, a, applied_at=timezone.localdate(), court="桃山区人民法院"
    )
    m.refresh_from_db()
    return m
