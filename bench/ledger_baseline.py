"""The screening ledger writer as it was at commit 88df35e, kept here (bench only, never imported
by the product) as the baseline that bench/dashboard_bench.py times beside the current
`fengqiao.analytics.ledgers.write_xlsx` on the same rows in the same run.

It reads the same queryset with the six related objects joined (select_related), builds one
Case object per row, formats with timezone.localtime and get_*_display per row, and writes cell
by cell through xlsxwriter in constant_memory mode — the code of 88df35e unchanged except that
it is reduced to the screening ledger.
"""

from datetime import datetime
from typing import Any

import xlsxwriter
from django.utils import timezone

from fengqiao.analytics.ledgers import LEDGERS, columns, header_lines, queryset

CHUNK = 2000


def _t(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def rows(qs):
    qs = qs.select_related("category", "channel", "street", "community", "grid", "handling_unit")
    for i, c in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        yield [i, c.tracking_number, _t(c.created_at), c.category.name, c.channel.name,
               c.street.name if c.street else "", c.community.name if c.community else "",
               c.grid.name if c.grid else "", c.title, c.people_involved,
               c.get_risk_level_display(), c.handling_unit.name if c.handling_unit else "",
               c.get_state_display(), _t(c.resolved_at or c.closed_at), c.outcome]  # fmt: skip


def write_xlsx(path: str, user: Any, filters) -> int:
    ledger = "screening"
    qs = queryset(ledger, user, filters)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet(str(LEDGERS[ledger])[:31])
    bold = book.add_format({"bold": True})
    r = 0
    for line in header_lines(ledger, filters):
        sheet.write_string(r, 0, line, bold if r == 0 else None)
        r += 1
    for col, name in enumerate(columns(ledger)):
        sheet.write_string(r, col, name, bold)
    r += 1
    done = 0
    for row in rows(qs):
        for col, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value or ""))
        r += 1
        done += 1
    book.close()
    return done
