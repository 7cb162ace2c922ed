"""Monthly / quarterly reports as DOCX and PDF: a narrative (what the figures say, compared
with the previous period and a year before, the ranking of areas, categories, points needing
attention; see `narrative`), two charts, and an appendix table of every figure with its formula."""

import io
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.analytics import charts, narrative
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.indicators import Filters
from fengqiao.core import files
from fengqiao.territory.models import Region

# The dashboard's figures, and after "accepted" the cases concluded (the report's own row).
_AFTER = ind.DASHBOARD.index("accepted") + 1
REPORT_CODES = (*ind.DASHBOARD[:_AFTER], "concluded", *ind.DASHBOARD[_AFTER:])


@dataclass
class ReportData:
    title: str
    subtitle: str
    story: narrative.Narrative
    rows: list[
        list[str]
    ]  # appendix: indicator, value, numerator/denominator, previous, last year, formula


def build(filters: Filters) -> ReportData:
    place = filters.grid.name if filters.grid else (filters.region.name if filters.region else "")
    figures = ind.evaluate(REPORT_CODES, filters)
    rows = []
    for code in REPORT_CODES:
        fig = figures[code]
        i = fig.indicator
        nd = f"{fig.current.numerator} / {fig.current.denominator}" if i.denominator else ""
        prev = fig.previous.display(i.style) if fig.previous else "—"
        last = fig.last_year.display(i.style) if fig.last_year else "—"
        rows.append([str(i.name), fig.display, nd, prev, last, f"{i.formula}（{i.rounding}）"])
    title = _("%(place)s safety construction report, %(period)s") % {
        "place": place,
        "period": filters.period.label,
    }
    subtitle = _("Period %(start)s to %(end)s · written %(today)s from the platform's figures") % {
        "start": filters.period.start.isoformat(),
        "end": filters.period.end.isoformat(),
        "today": timezone.localdate().isoformat(),
    }
    return ReportData(title, subtitle, narrative.compose(filters, place), rows)


def _headers() -> list[str]:
    return [_("Indicator"), _("Value"), _("Numerator / denominator"), _("Previous period"),
            _("Same period last year"), _("Formula and rounding")]  # fmt: skip


def _chart_drawings(data: ReportData, font: str) -> list[Any]:
    out = []
    if data.story.trend_chart:
        out.append(
            charts.trend_lines(
                data.story.trend_chart,
                font,
                _("Cases month by month"),
                (_("cases registered"), _("disputes screened")),
            )
        )
    if data.story.ranking_chart:
        out.append(
            charts.ranking_bars(
                data.story.ranking_chart, font, _("Dispute resolution rate by area")
            )
        )
    return out


# Official-document layout (GB/T 9704): A4, margins 37/35/28/26 mm, 仿宋 body, 黑体 headings.
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"


def _east_asian(run: Any, name: str) -> None:
    from docx.oxml.ns import qn

    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def docx_bytes(data: ReportData) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)

    def para(text: str, font: str = BODY_FONT, size: float = 14, bold: bool = False,
             center: bool = False, indent: bool = False) -> None:  # fmt: skip
        p = doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        run = p.add_run(text)
        run.font.size, run.bold = Pt(size), bold
        _east_asian(run, font)

    def table(rows: list[list[str]], size: float = 9) -> None:
        t = doc.add_table(rows=0, cols=len(rows[0]))
        t.style = "Table Grid"
        for r in rows:
            for cell, text in zip(t.add_row().cells, r, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(size)
                    _east_asian(run, BODY_FONT)

    para(data.title, TITLE_FONT, 22, bold=True, center=True)
    para(data.subtitle, BODY_FONT, 10.5, center=True)
    for section in data.story.sections:
        para(section.heading, HEADING_FONT, 16)
        for text in section.paragraphs:
            para(text, indent=True)
        if section.table:
            table(section.table)
    story = data.story
    if story.trend_chart:
        para(_("Cases month by month"), HEADING_FONT, 14)
        top = max(r[1] for r in story.trend_chart)
        table(
            [[_("Month"), _("cases registered"), "", _("disputes screened")]]
            + [
                [m, str(reg), charts.block_bar(reg, top), str(scr)]
                for m, reg, scr in story.trend_chart
            ]
        )
    if story.ranking_chart:
        para(_("Dispute resolution rate by area"), HEADING_FONT, 14)
        table(
            [[_("Area"), _("dispute resolution rate"), ""]]
            + [[n, f"{v}%" if v is not None else "—", charts.block_bar(float(v or 0), 100)]
               for n, v in story.ranking_chart]
        )  # fmt: skip
    para(_("Appendix: every figure with its formula"), HEADING_FONT, 16)
    table([_headers(), *data.rows], size=8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _font() -> str:
    # The platform's CJK font chain (PDF_CJK_FONT and fallbacks, checked at start-up: mediation.W001).
    from fengqiao.mediation.fonts import register_font

    return register_font()


def pdf_bytes(data: ReportData) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1)
    sub = ParagraphStyle("sub", fontName=font, fontSize=9, leading=12, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=14, leading=22, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=19, firstLineIndent=22,
                          wordWrap="CJK")  # fmt: skip
    cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=data.title, topMargin=37 * mm, bottomMargin=35 * mm,
        leftMargin=28 * mm, rightMargin=26 * mm,
    )  # fmt: skip

    def table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
        t = Table([[Paragraph(str(c), cell) for c in r] for r in rows], colWidths=widths,
                  repeatRows=1)  # fmt: skip
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e3e1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story: list[Any] = [Paragraph(data.title, title), Paragraph(data.subtitle, sub), Spacer(1, 10)]
    for section in data.story.sections:
        story.append(Paragraph(section.heading, h2))
        story += [Paragraph(text, body) for text in section.paragraphs]
        if section.table:
            story += [Spacer(1, 4), table(section.table)]
    for drawing in _chart_drawings(data, font):
        story += [Spacer(1, 10), drawing]
    story.append(Paragraph(_("Appendix: every figure with its formula"), h2))
    story.append(table([_headers(), *data.rows], [56, 48, 64, 44, 44, 186]))

    def page_number(canvas: Any, doc_: Any) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 20 * mm, f"— {doc_.page} —")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


def render(filters: Filters, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file extension) of the report for `filters`."""
    data = build(filters)
    if fmt == "docx":
        return (
            docx_bytes(data),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        )
    return pdf_bytes(data), "application/pdf", "pdf"


def scheduled_report(region_id: int, period: str, fmt: str = "pdf") -> str:
    """The report of a whole region (scope = the region itself), written under MEDIA_ROOT.

    Scheduled reports run without a user: the scope is the region named by the schedule.
    """
    from django.utils import timezone

    from fengqiao.accounts.access import Scope
    from fengqiao.analytics.periods import parse_period

    region = Region.objects.get(pk=region_id)
    filters = Filters(Scope((region.path,)), parse_period(period, timezone.localdate()), region)
    content, _ct, ext = render(filters, fmt)
    os.makedirs(os.path.join(settings.MEDIA_ROOT, "reports"), exist_ok=True)
    # Under a random name: MEDIA_ROOT is never served as it is (see fengqiao.core.files).
    stored = files.random_name("reports", f"-{region.code}-{filters.period.code}.{ext}")
    name = os.path.join(settings.MEDIA_ROOT, stored)
    with open(name, "wb") as f:
        f.write(content)
    return name
