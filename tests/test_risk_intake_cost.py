"""What the early-warning rules cost an intake (issue 18): the statements they add do not grow
with the rules that fire (one query per repeat field, one INSERT each for the warnings, their
history and their audit rows, one notice task), the chains they write verify, and on PostgreSQL
the repeat rules read the (field, created_at) indexes."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from fengqiao.cases.models import Case
from fengqiao.core import chain, refdata
from fengqiao.core.models import AuditEntry
from fengqiao.risk import rules
from fengqiao.risk.models import Level, RuleKind, Warning, WarningEvent, WarningRule
from tests.case_factories import make_case_world, report

PHONE = "13904641234"
ADDRESS = "花园社区3号楼"

# The rules on one intake that fires four of them (two repeat-reporter rules, a group dispute
# and keywords) and has a background rule to enqueue: the repeat-reporter query (one for both
# rules), the warnings, their history (each chain starts here: no head look-up), the audit
# chain's head and the audit rows (PostgreSQL: and the shard lock), the notice task and the
# background rules' task. The chains' anchors join the intake's one INSERT of anchors.
RULE_STATEMENTS = {"postgresql": 8, "sqlite": 7}


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _rule(world, kind, params, name=""):
    return WarningRule.objects.create(
        name=name or str(kind), kind=kind, params=params, level=Level.HIGH,
        region=world.district, enabled=True,
    )  # fmt: skip


def _rules(world):
    _rule(world, RuleKind.REPEAT_REPORTER, {"days": 30, "count": 3}, "repeat 3 in 30 days")
    _rule(world, RuleKind.REPEAT_REPORTER, {"days": 7, "count": 2}, "repeat 2 in 7 days")
    _rule(world, RuleKind.GROUP_DISPUTE, {"people": 5})
    _rule(world, RuleKind.KEYWORDS, {"keywords": ["跳楼", "同归于尽"]})
    _rule(world, RuleKind.REPEAT_ADDRESS, {"days": 30, "count": 2})  # background kind


def _new_case():
    """A case of the repeating phone, read back as the intake holds it (place and unit)."""
    case = report(
        description="拖欠工资，扬言要跳楼", people_involved=8, reporter_phone=PHONE, address=ADDRESS
    ).case
    return Case.objects.select_related("grid", "handling_unit").get(pk=case.pk)


def test_rules_on_one_intake_cost_a_fixed_number_of_statements(
    world, personas, cw, settings, django_assert_num_queries
):
    settings.REFDATA_CHECK_SECONDS = 3600  # no generation check inside the count
    for _ in range(2):
        report(reporter_phone=PHONE, address=ADDRESS)
    case = _new_case()  # no rule yet: nothing raised
    _rules(world)
    refdata.get("risk.intake_rules", rules._intake_rules)  # the process's snapshot, loaded
    tasks_before = set(DBTaskResult.objects.values_list("id", flat=True))
    with (
        transaction.atomic(),
        chain.batched_anchors(),
        django_assert_num_queries(RULE_STATEMENTS[connection.vendor]),
    ):
        rules.on_intake(case)
    raised = Warning.objects.filter(case=case).order_by("id")
    assert sorted(raised.values_list("rule__name", flat=True)) == [
        "group_dispute", "keywords", "repeat 2 in 7 days", "repeat 3 in 30 days",
    ]  # fmt: skip
    both = {w.rule.name: w.evidence["cases"] for w in raised if w.kind == "repeat_reporter"}
    assert len(both["repeat 3 in 30 days"]) == 3 and len(both["repeat 2 in 7 days"]) == 2
    assert both["repeat 3 in 30 days"][0] == case.tracking_number
    # One history entry and one audit entry per warning; one task tells every unit.
    assert WarningEvent.objects.filter(warning__in=raised, action="raise").count() == 4
    audited = AuditEntry.objects.filter(object_type="risk.warning")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(w.pk) for w in raised)
    tasks = DBTaskResult.objects.exclude(id__in=tasks_before)
    assert sorted(tasks.values_list("task_path", flat=True)) == [
        "fengqiao.risk.tasks.evaluate_case_task",
        "fengqiao.risk.tasks.notify_warnings_task",
    ]
    notice = tasks.get(task_path__endswith="notify_warnings_task")
    assert notice.args_kwargs["args"][0] == [w.pk for w in raised]


def test_batched_warnings_keep_every_chain_verifiable(world, personas, cw):
    _rules(world)
    for _ in range(3):
        report(reporter_phone=PHONE, address=ADDRESS, people_involved=8)
    assert Warning.objects.count() >= 6
    for label in ("core.auditentry", "risk.warningevent"):
        report_ = chain.verify_model(chain.SPECS[label])
        assert report_.ok, report_.breaks
        assert report_.rows > 0
    # The audit rows of one batch follow each other in one chain.
    seqs = list(
        AuditEntry.objects.filter(object_type="risk.warning")
        .order_by("chain", "chain_seq")
        .values_list("chain", "chain_seq")
    )
    assert len({c for c, _ in seqs}) == 1
    assert [s for _, s in seqs] == sorted(s for _, s in seqs)


def test_an_open_warning_is_not_raised_twice_in_a_batch_or_after(world, personas, cw):
    from fengqiao.risk.actions import NewWarning, raise_warnings

    rule = _rule(world, RuleKind.GROUP_DISPUTE, {"people": 50})
    case = report(people_involved=3).case
    item = NewWarning(
        kind=rule.kind, level=rule.level, title="t", evidence={}, rule=rule, case=case,
        region_path=case.region_path, dedupe_key=f"case:{case.pk}",
    )  # fmt: skip
    with transaction.atomic():
        assert len(raise_warnings([item, item])) == 1
        assert raise_warnings([item]) == []
    assert Warning.objects.filter(case=case).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of PostgreSQL's plans")
@pytest.mark.parametrize(
    ("field", "index"),
    [("reporter_phone", "case_phone_created"), ("address", "case_address_created")],
)
def test_repeat_rules_read_their_index(world, personas, cw, field, index):
    case = report(reporter_phone=PHONE, address=ADDRESS).case
    # Enough other cases (other phones and addresses, the same days) that the table is not
    # read whole, and statistics as autovacuum would have them.
    clones = []
    for i in range(2000):
        c = Case.objects.get(pk=case.pk)
        c.pk = None
        c.tracking_number = f"T{i:08d}"
        c.reporter_phone = f"1390000{i:04d}"
        c.address = f"某小区{i}号楼"
        c.created_at = case.created_at - timedelta(hours=i % 700)
        clones.append(c)
    Case.objects.bulk_create(clones)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    value = PHONE if field == "reporter_phone" else ADDRESS
    at = case.created_at
    plan = rules.recent_cases(field, value, at - timedelta(days=30), at, 3).explain()
    assert index in plan, plan
    assert "Seq Scan" not in plan and "Sort" not in plan, plan
