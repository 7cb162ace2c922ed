"""The report's charts: vector drawings (reportlab graphics) in the PDF; in the DOCX, which
python-docx cannot chart, the same figures as bars of blocks in a table (`block_bar`).

(reportlab's PNG renderer needs pycairo, a C build against the system's cairo: not worth a
system package for two pictures.)"""

from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

RED = colors.HexColor("#b3261e")
BLUE = colors.HexColor("#1f5fa8")
WIDTH = 460


def ranking_bars(rows: list[tuple[str, Decimal | None]], font: str, title: str) -> Drawing:
    """Horizontal bars of a rate per area, best first (top of the chart)."""
    rows = list(reversed(rows))  # reportlab draws the first category at the bottom
    height = 50 + 18 * max(len(rows), 1)
    d = Drawing(WIDTH, height)
    d.add(String(WIDTH / 2, height - 14, title, fontName=font, fontSize=10, textAnchor="middle"))
    bc = HorizontalBarChart()
    bc.x, bc.y, bc.width, bc.height = 110, 20, WIDTH - 150, height - 50
    bc.data = [[float(v or 0) for _n, v in rows]]
    bc.categoryAxis.categoryNames = [n for n, _v in rows]
    bc.categoryAxis.labels.fontName = font
    bc.categoryAxis.labels.fontSize = 8
    bc.valueAxis.valueMin, bc.valueAxis.valueMax = 0, 100
    bc.valueAxis.labels.fontSize = 7
    bc.bars[0].fillColor = RED
    bc.barLabelFormat = "%.2f%%"
    bc.barLabels.fontSize = 7
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 3
    d.add(bc)
    return d


def trend_lines(
    rows: list[tuple[str, int, int]], font: str, title: str, names: tuple[str, str]
) -> Drawing:
    """Month by month: cases registered and disputes screened."""
    d = Drawing(WIDTH, 220)
    d.add(String(WIDTH / 2, 206, title, fontName=font, fontSize=10, textAnchor="middle"))
    lc = HorizontalLineChart()
    lc.x, lc.y, lc.width, lc.height = 40, 50, WIDTH - 60, 140
    lc.data = [[r[1] for r in rows] or [0], [r[2] for r in rows] or [0]]
    lc.categoryAxis.categoryNames = [r[0] for r in rows] or [""]
    lc.categoryAxis.labels.fontName = font
    lc.categoryAxis.labels.fontSize = 7
    lc.categoryAxis.labels.angle = 30
    lc.categoryAxis.labels.boxAnchor = "ne"
    lc.valueAxis.valueMin = 0
    lc.valueAxis.labels.fontSize = 7
    lc.lines[0].strokeColor, lc.lines[1].strokeColor = BLUE, RED
    lc.lines[0].strokeWidth = lc.lines[1].strokeWidth = 1.5
    d.add(lc)
    legend = Legend()
    legend.x, legend.y = 50, 12
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(BLUE, names[0]), (RED, names[1])]
    d.add(legend)
    return d


def block_bar(value: float, top: float, width: int = 24) -> str:
    """A bar of full blocks scaled to the largest value (at least one block for any value > 0)."""
    if not top or not value:
        return ""
    return "█" * max(1, round(width * value / top))
