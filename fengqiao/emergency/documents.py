"""The daily report of an event (应急工作日报), generated from its figures: DOCX (A4, GB/T 9704
margins, 仿宋 body, 黑体 headings) and PDF (A4, the platform's CJK font, fengqiao.mediation.fonts;
a missing font raises FontUnavailable and the views answer 503)."""

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .situation import Situation, hours_left


def content(s: Situation) -> dict[str, Any]:
    e = s.event
    local = timezone.localtime(s.at)
    title = _("%(name)s: daily report of %(day)s") % {"name": e.name, "day": f"{local:%Y-%m-%d}"}
    summary = _(
        "Response level %(level)s over %(region)s, %(state)s%(since)s. Structure: %(structure)s. "
        "Tasks: %(total)s given, %(done)s done (%(today)s today), %(open)s open of which "
        "%(overdue)s overdue. Check-ins today: %(checkins)s. Incidents linked: %(incidents)s."
    ) % {
        "level": e.level, "region": e.region.name, "state": e.get_state_display(),
        "since": (" " + _("since %(t)s") % {"t": f"{timezone.localtime(e.activated_at):%Y-%m-%d %H:%M}"})
        if e.activated_at else "",
        "structure": s.structure_text, "total": s.tasks_total, "done": s.tasks_done,
        "today": s.done_today, "open": s.tasks_open, "overdue": s.tasks_overdue,
        "checkins": s.checkins_today, "incidents": len(s.incidents),
    }  # fmt: skip
    sections: list[tuple[str, list[str], list[list[str]]]] = [(_("Summary"), [summary], [])]
    if s.rollup:
        rows = [
            [
                _("Street"),
                _("Households to screen"),
                _("Households screened"),
                _("Problems found"),
                _("Completion rate"),
            ]
        ]
        rows += [[r.name, str(r.target), str(r.screened), str(r.findings), f"{r.percent}%"]
                 for r in s.rollup["street"]]  # fmt: skip
        t = s.campaign_total
        text = (
            _("Screening: %(screened)s of %(target)s households (%(percent)s%%), %(findings)s findings.")
            % {"screened": t.screened, "target": t.target, "percent": t.percent, "findings": t.findings}
            if t else _("Screening: no grids assigned yet.")
        )  # fmt: skip
        sections.append((_("Screening campaign"), [text], rows))
    task_rows = [[_("Task"), _("Given to"), _("Deadline"), _("State"), _("Hours left")]]
    task_rows += [
        [t.title, t.assignee_name, f"{timezone.localtime(t.deadline):%m-%d %H:%M}",
         str(t.get_state_display()) + (" · " + _("overdue") if t.overdue else ""),
         str(hours_left(t, s.at))]
        for t in s.open_tasks
    ]  # fmt: skip
    sections.append((_("Open tasks, overdue first"), [] if s.open_tasks else [_("None.")],
                     task_rows if s.open_tasks else []))  # fmt: skip
    inc = [[_("Number"), _("Incident"), _("State")]] + [
        [i["number"], i["title"], i["state"]] for i in s.incidents
    ]
    sections.append((_("Incidents"), [] if s.incidents else [_("None.")],
                     inc if s.incidents else []))  # fmt: skip
    subtitle = _("Written %(t)s from the platform's figures") % {"t": f"{local:%Y-%m-%d %H:%M}"}
    return {"title": title, "subtitle": subtitle, "sections": sections}


def _east_asian(run: Any, name: str) -> None:
    from docx.oxml.ns import qn

    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def docx_bytes(s: Situation) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    c = content(s)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)

    def para(text: str, font: str = "仿宋", size: float = 14, center: bool = False) -> None:
        p = doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.font.size = Pt(size)
        _east_asian(run, font)

    para(c["title"], "宋体", 20, center=True)
    para(c["subtitle"], "仿宋", 10.5, center=True)
    for heading, paragraphs, rows in c["sections"]:
        para(heading, "黑体", 16)
        for text in paragraphs:
            para(text)
        if rows:
            t = doc.add_table(rows=0, cols=len(rows[0]))
            t.style = "Table Grid"
            for r in rows:
                for cell, text in zip(t.add_row().cells, r, strict=True):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.font.size = Pt(10)
                        _east_asian(run, "仿宋")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_bytes(s: Situation) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from fengqiao.mediation.fonts import register_font

    font = register_font()  # FontUnavailable when the CJK font is missing: the view says 503
    c = content(s)
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1)
    sub = ParagraphStyle("sub", fontName=font, fontSize=9, leading=12, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=14, leading=22, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=19, firstLineIndent=22,
                          wordWrap="CJK")  # fmt: skip
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=c["title"], topMargin=37 * mm, bottomMargin=35 * mm,
        leftMargin=28 * mm, rightMargin=26 * mm,
    )  # fmt: skip
    story: list[Any] = [Paragraph(c["title"], title), Paragraph(c["subtitle"], sub), Spacer(1, 8)]
    for heading, paragraphs, rows in c["sections"]:
        story.append(Paragraph(heading, h2))
        story += [Paragraph(text, body) for text in paragraphs]
        if rows:
            t = Table([[Paragraph(str(x), cell) for x in r] for r in rows], repeatRows=1)
            t.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e3e1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))  # fmt: skip
            story += [Spacer(1, 4), t]

    def page_number(canvas: Any, doc_: Any) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 20 * mm, f"— {doc_.page} —")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render(s: Situation, fmt: str) -> tuple[bytes, str]:
    if fmt == "docx":
        return docx_bytes(s), DOCX
    return pdf_bytes(s), "application/pdf"


def filename(s: Situation, fmt: str) -> str:
    return f"{s.event.name}-日报-{timezone.localtime(s.at):%Y%m%d}.{fmt}"
