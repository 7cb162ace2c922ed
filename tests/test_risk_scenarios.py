"""S2 with its risk assessment and warning; warning rules on intake, on the schedule, dry runs."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import actions
from fengqiao.cases.errors import InvalidInput, NotPermitted
from fengqiao.cases.models import Case, CaseState, RiskLevel
from fengqiao.core.models import AuditEntry
from fengqiao.risk import actions as risk
from fengqiao.risk import rules
from fengqiao.risk.errors import NotFound
from fengqiao.risk.models import (
    AssessmentEntry,
    Level,
    RiskFactor,
    RuleKind,
    Warning,
    WarningEvent,
    WarningRule,
    WarningState,
)
from tests.case_factories import HUAYUAN_POINT, VALID_ID, make_case_world, report


@pytest.fixture
def cw(world):
    return make_case_world(world)


@pytest.fixture
def factors(db):
    RiskFactor.objects.create(code="illness", name="久病无力就医", weight=3)
    RiskFactor.objects.create(code="poverty", name="家庭困难", weight=2)


def police_handover(liaison):
    return actions.intake(
        liaison,
        {
            "kind": "incident",
            "category": "public_security_incident",
            "title": "邻居夜间喊叫扰民",
            "description": "经查系其子久病，家庭困难无力就医。",
            "lon": HUAYUAN_POINT[0],
            "lat": HUAYUAN_POINT[1],
            "reporter_name": "李先生",
            "reporter_phone": "13804645678",
            "risk_level": RiskLevel.HIGH,
            "parties": [
                {
                    "name": "赵某",
                    "role": "other",
                    "id_type": "citizen_id",
                    "id_number": VALID_ID,
                    "is_vulnerable": True,
                }
            ],
        },
        "police_110",
    ).case


def test_s2_assessment_raises_a_warning_that_closes_when_lowered(
    world, personas, cw, factors, client_for
):
    liaison, center = personas.liaison, cw.district_clerk
    case = police_handover(liaison)
    case = actions.accept(center, case, expected_version=case.version)
    case = actions.dispatch(
        center,
        case,
        lead_unit=world.police_taoxi,
        co_units=[world.huayuan_station, cw.civil_affairs, cw.charity],
        instructions="联合帮扶",
        expected_version=case.version,
    )
    party = case.parties.get()
    review = (timezone.localdate() + timedelta(days=14)).isoformat()
    a = risk.create_assessment(
        liaison,
        {
            "target_kind": "person",
            "party": party.pk,
            "title": "赵某久病家庭困难",
            "factors": [{"code": "illness", "score": 4}, {"code": "poverty", "score": 3}],
            "level": "high",
            "measures": "联合民政、慈善筹措医疗费，送医治疗",
            "responsible_unit": world.police_taoxi.pk,
            "review_date": review,
        },
    )
    # The vulnerable person is linked (by the party; the ID number only as a keyed hash).
    assert a.case_id == case.pk and a.party_id == party.pk and a.person_name == "赵某"
    assert a.person_id_hash == risk.person_hash(VALID_ID) and VALID_ID not in a.person_id_hash
    w = Warning.objects.get(assessment=a)
    assert w.state == WarningState.RAISED and w.target_unit == world.police_taoxi
    # The unit's liaison finds it first among the to-dos: urgent (high level), with no deadline
    # to be late on.
    home = client_for(liaison).get("/").content.decode()
    todos = re.search(r'id="my-todos".*?</section>', home, re.S).group(0)
    first = re.search(r"<li.*?</li>", todos, re.S).group(0)
    assert w.title in first and "须立即处置" in first and "等级：高" in first
    assert "已超期" not in first
    # The co-handling units see the risk of the case they work on; an outsider does not.
    assert risk.visible_assessments(cw.civil_liaison).filter(pk=a.pk).exists()
    with pytest.raises(NotFound):
        risk.get_assessment(personas.outsider, a.pk)
    risk.move_warning(liaison, w, "acknowledge")
    with pytest.raises(NotPermitted):
        risk.move_warning(personas.leader, w, "handle", "x")  # may view, may not handle
    # The units act on their tasks (cases' co-handling) …
    for t in case.tasks.all():
        who = {
            world.police_taoxi.pk: liaison,
            cw.civil_affairs.pk: cw.civil_liaison,
            cw.charity.pk: cw.charity_liaison,
            world.huayuan_station.pk: cw.huayuan_clerk,
        }[t.unit_id]
        actions.complete_task(
            who, t, result="已完成", expected_version=Case.objects.get(pk=case.pk).version
        )
    # … and the assessment is lowered: its warning closes, with who and when.
    a = risk.reassess(
        liaison,
        a,
        {
            "level": "low",
            "measures": "已住院治疗，定期回访",
            "review_date": review,
            "note": "送医住院，风险消除",
        },
        expected_version=a.version,
    )
    w.refresh_from_db()
    assert w.state == WarningState.CLOSED and w.closed_by == liaison and w.closed_at
    assert list(WarningEvent.objects.filter(warning=w).values_list("action", flat=True)) == [
        "raise",
        "acknowledge",
        "close",
    ]
    levels = list(AssessmentEntry.objects.filter(assessment=a).values_list("action", "level"))
    assert levels == [("assess", "high"), ("reassess", "low")]
    assert AuditEntry.objects.filter(
        action="update", object_type="risk.assessment", object_id=str(a.pk)
    ).exists()


def test_bad_assessment_values_are_refused_and_nothing_is_saved(world, personas, cw, factors):
    with pytest.raises(InvalidInput) as e:
        risk.create_assessment(
            cw.district_clerk,
            {
                "target_kind": "project",
                "title": "",
                "level": "huge",
                "measures": "m",
                "factors": [{"code": "nope"}],
                "responsible_unit": 999999,
                "review_date": "2020-01-01",
                "region": world.district.code,
            },
        )
    fields = {x.field for x in e.value.errors}
    assert {
        "title",
        "level",
        "factors",
        "responsible_unit",
        "review_date",
        "project_name",
    } <= fields
    from fengqiao.risk.models import Assessment

    assert not Assessment.objects.exists()
    with pytest.raises(NotPermitted):
        risk.create_assessment(personas.outsider, {"target_kind": "project"})


def rule(world, kind, params, **kw):
    return WarningRule.objects.create(
        name=str(kind),
        kind=kind,
        params=params,
        level=Level.HIGH,
        region=world.district,
        enabled=kw.pop("enabled", True),
        **kw,
    )


def test_intake_rules_raise_once_with_evidence(world, personas, cw):
    rule(world, RuleKind.KEYWORDS, {"keywords": ["跳楼", "砍"]})
    rule(world, RuleKind.GROUP_DISPUTE, {"people": 20})
    rule(world, RuleKind.REPEAT_REPORTER, {"days": 30, "count": 2})
    rule(world, RuleKind.KEYWORDS, {"keywords": ["同归于尽"]}, enabled=False)
    first = report(description="拖欠工资，扬言要跳楼，同归于尽", people_involved=3).case
    kinds = set(Warning.objects.filter(case=first).values_list("kind", flat=True))
    assert kinds == {"keywords"}
    assert Warning.objects.get(case=first).evidence["keywords"] == ["跳楼"]
    second = report(
        description="讨价还价", people_involved=30
    ).case  # 砍 alone is not in 砍价-like text
    kinds = set(Warning.objects.filter(case=second).values_list("kind", flat=True))
    assert kinds == {"group_dispute", "repeat_reporter"}
    rep = Warning.objects.get(case=second, kind="repeat_reporter")
    assert rep.evidence["cases"] == [second.tracking_number, first.tracking_number]
    assert rep.target_unit == second.handling_unit
    # The warnings of the area show to its staff, not to others.
    assert risk.visible_warnings(cw.huayuan_clerk).filter(pk=rep.pk).exists()
    assert not risk.visible_warnings(personas.station_clerk).filter(pk=rep.pk).exists()


def test_keyword_single_character_needs_a_word(db):
    assert rules.keyword_hits(["砍"], "他拿刀砍人") == ["砍"]
    assert rules.keyword_hits(["砍"], "砍价不成") == []


def test_dry_run_shows_what_would_fire_and_raises_nothing(world, personas, cw):
    for _ in range(3):
        report(people_involved=40)
    r = rule(world, RuleKind.GROUP_DISPUTE, {"people": 30}, enabled=False)
    hits = rules.dry_run(r, 7)
    assert len(hits) == 3 and all(h.evidence["people_involved"] == 40 for h in hits)
    assert not Warning.objects.exists()
    r.params = {"people": 50}
    assert rules.dry_run(r, 7) == []


def test_deadline_and_surge_rules_on_the_schedule(world, personas, cw):
    case = report(risk_level="high").case
    Case.objects.filter(pk=case.pk).update(handle_due=timezone.now() + timedelta(hours=5))
    rule(world, RuleKind.DEADLINE, {"hours": 24})
    surge = rule(world, RuleKind.SURGE, {"dimension": "grid", "k": 3, "weeks": 8, "min_count": 3})
    for _ in range(3):
        report()
    assert rules.run_periodic() == 2
    assert rules.run_periodic() == 0  # one open warning per subject
    s = Warning.objects.get(rule=surge)
    assert s.grid_id == case.grid_id and s.evidence["count"] == 4 and s.evidence["mean"] == 0
    assert Warning.objects.get(kind="deadline").case == case
    # A resolved case is not watched any more.
    assert Case.objects.filter(pk=case.pk, state=CaseState.REGISTERED).exists()


def test_warning_lifecycle_follows_the_table(world, personas, cw):
    rule(world, RuleKind.GROUP_DISPUTE, {"people": 2})
    report(people_involved=5)
    w = Warning.objects.get()
    clerk = cw.district_clerk
    with pytest.raises(InvalidInput):
        risk.move_warning(clerk, w, "handle", "")
    with pytest.raises(NotFound):
        risk.move_warning(personas.outsider, w, "acknowledge")
    risk.move_warning(clerk, w, "handle", "已上门调解")
    from fengqiao.cases.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        risk.move_warning(clerk, w, "acknowledge")
    w = risk.move_warning(clerk, w, "close", "化解完毕")
    assert w.state == WarningState.CLOSED and w.handled_by == clerk and w.closed_by == clerk
    assert not access_for(personas.outsider).has_perm(Perm.RISK_VIEW)


def test_a_warning_raised_on_intake_tells_its_unit_from_a_task(
    world, personas, cw, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from fengqiao.accounts.models import RoleAssignment, ScopeType, User
    from tests.case_factories import use_immediate_tasks

    use_immediate_tasks(settings)
    for user in User.objects.all():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    rule(world, RuleKind.GROUP_DISPUTE, {"people": 5}, target_unit=world.police_taoxi)
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people_involved=9).case
    warning = Warning.objects.get(case=case)
    staff = {
        ra.user.email
        for ra in RoleAssignment.objects.filter(
            active=True, scope_type=ScopeType.UNIT, unit=warning.target_unit
        ).select_related("user")
    }
    assert staff
    told = {to for m in mail.outbox if warning.title in m.subject for to in m.to}
    assert told == staff
