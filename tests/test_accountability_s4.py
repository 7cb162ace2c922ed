"""Story S4: the leading group signs a responsibility letter with a member unit; progress is
reported with evidence and reviewed; overdue items are flagged; units and streets are scored,
ranked with every part of the score, and the result is frozen with its history."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengqiao.accountability import actions
from fengqiao.accountability.models import (
    AdjustmentRule,
    LetterState,
    ReportState,
    RuleKind,
    Scheme,
    SchemeIndicator,
    SubjectKind,
    TaskState,
)
from fengqiao.accountability.workflow import NotFound
from fengqiao.cases.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.core.models import AuditEntry
from tests.accountability_factories import make_group, unit_scheme

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def g(world, personas):
    return make_group(world, personas)


def signed_letter(g, personas):
    letter = actions.create_letter(g.office, g.police, number="桃平安〔2026〕1号")
    t1 = actions.add_task(g.office, letter, title="电信诈骗案件破案", measures="开展断卡行动",
                          target_kind="number", target_number="50", target_unit="起",
                          deadline=date(2026, 11, 30), weight="30")  # fmt: skip
    t2 = actions.add_task(g.office, letter, title="建立警调对接工作室", target_kind="yes_no",
                          deadline=timezone.localdate() - timedelta(days=3), weight="20")  # fmt: skip
    actions.sign(personas.leader, letter, side="group", signatory="领导丁")
    letter = actions.sign(personas.liaison, letter, side="unit", signatory="所长王某")
    return letter, t1, t2


def test_s4_letter_signed_reported_reviewed_scored_frozen(g, world, personas, client_for):
    # 1. The office drafts the letter; only the office edits it; both sides sign.
    letter = actions.create_letter(g.office, g.police, number="桃平安〔2026〕1号")
    with pytest.raises(NotPermitted):
        actions.add_task(personas.liaison, letter, title="x", target_kind="yes_no",
                         deadline=date(2026, 6, 1), weight="1")  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        actions.add_task(g.office, letter, title="x", target_kind="number",
                         deadline=date(2026, 6, 1), weight="1")  # fmt: skip
    assert e.value.field == "target_number"
    with pytest.raises(InvalidInput):
        actions.sign(personas.leader, letter, side="group", signatory="领导丁")  # no tasks yet
    letter.delete()
    letter, t1, _t2 = signed_letter(g, personas)
    assert letter.state == LetterState.SIGNED
    assert letter.group_signed_by == personas.leader and letter.unit_signed_by == personas.liaison
    assert letter.group_signed_at and letter.unit_signed_at
    with pytest.raises(TransitionNotAllowed):
        actions.add_task(g.office, letter, title="late", target_kind="yes_no",
                         deadline=date(2026, 6, 1), weight="1")  # fmt: skip
    assert AuditEntry.objects.filter(object_type="accountability.letter").exists()

    # 2. The printable letter: DOCX on A4 with 仿宋, and a PDF.
    liaison = client_for(personas.liaison)
    resp = liaison.get(f"/accountability/letters/{letter.pk}/letter.docx")
    assert resp.status_code == 200
    from docx import Document

    doc = Document(io.BytesIO(resp.content))
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2026年度平安建设目标管理责任书" in text and "乙方：桃西派出所" in text
    assert "电信诈骗案件破案" in doc.tables[0].cell(1, 1).text
    assert "所长王某" in doc.tables[1].cell(1, 1).text
    assert (
        doc.styles["Normal"].element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "仿宋"
    )
    pdf = liaison.get(f"/accountability/letters/{letter.pk}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # 3. Progress with evidence, returned with a reason, reported again, accepted as done.
    with pytest.raises(NotPermitted):
        actions.report_progress(g.office, t1, text="…")
    r1 = actions.report_progress(personas.liaison, t1, text="已破案30起", achieved_number="30",
                                 files=[SimpleUploadedFile("破案统计.png", PNG)])  # fmt: skip
    with pytest.raises(NotPermitted):
        actions.review(personas.liaison, r1, accept=True)
    with pytest.raises(InvalidInput):
        actions.review(g.office, r1, accept=False, note="")  # a return needs its reason
    actions.review(g.office, r1, accept=False, note="请附案件清单")
    t1.refresh_from_db()
    assert t1.state == TaskState.RETURNED
    r2 = actions.report_progress(personas.liaison, t1, text="全年破案52起", achieved_number="52",
                                 complete=True)  # fmt: skip
    r2 = actions.review(g.office, r2, accept=True, note="")
    t1.refresh_from_db()
    assert r2.state == ReportState.ACCEPTED and t1.state == TaskState.DONE
    assert t1.achieved_number == Decimal("52.00")
    ev = r1.evidence.get()
    assert liaison.get(f"/accountability/evidence/{ev.pk}/").status_code == 200
    assert list(t1.events.values_list("action", flat=True)) == [
        "task_added",
        "report",
        "return",
        "report",
        "accept_done",
    ]

    # 4. The overdue task is flagged on the workbench and in the monitoring room.
    home = liaison.get("/").content.decode()
    assert "建立警调对接工作室" in home
    monitor = client_for(personas.leader).get("/monitor/cards/").content.decode()
    assert "建立警调对接工作室" in monitor and "电信诈骗案件破案" not in monitor

    # 5. Assessment: computed, reviewed, bonus/deduction and veto, ranked with the breakdown.
    scheme = unit_scheme(g.group)
    review = scheme.indicators.get(code="review")
    with pytest.raises(InvalidInput):
        actions.score_indicator(g.office, review, score="25", unit=world.police_taoxi)
    actions.score_indicator(
        g.office, review, score="18", unit=world.police_taoxi.pk, note="实绩突出"
    )
    deduction = scheme.rules.get(kind=RuleKind.DEDUCTION)
    actions.record_occurrence(g.office, deduction, happened_on=date(2026, 5, 1),
                              reason="辖区发生重大刑事案件", unit=world.police_taoxi.pk)  # fmt: skip
    veto = scheme.rules.get(kind=RuleKind.VETO)
    actions.record_occurrence(g.office, veto, happened_on=date(2026, 7, 1), reason="重大安全事故",
                              unit=g.justice.unit_id)  # fmt: skip
    with pytest.raises(NotFound):
        actions.compute(personas.liaison, scheme)  # a liaison does not see the scheme
    with pytest.raises(NotPermitted):
        actions.compute(personas.leader, scheme)  # a head sees it; the office computes
    run = actions.compute(g.office, scheme)
    scores = {s.unit_id: s for s in run.scores.all()}
    police = scores[world.police_taoxi.pk]
    # letter: 30 of 50 weight done = 60 % → 24 of 40; no mediations or cases: no data; review
    # 18; deduction −5.
    assert police.total == Decimal("37.00") and police.rank == 1 and not police.vetoed
    parts = {p.get("code") or p["name"]: p for p in police.breakdown}
    assert parts["letter"]["value"] == "60.00" and parts["letter"]["score"] == "24.00"
    assert parts["letter"]["numerator"] == "30.00" and parts["letter"]["denominator"] == "50.00"
    assert parts["mediation"]["note"] == "no data" and parts["review"]["score"] == "18.00"
    assert parts["发生重大案事件"]["score"] == "-5.00"
    justice = scores[g.justice.unit_id]
    assert justice.vetoed and justice.total == 0 and justice.rank == 2

    # 6. Frozen results never change; computing again makes a new version.
    actions.freeze(g.office, run)
    with pytest.raises(InvalidInput):
        actions.freeze(g.office, run)
    run.refresh_from_db()
    with pytest.raises(ValueError):
        run.save()
    with pytest.raises(ValueError):
        police.save()
    actions.score_indicator(g.office, review, score="20", unit=world.police_taoxi.pk)
    run2 = actions.compute(g.office, scheme)
    assert run2.version == 2
    assert run2.scores.get(unit=world.police_taoxi).total == Decimal("39.00")
    assert run.scores.get(unit=world.police_taoxi).total == Decimal("37.00")

    # 7. Pages: the office sees the ranking; a liaison only its own frozen score.
    office = client_for(g.office)
    page = office.get(f"/accountability/schemes/{scheme.pk}/").content.decode()
    assert "桃西派出所" in page and "桃山区司法局" in page and "39.00" in page  # latest: v2
    page = office.get(f"/accountability/schemes/{scheme.pk}/", {"run": run.pk}).content.decode()
    assert "37.00" in page and "实绩突出" not in page and "发生重大案事件" in page
    mine = liaison.get("/accountability/").content.decode()
    assert "37.00" in mine and "桃山区司法局" not in mine
    assert liaison.get(f"/accountability/schemes/{scheme.pk}/").status_code == 404


def test_street_scheme_scores_streets_from_cases_and_mediation(g, world, personas):
    from fengqiao.accountability.models import IndicatorKind

    s = Scheme.objects.create(group=g.group, name="街道考核", subject_kind=SubjectKind.STREET,
                              period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))  # fmt: skip
    SchemeIndicator.objects.create(scheme=s, code="overdue", name="案件超期率",
                                   kind=IndicatorKind.COMPUTED, provider="case_overdue_rate",
                                   weight=Decimal(50), full_at=Decimal(0), zero_at=Decimal(20))  # fmt: skip
    bonus = AdjustmentRule.objects.create(scheme=s, name="创新", kind=RuleKind.BONUS,
                                          points=Decimal(3), cap=Decimal(4))  # fmt: skip
    for day in (1, 2):
        actions.record_occurrence(g.office, bonus, happened_on=date(2026, 3, day), reason="表彰",
                                  street=world.taonan.pk)  # fmt: skip
    with pytest.raises(InvalidInput):
        actions.record_occurrence(g.office, bonus, happened_on=date(2026, 3, 1), reason="x",
                                  street=world.huayuan.pk)  # a community is no street  # fmt: skip
    run = actions.compute(g.office, s)
    rows = list(run.scores.order_by("rank", "id"))
    assert [r.street for r in rows] == [world.taonan, world.taoxi]
    assert rows[0].total == Decimal("4.00")  # 2 × 3 capped at 4; no cases: no overdue data


def test_computed_indicator_needs_a_known_provider_for_its_subjects(g):
    from django.core.exceptions import ValidationError

    s = Scheme.objects.create(group=g.group, name="x", subject_kind=SubjectKind.STREET,
                              period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))  # fmt: skip
    i = SchemeIndicator(scheme=s, code="l", name="l", kind="computed",
                        provider="letter_task_completion", weight=Decimal(1),
                        full_at=Decimal(100), zero_at=Decimal(0))  # fmt: skip
    with pytest.raises(ValidationError):
        i.full_clean()  # letters are signed by member units, not streets
    i.provider = "nope"
    with pytest.raises(ValidationError):
        i.full_clean()
