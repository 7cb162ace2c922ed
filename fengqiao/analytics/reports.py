"""Monthly / quarterly reports as DOCX and PDF: the dashboard's figures with formulas, the
comparison with the previous period and a year before, the territory table and a bar chart."""

import io
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from fengqiao.analytics import indicators as ind
from fengqiao.analytics.indicators import INDICATORS, Filters
from fengqiao.core import files
from fengqiao.territory.models import Region

# The dashboard's figures, and after "accepted" the cases concluded (the report's own row).
_AFTER = ind.DASHBOARD.index("accepted") + 1
REPORT_CODES = (*ind.DASHBOARD[:_AFTER], "concluded", *ind.DASHBOARD[_AFTER:])
PLACE_CODES = ("screened", "resolved", "resolution_rate")


@dataclass
class ReportData:
    title: str
    rows: list[list[str]]  # indicator, value, numerator/denominator, previous, last year, formula
    places: list[list[str]]
    chart: list[tuple[str, int]]


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
    places, chart = [], []
    if filters.region is not None and filters.grid is None:
        for child, vals in ind.breakdown_by_place(PLACE_CODES, filters, filters.region):
            places.append(
                [child.name] + [vals[c].display(INDICATORS[c].style) for c in PLACE_CODES]
            )
            chart.append((child.name, int(vals["screened"].value or 0)))
    title = _("%(place)s safety construction report, %(period)s") % {
        "place": place,
        "period": filters.period.label,
    }
    return ReportData(title, rows, places, chart)


def _headers() -> list[str]:
    return [_("Indicator"), _("Value"), _("Numerator / denominator"), _("Previous period"),
            _("Same period last year"), _("Formula and rounding")]  # fmt: skip


def _place_headers() -> list[str]:
    return [_("Area")] + [str(INDICATORS[c].name) for c in PLACE_CODES]


def docx_bytes(data: ReportData) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(data.title, level=1)
    doc.add_paragraph(
        _(
            "Rates are percentages with 2 decimals rounded half up; the formula is beside each figure."
        )
    )
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, _headers(), strict=True):
        cell.text = text
    for row in data.rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    if data.places:
        doc.add_heading(_("By territory"), level=2)
        t2 = doc.add_table(rows=1, cols=len(_place_headers()))
        t2.style = "Table Grid"
        for cell, text in zip(t2.rows[0].cells, _place_headers(), strict=True):
            cell.text = text
        for row in data.places:
            for cell, text in zip(t2.add_row().cells, row, strict=True):
                cell.text = text
        # A bar chart drawn as a table: one bar of full blocks per area, scaled to the largest.
        doc.add_heading(_("Disputes screened by area"), level=2)
        top = max((v for _n, v in data.chart), default=0) or 1
        t3 = doc.add_table(rows=0, cols=3)
        for name, value in data.chart:
            cells = t3.add_row().cells
            cells[0].text = name
            cells[1].text = "█" * max(1 if value else 0, round(30 * value / top))
            cells[2].text = str(value)
            for p in cells[1].paragraphs:
                for run in p.runs:
                    run.font.size = Pt(8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


FONT_NAME = "FengqiaoCJK"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = getattr(settings, "PDF_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
        kwargs = {"subfontIndex": 0} if path.endswith(".ttc") else {}
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
    return FONT_NAME


def pdf_bytes(data: ReportData) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=data.title)

    def table(rows: list[list[str]], widths=None) -> Table:
        t = Table([[Paragraph(str(c), body) for c in r] for r in rows], colWidths=widths)
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

    story: list[Any] = [Paragraph(data.title, h1), Spacer(1, 8)]
    story.append(table([_headers(), *data.rows], [110, 60, 90, 70, 70, 360]))
    if data.places:
        story += [Spacer(1, 12), Paragraph(_("By territory"), h1)]
        story.append(table([_place_headers(), *data.places]))
        drawing = Drawing(700, 220)
        bc = VerticalBarChart()
        bc.x, bc.y, bc.width, bc.height = 40, 30, 620, 170
        bc.data = [[v for _n, v in data.chart]]
        bc.categoryAxis.categoryNames = [n for n, _v in data.chart]
        bc.categoryAxis.labels.fontName = font
        bc.valueAxis.valueMin = 0
        bc.bars[0].fillColor = colors.HexColor("#b3261e")
        drawing.add(bc)
        story += [Spacer(1, 12), Paragraph(_("Disputes screened by area"), h1), drawing]
    doc.build(story)
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
