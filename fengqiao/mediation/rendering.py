"""The two renderers of a mediation document: DOCX (for editing and printing; A4, the formats'
margins and type, table columns of fixed width so Word and LibreOffice lay them out alike) and
PDF (the CJK TrueType font embedded). Both draw the same neutral `Doc`, so both always say the
same thing."""

import io
from dataclasses import dataclass, field

from .fonts import register_font

# -- the neutral structure -----------------------------------------------------------------


@dataclass
class Table:
    rows: list[list[str]]
    header: bool = False
    widths: list[float] | None = None  # fractions of the line width


@dataclass
class Doc:
    key: str
    title: str
    number: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h(self, text: str) -> None:
        self.blocks.append(("heading", text))

    def p(self, text: str) -> None:
        self.blocks.append(("para", text))

    def table(self, rows: list[list[str]], header: bool = False, widths=None) -> None:
        self.blocks.append(("table", Table(rows, header, widths)))

    def break_page(self) -> None:
        self.blocks.append(("pagebreak", None))


# -- DOCX ----------------------------------------------------------------------------------


# Paper and type of the formats (A4; GB/T 9704 margins; 宋体 title 二号, 仿宋 body 三号,
# tables 仿宋 小四), shared by the DOCX and the PDF.
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TITLE_PT, BODY_PT, TABLE_PT = 22, 16, 12
TITLE_FONT, BODY_FONT = "宋体", "仿宋_GB2312"


def _right_aligned(text: str) -> bool:
    """The seal and date lines of a signature block stand on the right, as in the formats."""
    return text.endswith("（印章）") or (text.endswith("日") and len(text) <= 12)


def _docx_font(run_or_style, name: str, size: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run_or_style.font.name = name
    run_or_style.font.size = Pt(size)
    r_pr = run_or_style.element.get_or_add_rPr()
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _docx_widths(table, fractions: list[float]) -> None:
    """Fixed column widths over the line: the grid (gridCol, which LibreOffice lays out by), each
    cell's width (tcW, Word's), the table's width and a fixed layout, so neither program
    autofits the columns to their text (an autofit table runs past the A4 margins)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    line = Mm(PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"])
    total = sum(fractions[: len(table.columns)])
    widths = [int(line * f / total) for f in fractions[: len(table.columns)]]
    table.autofit = False  # w:tblLayout w:type="fixed"
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(sum(w // 635 for w in widths)))  # EMU → twentieths of a point
    tbl_w.set(qn("w:type"), "dxa")
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        col.w = width
    for c, width in enumerate(widths):
        for cell in table.columns[c].cells:
            cell.width = width


def render_docx(doc: Doc) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    d = Document()
    for section in d.sections:
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    _docx_font(d.styles["Normal"], BODY_FONT, BODY_PT)
    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(doc.title)
    run.bold = True
    _docx_font(run, TITLE_FONT, TITLE_PT)
    number = d.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _docx_font(number.add_run(doc.number), BODY_FONT, TABLE_PT)
    for kind, value in doc.blocks:
        if kind == "heading":
            p = d.add_paragraph()
            p.add_run(str(value)).bold = True
        elif kind == "para":
            p = d.add_paragraph(str(value))
            if _right_aligned(str(value)):
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind == "pagebreak":
            d.add_page_break()
        elif kind == "table":
            t: Table = value  # type: ignore[assignment]
            cols = max(len(r) for r in t.rows)
            table = d.add_table(rows=len(t.rows), cols=cols)
            table.style = "Table Grid"
            _docx_widths(table, t.widths or [1 / cols] * cols)
            for r, row in enumerate(t.rows):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = text or ""
                    for run in cell.paragraphs[0].runs:
                        _docx_font(run, BODY_FONT, TABLE_PT)
                        if (t.header and r == 0) or (t.widths and c == 0):
                            run.bold = True
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


# -- PDF -----------------------------------------------------------------------------------


def render_pdf(docs: list[Doc]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import (
        Table as RLTable,
    )

    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=BODY_PT, leading=BODY_PT * 1.6,
                          wordWrap="CJK")  # fmt: skip
    title_style = ParagraphStyle(
        "title", parent=base, fontSize=TITLE_PT, leading=TITLE_PT * 1.4, alignment=1
    )
    number_style = ParagraphStyle(
        "number", parent=base, fontSize=TABLE_PT, leading=TABLE_PT * 1.5, alignment=2
    )
    heading = ParagraphStyle("heading", parent=base, spaceBefore=6)
    cell_style = ParagraphStyle("cell", parent=base, fontSize=TABLE_PT, leading=TABLE_PT * 1.4)
    right = ParagraphStyle("right", parent=base, alignment=2)

    def para(text: str, style=base) -> Paragraph:
        safe = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe.replace("\n", "<br/>"), style)

    out = io.BytesIO()
    page = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGINS_MM["left"] * mm,
        rightMargin=MARGINS_MM["right"] * mm, topMargin=MARGINS_MM["top"] * mm,
        bottomMargin=MARGINS_MM["bottom"] * mm, title=docs[0].title if docs else "", author="枫桥",
    )  # fmt: skip
    width = page.width
    story = []
    for i, doc in enumerate(docs):
        if i:
            story.append(PageBreak())
        story += [para(doc.title, title_style), para(doc.number, number_style), Spacer(1, 4)]
        for kind, value in doc.blocks:
            if kind == "heading":
                story.append(para(str(value), heading))
            elif kind == "para":
                story.append(para(str(value), right if _right_aligned(str(value)) else base))
            elif kind == "pagebreak":
                story.append(PageBreak())
            elif kind == "table":
                t: Table = value  # type: ignore[assignment]
                cols = max(len(r) for r in t.rows)
                fractions = t.widths or [1 / cols] * cols
                data = [[para(c, cell_style) for c in row] for row in t.rows]
                table = RLTable(
                    data, colWidths=[f * width for f in fractions], repeatRows=1 if t.header else 0
                )
                style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                         ("VALIGN", (0, 0), (-1, -1), "TOP")]  # fmt: skip
                if t.header:
                    style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
                table.setStyle(TableStyle(style))
                story += [table, Spacer(1, 6)]
    page.build(story)
    return out.getvalue()
