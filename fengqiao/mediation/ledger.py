"""人民调解登记台账: the mediation register of a committee for a period, as Excel.

Written with xlsxwriter in constant_memory mode (rows streamed in order), so a year of a busy
committee does not sit in memory; a second sheet holds the figures with their formulas.
"""

import io
from datetime import date, datetime
from typing import Any

import xlsxwriter
from django.db.models import Count, QuerySet
from django.utils import timezone

from fengqiao.accounts.access import Access, access_for

from . import documents
from .figures import _bounds, mediation_figures, scoped_mediations
from .models import Agreement, Mediation

COLUMNS = [
    ("序号", 6), ("编号", 24), ("登记日期", 12), ("受理日期", 12), ("纠纷类型", 12),
    ("纠纷来源", 20), ("当事人", 30), ("纠纷简要情况", 40), ("调解员", 18), ("调解次数", 8),
    ("调解结果", 12), ("协议形式", 8), ("协议生效日期", 12), ("履行情况", 12),
    ("司法确认", 14), ("结案日期", 12),
]  # fmt: skip


def _day(value: datetime | None) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def register_rows(actor: Any, committee_id: int | None, date_from: date, date_to: date) -> QuerySet:
    """Mediations registered by the committee (every committee in scope when None) in the
    period, inside the actor's scope."""
    access = actor if isinstance(actor, Access) else access_for(actor)
    lo, hi = _bounds(date_from, date_to)
    qs = scoped_mediations(access)
    if committee_id is not None:
        qs = qs.filter(committee_id=committee_id)
    return (
        qs.filter(registered_at__gte=lo, registered_at__lt=hi)
        .select_related("case__category", "committee", "agreement__confirmation")
        .prefetch_related("case__parties", "mediators__user")
        .annotate(session_count=Count("sessions", distinct=True))
        .order_by("registered_at", "id")
    )


# The register's columns as API field names, in the order of COLUMNS.
KEYS = [
    "seq", "number", "registered_on", "accepted_on", "category", "source", "parties",
    "summary", "mediators", "sessions", "result", "agreement_form", "agreement_effective_on",
    "performance", "judicial_confirmation", "ended_on",
]  # fmt: skip


def register_dicts(rows: QuerySet) -> list[dict[str, Any]]:
    """The register's lines as dicts (API), with the mediation's id, state and overdue flag."""
    out = []
    for i, m in enumerate(rows, start=1):
        line: dict[str, Any] = dict(zip(KEYS, _row(i, m), strict=True))
        line |= {"id": m.pk, "state": m.state, "is_overdue": m.is_overdue}
        out.append(line)
    return out


def _row(i: int, m: Mediation) -> list[Any]:
    source = documents.MODES.get(m.start_mode, "")
    if m.referral_source:
        source += "：" + documents.SOURCES[m.referral_source]
    a: Agreement | None = getattr(m, "agreement", None)
    performance = confirmation = ""
    if a is not None:
        items = list(a.items.all())
        done = sum(1 for x in items if x.done_at)
        performance = f"已履行 {done}/{len(items)}" if items else ""
        jc = getattr(a, "confirmation", None)
        if jc is not None:
            confirmation = f"{jc.court} {jc.get_result_display()}"
    return [
        i,
        m.number,
        _day(m.registered_at),
        _day(m.accepted_at),
        m.case.category.name,
        source,
        "、".join(f"{documents.ROLES.get(p.role, '')}{p.name}" for p in m.case.parties.all()),
        m.summary,
        "、".join(x.name for x in m.mediators.all()),
        m.session_count,
        documents.RESULT.get(m.state, m.state),
        a.get_form_display() if a else "",
        _day(a.effective_at) if a else "",
        performance,
        confirmation,
        _day(m.ended_at),
    ]


def ledger_xlsx(actor: Any, committee_id: int, date_from: date, date_to: date) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#EEEEEE", "text_wrap": True})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("人民调解登记台账")
    for c, (_name, width) in enumerate(COLUMNS):
        ws.set_column(c, c, width)
    rows = register_rows(actor, committee_id, date_from, date_to)
    committee_name = rows[0].committee.name if rows else ""
    ws.write_string(0, 0, f"人民调解登记台账　{committee_name}　{date_from} 至 {date_to}", title)
    for c, (name, _w) in enumerate(COLUMNS):
        ws.write_string(1, c, name, head)
    r = 2
    for i, m in enumerate(rows, start=1):
        for c, value in enumerate(_row(i, m)):
            if isinstance(value, int):
                ws.write_number(r, c, value, cell)
            else:
                ws.write_string(r, c, str(value), cell)
        r += 1
    stats = wb.add_worksheet("统计")
    stats.set_column(0, 0, 24)
    stats.set_column(1, 4, 10)
    stats.set_column(5, 5, 80)
    figures = mediation_figures(actor, date_from, date_to, committee_ids=[committee_id])
    for c, name in enumerate(
        ["项目", "受理数", "调解成功数", "调解不成数", "调解成功率(%)", "计算公式"]
    ):
        stats.write_string(0, c, name, head)
    line = 1
    for group, rows_ in [("合计", [figures.total]), ("纠纷类型", figures.by_type),
                         ("调解员", figures.by_mediator)]:  # fmt: skip
        for row in rows_:
            rate = row.rate
            label = row.label if group == "合计" else f"{group}：{row.label}"
            stats.write_string(line, 0, label, cell)
            stats.write_number(line, 1, row.accepted, cell)
            stats.write_number(line, 2, row.successful, cell)
            stats.write_number(line, 3, row.failed, cell)
            if rate.value is None:
                stats.write_string(line, 4, "", cell)
            else:
                stats.write_number(line, 4, float(rate.value), cell)
            stats.write_string(line, 5, rate.text, cell)
            line += 1
    wb.close()
    return out.getvalue()
