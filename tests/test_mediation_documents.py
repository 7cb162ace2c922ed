"""Generated documents: Chinese text extracts back from every PDF (embedded TrueType font),
DOCX files reopen with their tables intact, and the dossier lists what is missing."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from fengqiao.mediation import actions, documents, fonts
from fengqiao.mediation.checks import pdf_font_check
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import full_mediation, make_mediation_world, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(world, personas, settings):
    return full_mediation(world, personas, settings)


# A phrase each document must carry, besides its title and the document number.
EXPECTED = {
    "application": "请求调解",
    "acceptance_register": "当事人申请",
    "rights_notice": "司法确认",
    "investigation": "夜间施工噪音超标",
    "mediation_record": "第二次调解：达成一致意见",
    "agreement": "夜间停止施工并修复道路",
    "followup": "回访方式实地回访",
    "oral_register": "未达成口头调解协议",
    "termination": "本调解未终止",
    "cover": "松林小区旁棚改工地24小时施工噪音扰民",
    "contents": "缺少的必备材料：无",
    "notes": "司法所工作人员",
    "back_cover": "立卷日期",
}


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(p.extract_text() for p in reader.pages).replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("key", sorted(documents.BUILDERS))
def test_pdf_text_extracts_back_as_written(full, key):
    assert set(EXPECTED) == set(documents.BUILDERS)
    content, ctype, name = documents.document_bytes(full, key, "pdf")
    assert ctype == "application/pdf" and name.endswith(".pdf")
    text = _text(content)
    assert documents.BUILDERS[key][0].replace("卷宗封面", "人民调解卷宗")[:4] in text
    assert full.number in text
    assert EXPECTED[key] in text
    # The font is a TrueType subset embedded in the file, not a non-embedded CID font.
    assert b"/FontFile2" in content and b"STSong" not in content


@pytest.mark.parametrize("key", sorted(documents.BUILDERS))
def test_docx_reopens_with_tables_intact(full, key):
    content, _ctype, name = documents.document_bytes(full, key, "docx")
    assert name.endswith(".docx")
    reopened = Document(io.BytesIO(content))
    doc = documents.build(full, key)
    expected = [b[1].rows for b in doc.blocks if b[0] == "table"]
    got = [[[c.text for c in row.cells] for row in t.rows] for t in reopened.tables]
    assert got == expected and expected
    paragraphs = [p.text for p in reopened.paragraphs]
    assert paragraphs[0] == doc.title and paragraphs[1] == full.number


def test_agreement_document_holds_every_signature(full):
    rows = next(b[1].rows for b in reversed(documents.agreement(full).blocks) if b[0] == "table")
    assert [r[1] for r in rows[1:]] == ["按指印", "盖章", "签名", "盖章"]


def test_dossier_in_legal_order_with_missing_items(full, world, personas):
    text = _text(documents.dossier_pdf(full))
    order = ["人民调解卷宗", "卷内目录", "人民调解申请书", "人民调解权利义务告知书",
             "当事人身份证明材料", "人民调解调查记录", "人民调解记录", "人民调解协议书",
             "人民调解回访记录", "司法确认材料", "卷宗封底"]  # fmt: skip
    # Search past the contents page, which names the items too.
    after = text.index("缺少的必备材料")
    positions = [text.index(t, 0 if i < 2 else after) for i, t in enumerate(order)]
    assert positions == sorted(positions)
    # The builder is an organisation; the applicant has an ID number: nothing required missing.
    assert documents.missing_items(full) == []
    assert "缺少的必备材料：无" in text


def test_dossier_lists_missing_required_items(world, personas, settings):
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw, notify=False)
    assert documents.missing_items(m) == ["权利义务告知书", "调解记录", "调解协议书"]
    text = _text(documents.dossier_pdf(m))
    assert "缺少的必备材料：权利义务告知书、调解记录、调解协议书" in text


def test_missing_font_is_a_clear_error(settings):
    settings.PDF_CJK_FONT = "/nonexistent/font.ttc"
    with pytest.raises(ImproperlyConfigured) as e:
        fonts.register_font()
    assert "PDF_CJK_FONT" in str(e.value) and "fonts-wqy-zenhei" in str(e.value)


def test_start_up_check_names_the_missing_font(settings, tmp_path):
    assert pdf_font_check() == []
    settings.PDF_CJK_FONT = "/nonexistent/font.ttc"
    [warning] = pdf_font_check()
    assert warning.id == "mediation.W001" and "/nonexistent/font.ttc" in warning.msg
    cff = tmp_path / "cff.otf"
    cff.write_bytes(b"OTTO" + b"\0" * 100)
    settings.PDF_CJK_FONT = str(cff)
    [warning] = pdf_font_check()
    assert "CFF" in warning.msg


def test_download_without_font_is_503_in_chinese_never_500(full, settings, client_for):
    lead = full.lead_mediator.user
    settings.PDF_CJK_FONT = "/nonexistent/font.ttc"
    page = client_for(lead).get(f"/mediation/{full.pk}/documents/agreement.pdf")
    assert page.status_code == 503
    assert "字体" in page.content.decode()
    assert client_for(lead).get(f"/mediation/{full.pk}/dossier.pdf").status_code == 503
    api = client_for(lead).get(f"/api/v1/mediation/{full.pk}/dossier.pdf")
    assert api.status_code == 503 and api.json()["errors"][0]["code"] == "font_unavailable"
    docx = client_for(lead).get(f"/mediation/{full.pk}/documents/agreement.docx")
    assert docx.status_code == 200  # Word documents need no embedded font


def test_docx_on_a4_with_the_formats_fonts(full):
    from docx.shared import Mm

    content, _ctype, _name = documents.document_bytes(full, "agreement", "docx")
    d = Document(io.BytesIO(content))
    section = d.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert d.styles["Normal"].font.name == "仿宋_GB2312"
    assert d.styles["Normal"].font.size.pt == 16
    text = "\n".join(p.text for p in d.paragraphs)
    assert "人民调解员（签名）" in text and "（印章）" in text


def test_dates_in_chinese_form_and_dossier_closed_on_the_end_date(full):
    from datetime import date

    assert documents.cn_date(date(2026, 12, 4)) == "二〇二六年十二月四日"
    assert documents.cn_date(date(2030, 10, 31)) == "二〇三〇年十月三十一日"
    ended = timezone.localtime(full.ended_at).date() if full.ended_at else None
    rows = dict(r for r in documents.cover(full).blocks[0][1].rows)
    assert rows["立卷日期"] == documents.cn_date(ended)
    assert rows["保管期限"]


def test_termination_record_and_oral_register(world, personas, settings):
    use_immediate_tasks(settings)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw)
    party = m.case.parties.order_by("id").first()
    actions.terminate(mw.lead, m, party=party, reason="另行起诉", routes_told=["court"])
    m.refresh_from_db()
    text = _text(documents.document_bytes(m, "termination", "pdf")[0])
    assert "当事人要求终止调解" in text and party.name in text and "诉讼" in text
    rows = dict(documents.termination(m).blocks[0][1].rows)
    assert rows["终止日期"] and "（印章）" in "".join(
        str(b[1]) for b in documents.termination(m).blocks
    )

    other = started(world, mw, case=None)
    actions.record_session(mw.lead, other, place="调解室", participants="双方", minutes="调解")
    actions.record_agreement(mw.lead, other, form="oral", agreed_items="道歉并赔偿五百元")
    other.refresh_from_db()
    text = _text(documents.document_bytes(other, "oral_register", "pdf")[0])
    assert "道歉并赔偿五百元" in text and "口头协议登记表" in text


def test_dossier_pages_are_numbered(full):
    reader = PdfReader(io.BytesIO(documents.dossier_pdf(full)))
    for n, page in enumerate(reader.pages, start=1):
        assert f"—{n}—" in page.extract_text().replace(" ", "")


def test_contents_list_downloads_on_its_own_with_the_dossier_page_numbers(full):
    dossier = documents.build_dossier(full)
    own = documents.build(full, "contents")
    assert [b for b in own.blocks] == [b for b in dossier.contents.blocks]
    rows = next(b[1].rows for b in own.blocks if b[0] == "table")
    page_of = {r[1]: r[4] for r in rows[1:]}
    pages = [p.extract_text().replace(" ", "").replace("\n", "")
             for p in PdfReader(io.BytesIO(dossier.pdf)).pages]  # fmt: skip
    # The page the contents give for the agreement is the page where it starts (and is numbered).
    n = int(page_of["调解协议书"])
    assert pages[n - 1].startswith("人民调解协议书") and f"—{n}—" in pages[n - 1]
    assert int(page_of["卷宗封底"]) == len(pages) == dossier.pages
    docx, _ctype, name = documents.document_bytes(full, "contents", "docx")
    assert name.endswith("卷内目录.docx")
    assert Document(io.BytesIO(docx)).tables[0].rows[0].cells[4].text == "页号"


def test_followup_record_has_the_fields_of_the_format(full):
    doc = documents.build(full, "followup")
    visit = [b[1].rows for b in doc.blocks if b[0] == "table"][-1]
    assert [r[0] for r in visit] == ["回访日期", "回访方式", "回访人", "被回访人", "协议履行情况",
                                     "回访情况", "当事人意见"]  # fmt: skip
    values = dict((r[0], r[1]) for r in visit)
    assert values["回访方式"] == "实地回访" and values["被回访人"] == "王秀英"
    assert values["协议履行情况"] == "已全部履行" and values["当事人意见"] == "双方满意"


def test_dossier_holds_the_termination_record_and_the_judicial_offices_notes(world, personas):
    from fengqiao.accounts.roles import Role
    from tests.factories import assign, make_user

    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw)
    office = make_user("sfs", "司法所丙")
    assign(office, Role.JUDICIAL_OFFICE, region=world.taoxi)
    actions.record_review(office, m, kind="review", note="疑难案件：建议引导诉讼")
    party = m.case.parties.order_by("id").first()
    actions.terminate(mw.lead, m, party=party, reason="申请人要求终止调解")
    m.refresh_from_db()
    text = _text(documents.dossier_pdf(m))
    after = text.index("缺少的必备材料")
    assert text.index("人民调解终止记录", after) < text.index("备考（司法所复核与指导意见）", after)
    assert "疑难案件：建议引导诉讼" in text and "申请人要求终止调解" in text


@pytest.mark.parametrize("key", ["cover", "contents", "followup", "agreement"])
def test_docx_tables_have_fixed_columns_within_the_a4_line(full, key):
    """LibreOffice lays a table out by its grid (gridCol), Word by the cells' widths (tcW): both
    are set, in a fixed layout, and add up to the line between the A4 margins (156 mm)."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    content, _ctype, _name = documents.document_bytes(full, key, "docx")
    tables = Document(io.BytesIO(content)).tables
    doc = documents.build(full, key)
    specs = [b[1] for b in doc.blocks if b[0] == "table"]
    assert len(tables) == len(specs) and tables
    line_twips = Mm(156) / 635
    for table, spec in zip(tables, specs, strict=True):
        tbl_pr = table._tbl.tblPr
        assert tbl_pr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert abs(sum(grid) - line_twips) < 10
        if spec.widths:
            assert [round(g / sum(grid), 2) for g in grid] == [round(f, 2) for f in spec.widths]
        for row in table.rows:
            cells = [int(c._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for c in row.cells]
            assert cells == grid
