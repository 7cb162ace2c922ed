"""Figures with their formula and rounding; the register as Excel; scope of both."""

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from fengqiao.mediation import actions, ledger
from fengqiao.mediation.figures import mediation_figures, success_rate
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started


def test_success_rate_formula_and_rounding():
    r = success_rate(3872, 3940)
    assert r.value == Decimal("98.27")  # 98.2741…: rounded half up, not truncated to 98.2
    assert r.text == (
        "调解成功率 = 调解成功数 / 受理数 = 3872 / 3940 = 98.27%（四舍五入保留两位小数）"
    )
    assert success_rate(6217, 6368).value == Decimal("97.63")
    assert success_rate(1, 8).value == Decimal("12.50")  # 12.5 exactly
    assert success_rate(1, 3).value == Decimal("33.33")
    assert success_rate(2, 3).value == Decimal("66.67")
    empty = success_rate(0, 0)
    assert empty.value is None and "0 / 0" in empty.text


@pytest.fixture
def three(db, world, personas, settings):
    """Three mediations of the 花园社区 committee: one agreed, one failed, one in session."""
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    ms = [started(world, mw) for _ in range(3)]
    for m in ms:
        actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="调解")
    actions.record_agreement(mw.lead, ms[0], form="oral", agreed_items="赔礼道歉")
    actions.record_failure(mw.lead, ms[1], reason="分歧大")
    return mw, ms


def test_figures_by_type_committee_and_mediator(three, personas):
    mw, _ms = three
    today = timezone.localdate()
    f = mediation_figures(mw.lead, today - timedelta(days=1), today)
    assert (f.total.accepted, f.total.successful, f.total.failed, f.total.open) == (3, 1, 1, 1)
    assert f.total.rate.text.endswith("= 1 / 3 = 33.33%（四舍五入保留两位小数）")
    assert [(r.label, r.accepted) for r in f.by_type] == [("施工扰民", 3)]
    assert [(r.label, r.accepted) for r in f.by_committee] == [("花园社区人民调解委员会", 3)]
    assert [(r.label, r.successful) for r in f.by_mediator] == [("调解员赵", 1)]
    # The leader counts the district (stats.view); the other committee and outsiders see nothing.
    assert mediation_figures(personas.leader, today, today).total.accepted == 3
    assert mediation_figures(mw.other_mediator, today, today).total.accepted == 0
    assert mediation_figures(personas.outsider, today, today).total.accepted == 0
    # Outside the period: nothing.
    old = today - timedelta(days=40)
    assert mediation_figures(mw.lead, old, old + timedelta(days=1)).total.accepted == 0


def test_ledger_excel(three, personas):
    mw, ms = three
    today = timezone.localdate()
    content = ledger.ledger_xlsx(mw.lead, mw.committee.pk, today, today)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["人民调解登记台账"]
    rows = list(ws.iter_rows(values_only=True))
    assert "花园社区人民调解委员会" in rows[0][0]
    assert rows[1][:3] == ("序号", "编号", "登记日期")
    body = rows[2:]
    assert [r[1] for r in body] == [m.number for m in ms]
    assert [r[10] for r in body] == ["调解成功", "调解不成", "调解中"]
    assert body[0][6] == "申请人王秀英、被申请人七台河市宏达建筑公司"
    stats = list(wb["统计"].iter_rows(values_only=True))
    assert stats[1][:4] == ("合计", 3, 1, 1)
    assert (
        stats[1][5] == "调解成功率 = 调解成功数 / 受理数 = 1 / 3 = 33.33%（四舍五入保留两位小数）"
    )
    # Another committee's mediator gets an empty register for this committee.
    other = openpyxl.load_workbook(
        io.BytesIO(ledger.ledger_xlsx(mw.other_mediator, mw.committee.pk, today, today))
    )
    assert len(list(other["人民调解登记台账"].iter_rows(values_only=True))) == 2
