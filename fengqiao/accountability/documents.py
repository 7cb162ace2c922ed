"""The responsibility letter as a printable document, DOCX (A4, 仿宋 body, 宋体 title) and PDF
(A4, the platform's CJK font helper of fengqiao.mediation.documents), in the usual layout:
title, number, the parties, preamble, the table of tasks (measures, target, deadline, weight),
assessment and rewards, and the two signature blocks with who signed and when."""

import io

from django.utils import timezone

from fengqiao.mediation.fonts import register_font

from .models import Letter, TargetKind

HEAD = ["序号", "工作任务", "工作措施", "目标", "完成时限", "分值"]


def _date(value) -> str:
    if value is None:
        return "　　年　　月　　日"
    d = timezone.localtime(value).date() if hasattr(value, "tzinfo") else value
    return f"{d.year}年{d.month}月{d.day}日"


def content(letter: Letter) -> dict:
    mu = letter.member_unit
    group = mu.group
    rows = [HEAD]
    for t in letter.tasks.order_by("seq"):
        target = "完成" if t.target_kind == TargetKind.YES_NO else t.target_text
        rows.append(
            [
                str(t.seq),
                t.title,
                t.measures,
                target,
                _date(t.deadline),
                f"{t.weight.normalize():f}",
            ]
        )
    return {
        "title": f"{group.year}年度平安建设目标管理责任书",
        "number": letter.number,
        "parties": [f"甲方：{group.name}", f"乙方：{mu.unit.name}"],
        "preamble": letter.preamble
        or f"为全面落实平安建设领导责任制，确保{group.year}年度平安建设各项目标任务落到实处，"
        "经甲乙双方协商，签订本责任书。",
        "rows": rows,
        "terms": letter.terms
        or "甲方按照年度考核方案对乙方完成情况进行考核，考核结果与评先评优挂钩；"
        "发生重大案事件的，实行一票否决。",
        "signatures": [
            (
                "甲方（盖章）：" + group.name,
                "负责人（签字）：" + letter.group_signatory,
                _date(letter.group_signed_at),
            ),
            (
                "乙方（盖章）：" + mu.unit.name,
                "负责人（签字）：" + letter.unit_signatory,
                _date(letter.unit_signed_at),
            ),
        ],
    }


def render_docx(letter: Letter) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    c = content(letter)
    d = Document()
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    style = d.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")

    def run_font(run, east: str, size: float, bold: bool = False) -> None:
        run.font.size, run.bold = Pt(size), bold
        run.font.name = "SimSun" if east == "宋体" else "FangSong"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east)

    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run_font(p.add_run(c["title"]), "宋体", 22, True)
    if c["number"]:
        n = d.add_paragraph(c["number"])
        n.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for line in c["parties"]:
        d.add_paragraph(line)
    d.add_paragraph(c["preamble"]).paragraph_format.first_line_indent = Pt(28)
    d.add_paragraph("一、目标任务")
    table = d.add_table(rows=len(c["rows"]), cols=len(HEAD))
    table.style = "Table Grid"
    for r, row in enumerate(c["rows"]):
        for col, text in enumerate(row):
            cell = table.cell(r, col)
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run_font(run, "仿宋", 12, r == 0)
    d.add_paragraph("二、考核与奖惩")
    d.add_paragraph(c["terms"]).paragraph_format.first_line_indent = Pt(28)
    d.add_paragraph("本责任书一式两份，甲乙双方各执一份，自双方签字之日起生效。")
    sig = d.add_table(rows=3, cols=2)
    for col, (who, signer, when) in enumerate(c["signatures"]):
        for r, text in enumerate((who, signer, when)):
            sig.cell(r, col).text = text
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def render_pdf(letter: Letter) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    c = content(letter)
    font = register_font()  # the platform's one CJK font helper
    base = ParagraphStyle("base", fontName=font, fontSize=12, leading=20, wordWrap="CJK")
    indent = ParagraphStyle("indent", parent=base, firstLineIndent=24)
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=30, alignment=1)
    right = ParagraphStyle("right", parent=base, alignment=2)
    cell = ParagraphStyle("cell", parent=base, fontSize=10, leading=14)

    def para(text: str, st=base) -> Paragraph:
        safe = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe.replace("\n", "<br/>"), st)

    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=A4, leftMargin=28 * mm, rightMargin=26 * mm,
                             topMargin=30 * mm, bottomMargin=30 * mm, title=c["title"],
                             author="枫桥")  # fmt: skip
    w = page.width
    story = [para(c["title"], title), para(c["number"], right), Spacer(1, 6)]
    story += [para(x) for x in c["parties"]]
    story += [para(c["preamble"], indent), para("一、目标任务")]
    widths = [0.07, 0.23, 0.32, 0.12, 0.16, 0.10]
    t = Table([[para(x, cell) for x in row] for row in c["rows"]],
              colWidths=[f * w for f in widths], repeatRows=1)  # fmt: skip
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))  # fmt: skip
    story += [t, Spacer(1, 6), para("二、考核与奖惩"), para(c["terms"], indent),
              para("本责任书一式两份，甲乙双方各执一份，自双方签字之日起生效。"), Spacer(1, 18)]  # fmt: skip
    sig = [[para(c["signatures"][0][r]), para(c["signatures"][1][r])] for r in range(3)]
    story.append(Table(sig, colWidths=[w / 2, w / 2]))
    page.build(story)
    return out.getvalue()
