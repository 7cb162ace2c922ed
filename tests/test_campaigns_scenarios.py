"""S3 (special operations with the article's figures) and S5 (door-to-door screening)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from fengqiao.campaigns import operations as ops
from fengqiao.campaigns import screening
from fengqiao.campaigns.models import (
    CampaignState,
    Indicator,
    Operation,
    ReportRevision,
    ScreeningRecord,
)
from fengqiao.cases.errors import CaseError, ConflictError, InvalidInput, NotPermitted
from fengqiao.risk.errors import NotFound
from fengqiao.risk.models import Warning
from tests.case_factories import make_case_world, use_immediate_tasks


@pytest.fixture
def cw(world):
    return make_case_world(world)


def make_operation(world, name, units, start):
    op = Operation.objects.create(
        name=name,
        region=world.district,
        starts_on=start,
        ends_on=start + timedelta(days=365),
        period="month",
        due_days=5,
    )
    op.units.set(units)
    Indicator.objects.create(operation=op, code="cases", name="破案数", sort=1)
    Indicator.objects.create(operation=op, code="suspects", name="抓获嫌疑人", sort=2)
    return op


def test_s3_operations_figures_exactly_with_validation_corrections_and_missing(
    world, personas, cw, settings, django_capture_on_commit_callbacks
):
    use_immediate_tasks(settings)
    start = (timezone.localdate().replace(day=1) - timedelta(days=62)).replace(day=1)
    police, center, liaison = world.police_taoxi, cw.district_clerk, personas.liaison
    personas.liaison.email = "police@example.org"
    personas.liaison.save()
    duanka = make_operation(world, "断卡行动", [police, cw.civil_affairs], start)
    gang = make_operation(world, "扫黑除恶专项斗争", [police], start)
    r1 = ops.submit_report(
        liaison, duanka, police.pk, start.isoformat(), {"cases": 30, "suspects": 40}
    )
    second = (start + timedelta(days=40)).replace(day=1)
    r2 = ops.submit_report(
        liaison, duanka, police.pk, second.isoformat(), {"cases": 20, "suspects": 31}
    )
    # Bad values: a clear error, nothing changed.
    with pytest.raises(InvalidInput) as e:
        ops.submit_report(liaison, gang, police.pk, start.isoformat(), {"cases": -1, "extra": 2})
    assert {x.field for x in e.value.errors} == {"values", "values.cases", "values.suspects"}
    with pytest.raises(ConflictError):
        ops.submit_report(
            liaison, duanka, police.pk, start.isoformat(), {"cases": 1, "suspects": 1}
        )
    with pytest.raises(NotFound):  # not a member unit: the operation is not even seen
        ops.submit_report(
            cw.charity_liaison, duanka, police.pk, start.isoformat(), {"cases": 1, "suspects": 1}
        )
    with pytest.raises(NotPermitted):  # a member, but not for another unit
        ops.submit_report(
            cw.civil_liaison, duanka, police.pk, start.isoformat(), {"cases": 1, "suspects": 1}
        )
    # A correction keeps the old figures in the history.
    r2 = ops.correct_report(liaison, r2, {"cases": 20, "suspects": 30}, "嫌疑人重复统计一人")
    rev = ReportRevision.objects.filter(report=r2, action="correct").get()
    assert rev.data["old"]["suspects"] == 31 and rev.data["new"]["suspects"] == 30
    with pytest.raises(NotFound):
        ops.decide_report(liaison, r1, "validate")  # a unit does not validate its own report
    for r in (r1, r2):
        ops.decide_report(center, r, "validate")
    g = ops.submit_report(liaison, gang, police.pk, start.isoformat(), {"cases": 4, "suspects": 51})
    ops.decide_report(center, g, "validate")
    fig = ops.figures(center, duanka)
    assert fig["totals"] == {"cases": 50, "suspects": 70}
    assert ops.figures(personas.leader, gang)["totals"] == {"cases": 4, "suspects": 51}
    assert fig["trend"]["cases"][:2] == [30, 20]
    assert fig["by_unit"][police.name] == {"cases": 50, "suspects": 70}
    # Civil affairs has reported nothing: listed as missing for every period past its due date.
    missing = {(m["unit"], m["period"]) for m in fig["missing"]}
    assert (cw.civil_affairs.pk, start.isoformat()) in missing
    assert all(u == cw.civil_affairs.pk or u == police.pk for u, _p in missing)
    civil_mail = cw.civil_liaison.email = "civil@example.org"
    cw.civil_liaison.save()
    with django_capture_on_commit_callbacks(execute=True):
        sent = ops.remind_missing()
    assert sent >= 2 and ops.remind_missing() == 0  # once per unit and period
    assert any(civil_mail in m.to for m in mail.outbox)
    assert not ops.visible_operations(personas.outsider).exists()


def test_s5_door_to_door_screening_rolls_up_and_findings_become_case_and_warning(
    world, personas, cw
):
    center = cw.district_clerk
    c = screening.create_campaign(
        center,
        {
            "name": "疫情防控入户排查",
            "kind": "epidemic",
            "region": world.district.code,
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "form_fields": [
                {"name": "members", "label": "在家人数", "type": "int", "required": True},
                {"name": "fever", "label": "是否发热", "type": "bool", "required": True},
                {
                    "name": "travel",
                    "label": "外地返回",
                    "type": "choice",
                    "choices": ["无", "省内", "省外"],
                },
            ],
        },
    )
    codes = list(world.grids)
    screening.assign_grids(center, c, {codes[0]: 3, codes[1]: 2})
    gw = personas.grid_worker  # grid 230903013001001 only
    with pytest.raises(CaseError):
        screening.record_screening(gw, c, {"grid": codes[0], "address": "1栋101", "answers": {}})
    c = screening.move_campaign(center, c, "activate")
    assert c.state == CampaignState.ACTIVE
    ok = {"members": 3, "fever": False, "travel": "无"}
    screening.record_screening(
        gw, c, {"grid": "230903013001001", "address": "1栋101", "answers": ok}
    )
    with pytest.raises(InvalidInput) as e:
        screening.record_screening(
            gw,
            c,
            {
                "grid": "230903013001001",
                "address": "1栋102",
                "answers": {"members": "三", "fever": None, "x": 1},
            },
        )
    assert {"answers.members", "answers.fever", "answers"} <= {x.field for x in e.value.errors}
    with pytest.raises(InvalidInput):  # the same household twice
        screening.record_screening(
            gw, c, {"grid": "230903013001001", "address": "1栋101", "answers": ok}
        )
    other = next(k for k in codes[:2] if k != "230903013001001")
    with pytest.raises(InvalidInput):  # not the worker's grid
        screening.record_screening(gw, c, {"grid": other, "address": "2栋", "answers": ok})
    found = screening.record_screening(
        gw,
        c,
        {
            "grid": "230903013001001",
            "address": "1栋102",
            "answers": {**ok, "fever": True},
            "finding": "一人发热，邻里因隔离起纠纷",
        },
    )
    roll = screening.rollup(center, c)
    g = {r.key: r for r in roll["grid"]}
    assert g["230903013001001"].screened == 2 and g["230903013001001"].findings == 1
    assert roll["district"][0].target == 5 and roll["district"][0].screened == 2
    assert roll["community"] and roll["street"]
    left = {u["grid"] for u in screening.unfinished(center, c)}
    assert left == set(codes[:2])
    assert "网格员甲" in [w for u in screening.unfinished(center, c) for w in u["workers"]]
    # A finding becomes a case (intake, channel 主动排查) or a warning in one step.
    r = screening.finding_to_case(cw.huayuan_clerk, found, "neighbourhood")
    assert r.case.channel.code == "screening" and r.case.grid.code == "230903013001001"
    with pytest.raises(CaseError):
        screening.finding_to_warning(cw.huayuan_clerk, found, "high")
    found2 = screening.record_screening(
        gw,
        c,
        {
            "grid": "230903013001001",
            "address": "1栋103",
            "answers": ok,
            "finding": "独居老人无人照料",
        },
    )
    r2 = screening.finding_to_warning(cw.huayuan_clerk, found2, "medium")
    assert Warning.objects.get(pk=r2.warning_id).grid.code == "230903013001001"
    assert ScreeningRecord.objects.filter(campaign=c).count() == 3
    with pytest.raises(NotFound):
        screening.get_campaign(personas.outsider, c.pk)
