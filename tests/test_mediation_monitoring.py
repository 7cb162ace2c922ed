"""The mediation figures feed the monitoring room: one definition (fengqiao.mediation.counting)
gives the same accepted / successful / failed / success rate, formula and rounding on the
mediation side (figures.py) and in the monitoring room (facts, counters, indicators, API, page),
for every scope and period, and a community clerk never counts another community's committee."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators
from fengqiao.analytics.facts import rebuild_all_facts, refresh_from_history
from fengqiao.analytics.indicators import INDICATORS, Filters, evaluate
from fengqiao.analytics.models import CaseFact
from fengqiao.analytics.periods import Period, month
from fengqiao.analytics.recount import recount
from fengqiao.cases import actions as case_actions
from fengqiao.cases.models import Category, Channel
from fengqiao.mediation import actions, counting
from fengqiao.mediation.figures import mediation_figures
from fengqiao.mediation.models import Mediator
from tests.case_factories import SONGSHAN_POINT, case_data, use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started

CODES = ["mediation_accepted", "mediation_successful", "mediation_failed", "mediation_success_rate"]


def songshan_started(world, personas, mw, category: str = "construction_disturbance"):
    """A dispute in 松山社区, dispatched to the 松山 committee, accepted by its mediator."""
    clerk = personas.station_clerk
    case = case_actions.intake(clerk, case_data(SONGSHAN_POINT, category=category), "walk_in")
    case = case_actions.accept(clerk, case.case, expected_version=case.case.version)
    case = case_actions.dispatch(
        mw.dispatcher, case, lead_unit=mw.other_committee, instructions="请调解",
        lead_due=timezone.now() + timedelta(days=30), expected_version=case.version,
    )  # fmt: skip
    med = mw.other_mediator
    m = actions.start(med, case, committee=mw.other_committee, mode="initiative")
    m = actions.accept(med, m)
    lead = Mediator.objects.get(user=med, committee=mw.other_committee)
    return actions.assign(med, m, mediators=[lead], lead=lead)


def agree(actor, m):
    actions.record_session(actor, m, place="调解室", participants="双方", minutes="调解")
    actions.record_agreement(actor, m, form="oral", agreed_items="赔礼道歉")


def fail(actor, m):
    actions.record_failure(actor, m, reason="分歧大")


def refuse(actor, m):
    actions.refuse(actor, m, party=m.case.parties.order_by("id").first(), reason="不愿调解")


@pytest.fixture
def two_committees(db, world, personas, settings):
    """花园: 2 agreed, 1 failed, 1 in session, 1 refused after acceptance (not counted), 1
    refused before acceptance (never accepted). 松山: 1 agreed, 1 failed, 1 withdrawn."""
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    hy = [started(world, mw) for _ in range(5)]
    agree(mw.lead, hy[0])
    agree(mw.lead, hy[1])
    fail(mw.lead, hy[2])
    actions.record_session(mw.lead, hy[3], place="调解室", participants="双方", minutes="一次")
    refuse(mw.lead, hy[4])
    from tests.mediation_factories import dispute_case

    never = actions.start(
        mw.lead, dispute_case(world, mw), committee=mw.committee, mode="initiative"
    )
    refuse(mw.lead, never)
    ss = [songshan_started(world, personas, mw, c) for c in
          ("construction_disturbance", "neighbourhood", "neighbourhood")]  # fmt: skip
    agree(mw.other_mediator, ss[0])
    fail(mw.other_mediator, ss[1])
    actions.withdraw(mw.other_mediator, ss[2], reason="申请人撤回")
    refresh_from_history()
    return mw


def monitor(user, period: Period, **narrow) -> dict:
    scope = access_for(user).scope(Perm.STATS_VIEW)
    figures = evaluate(CODES, Filters(scope, period, **narrow), compare=False)
    return {c: figures[c].current for c in CODES}


def same(room: dict, row) -> None:
    """The monitoring room's four figures equal one row of mediation/figures.py."""
    assert room["mediation_accepted"].value == row.accepted
    assert room["mediation_successful"].value == row.successful
    assert room["mediation_failed"].value == row.failed
    rate = room["mediation_success_rate"]
    assert (rate.value, rate.numerator, rate.denominator) == (
        row.rate.value,
        row.successful,
        row.accepted,
    )


def test_monitoring_room_and_mediation_figures_agree(two_committees, world, personas):
    mw = two_committees
    today = timezone.localdate()
    this_month = month(today.replace(day=1))
    custom = Period("custom", today - timedelta(days=3), today)
    leader = personas.leader
    for period in (this_month, custom):  # monthly counters (whole month) and daily ones
        f = mediation_figures(leader, period.start, period.end)
        assert (f.total.accepted, f.total.successful, f.total.failed) == (7, 3, 2)
        assert (f.total.open, f.total.withdrawn) == (1, 1)
        assert f.total.rate.value == Decimal("42.86")  # 3 / 7 = 42.857…, half up
        same(monitor(leader, period), f.total)
        by_committee = {r.key: r for r in f.by_committee}
        for committee in (mw.committee, mw.other_committee):
            same(monitor(leader, period, unit=committee), by_committee[str(committee.pk)])
        by_type = {r.key: r for r in f.by_type}
        for code in ("construction_disturbance", "neighbourhood"):
            category = Category.objects.get(code=code)
            same(monitor(leader, period, category=category), by_type[code])
        # By place: the committee's region.
        same(monitor(leader, period, region=world.huayuan), by_committee[str(mw.committee.pk)])
    # Outside the period: nothing on either side.
    old = month(date(today.year - 1, today.month, 1))
    same(monitor(leader, old), mediation_figures(leader, old.start, old.end).total)
    assert monitor(leader, old)["mediation_accepted"].value == 0


def test_community_clerk_counts_only_their_community(two_committees, personas):
    mw = two_committees
    today = timezone.localdate()
    period = month(today.replace(day=1))
    songshan_clerk, huayuan_clerk = personas.station_clerk, mw.cw.huayuan_clerk
    own = mediation_figures(songshan_clerk, period.start, period.end)
    assert [r.label for r in own.by_committee] == ["松山社区人民调解委员会"]
    assert (own.total.accepted, own.total.successful, own.total.failed) == (3, 1, 1)
    same(monitor(songshan_clerk, period), own.total)
    assert monitor(songshan_clerk, period)["mediation_accepted"].value == 3  # not 7
    other = mediation_figures(huayuan_clerk, period.start, period.end)
    assert (other.total.accepted, other.total.successful) == (4, 2)
    same(monitor(huayuan_clerk, period), other.total)
    # Outsiders and grid workers count nothing.
    for who in (personas.outsider, personas.grid_worker):
        assert mediation_figures(who, period.start, period.end).total.accepted == 0
        assert monitor(who, period)["mediation_accepted"].value == 0


def test_api_and_dashboard_show_the_same_formula_and_value(two_committees, personas, client_for):
    today = timezone.localdate()
    period = today.strftime("%Y-%m")
    f = mediation_figures(personas.station_clerk, today.replace(day=1), today)
    c = client_for(personas.station_clerk)
    body = c.get(
        "/api/v1/analytics/values/", {"indicator": "mediation_success_rate", "period": period}
    ).json()
    assert (body["value"], body["numerator"], body["denominator"]) == ("33.33", 1, 3)
    assert body["value"] == str(f.total.rate.value)
    # One formula text: the figure's worked formula starts with the indicator's formula.
    assert body["formula"] == "调解成功率 = 调解成功数 / 受理数"
    assert f.total.rate.text == (
        "调解成功率 = 调解成功数 / 受理数 = 1 / 3 = 33.33%（四舍五入保留两位小数）"
    )
    assert "ROUND_HALF_UP" in body["rounding"]
    defs = {d["code"]: d for d in c.get("/api/v1/analytics/indicators/").json()}
    assert defs["mediation_success_rate"]["numerator_measures"] == [counting.SUCCESSFUL]
    assert defs["mediation_success_rate"]["denominator_measures"] == [counting.ACCEPTED]
    page = c.get("/monitor/", {"period": period}).content.decode()
    assert "调解成功率 = 调解成功数 / 受理数" in page and "33.33%" in page
    # The drill-down lists the cases behind the figure: the 松山 committee's three.
    drill = c.get("/monitor/cases/", {"indicator": "mediation_accepted", "period": period})
    assert '<strong id="drill-total">3</strong>' in drill.content.decode()


@pytest.mark.django_db  # the indicator's precision is data (analytics.IndicatorDisplay)
def test_rates_round_the_same_way_on_both_sides():
    ind = INDICATORS["mediation_success_rate"]
    for den in range(1, 41):
        for num in range(den + 1):
            assert indicators.compute(ind, num, den).value == counting.success_rate(num, den).value


def test_aggregates_follow_mediation_events_and_equal_a_recount(two_committees, world, personas):
    """Changes reach the facts through the mediation events; counters equal a recount and a
    full rebuild, for every scope the recount test uses."""
    mw = two_committees
    open_one = mw.committee.mediations.get(state="in_session")
    fail(mw.lead, open_one)
    today = timezone.localdate()
    period = month(today.replace(day=1))
    assert monitor(personas.leader, period)["mediation_failed"].value == 2  # not yet refreshed
    assert refresh_from_history() >= 1
    assert monitor(personas.leader, period)["mediation_failed"].value == 3
    same(
        monitor(personas.leader, period),
        mediation_figures(personas.leader, period.start, period.end).total,
    )
    scopes = [access_for(u).scope(Perm.STATS_VIEW) for u in
              (personas.leader, personas.station_clerk, mw.cw.huayuan_clerk, personas.street_clerk,
               personas.grid_worker)]  # fmt: skip
    filters = [Filters(s, p) for s in scopes for p in (period, Period("custom", today, today))]
    filters += [
        Filters(scopes[0], period, region=world.taoxi),
        Filters(scopes[0], period, grid=world.grids["230903013001001"]),
        Filters(scopes[0], period, unit=mw.other_committee),
        Filters(scopes[0], period, channel=Channel.objects.get(code="walk_in")),
    ]

    def values() -> list:
        return [
            (c, v.current.value, v.current.numerator, v.current.denominator)
            for f in filters
            for c, v in evaluate(CODES, f, compare=False).items()
        ]

    for f in filters:
        got = evaluate(CODES, f, compare=False)
        want = recount(CODES, f)
        for code in CODES:
            assert (got[code].current.value, got[code].current.denominator) == (
                want[code].value,
                want[code].denominator,
            ), (code, f)
    # A full rebuild writes the same facts and the same aggregates the refresh kept.
    before = sorted(CaseFact.objects.values_list("case_id", "measure", "day", "value"))
    figures_before = values()
    rebuild_all_facts()
    assert sorted(CaseFact.objects.values_list("case_id", "measure", "day", "value")) == before
    assert values() == figures_before
