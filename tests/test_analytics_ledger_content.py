"""The ledgers' content after the lean rewrite (values_list rows, label maps, streaming XLSX):
every line equals what the model objects give field by field (the former per-object code), and
the file reads back cell for cell like the same lines written with xlsxwriter."""

from datetime import datetime, timedelta

import pytest
import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from fengqiao.analytics import ledgers
from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.analytics.filters import parse_filters
from fengqiao.analytics.xlsx_stream import SheetWriter, column_letters, escape_text
from fengqiao.cases.models import (
    Case,
    CaseState,
    Category,
    Channel,
    FollowUpVisit,
    RiskLevel,
    Satisfaction,
    SupervisionCard,
    SupervisionLevel,
)

PERIOD = "2023-01"
TRICKY = [
    "plain",
    "a & b <c> \"d\" 'e'",
    " leading and trailing ",
    "line\nbreak\ttab",
    "bell\x07 and unit separator\x1f",
    "literal _x0041_ escape",
    "长" * 40000,
]


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def expected_lines(ledger: str, qs) -> list[list]:
    """The lines as the former code made them: one object with its related objects per row."""
    out = []
    if ledger == "screening":
        qs = qs.select_related(
            "category", "channel", "street", "community", "grid", "handling_unit"
        )
        for i, c in enumerate(qs, 1):
            out.append([i, c.tracking_number, local(c.created_at), c.category.name, c.channel.name,
                        c.street.name if c.street else "", c.community.name if c.community else "",
                        c.grid.name if c.grid else "", c.title, c.people_involved,
                        c.get_risk_level_display(), c.handling_unit.name if c.handling_unit else "",
                        c.get_state_display(), local(c.resolved_at or c.closed_at), c.outcome])  # fmt: skip
    elif ledger == "visits":
        for i, v in enumerate(qs.select_related("case__category", "case__community"), 1):
            out.append([i, v.case.tracking_number, local(v.visited_at), v.get_method_display(),
                        v.get_satisfaction_display(), _("yes") if v.reopened else _("no"),
                        v.case.category.name, v.case.community.name if v.case.community else "",
                        v.case.title, v.note])  # fmt: skip
    else:
        qs = qs.select_related("case__category", "case__community", "to_unit")
        for i, s in enumerate(qs, 1):
            out.append([i, s.case.tracking_number, s.get_level_display(), local(s.raised_at),
                        s.reason, s.to_unit.name if s.to_unit else "", local(s.resolved_at),
                        s.case.category.name, s.case.community.name if s.case.community else "",
                        s.case.title, s.case.get_state_display()])  # fmt: skip
    return out


@pytest.fixture
def mixed(world, personas):
    """Disputes in every shape a ledger line has: with and without street, community, grid and
    handling unit, every risk level and several states, awkward text; visits and cards."""
    category = Category.objects.get(code="neighbourhood")
    channels = list(Channel.objects.order_by("code")[:3])
    grids = sorted(world.grids.values(), key=lambda g: g.code)
    start = timezone.make_aware(datetime(2023, 1, 3, 23, 30))
    states = [CaseState.CLOSED, CaseState.IN_PROGRESS, CaseState.RESOLVED, CaseState.REGISTERED]
    risks = list(RiskLevel)
    rows = []
    for n in range(24):
        grid = grids[n % len(grids)] if n % 5 else None
        community = grid.community if grid else (world.songshan if n % 10 == 0 else None)
        state = states[n % len(states)]
        done = state in (CaseState.CLOSED, CaseState.RESOLVED)
        created = start + timedelta(hours=7 * n, minutes=n)
        rows.append(
            Case(
                tracking_number=f"M-{n:03d}", kind="dispute", category=category,
                title=TRICKY[n % len(TRICKY)][:200], channel=channels[n % len(channels)],
                grid=grid, community=community, street=community.parent if community else None,
                district=world.district,
                region_path=community.path if community else world.district.path,
                created_at=created, accepted_at=created, state=state,
                risk_level=risks[n % len(risks)], people_involved=n + 1,
                handling_unit=world.taoxi_center if n % 3 == 0 else None,
                resolved_at=created + timedelta(days=2) if state == CaseState.RESOLVED else None,
                closed_at=created + timedelta(days=3) if state == CaseState.CLOSED else None,
                outcome_success=True if done else None,
                outcome=TRICKY[(n + 3) % len(TRICKY)] if done else "",
            )
        )  # fmt: skip
    cases = Case.objects.bulk_create(rows)
    for n, case in enumerate(cases[:8]):
        FollowUpVisit.objects.create(
            case=case, method=list(FollowUpVisit.Method)[n % 3], visited_at=case.created_at,
            satisfaction=list(Satisfaction)[n % len(Satisfaction)], note=TRICKY[n % len(TRICKY)],
            reopened=n % 2 == 0,
        )  # fmt: skip
        SupervisionCard.objects.create(
            case=case, level=SupervisionLevel.RED if n % 2 else SupervisionLevel.YELLOW,
            raised_at=case.created_at + timedelta(hours=1), reason=TRICKY[n % len(TRICKY)],
            to_unit=world.taoxi_center if n % 2 else None,
            resolved_at=case.created_at + timedelta(days=1) if n % 3 == 0 else None,
        )  # fmt: skip
    rebuild_all_facts()
    return cases


def read_back(path: str) -> list[list]:
    """The cells of the first sheet, an empty cell as ''."""
    book = load_workbook(path, read_only=True)
    lines = [
        ["" if v is None else v for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    book.close()
    width = max(len(line) for line in lines)
    return [line + [""] * (width - len(line)) for line in lines]


def write_with_xlsxwriter(path: str, lines: list[list], bold_rows: set[int]) -> None:
    """The same lines through xlsxwriter, as the former write_xlsx wrote them."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("x")
    bold = book.add_format({"bold": True})
    for r, line in enumerate(lines):
        for col, value in enumerate(line):
            fmt = bold if r in bold_rows else None
            if isinstance(value, int):
                sheet.write_number(r, col, value, fmt)
            else:
                sheet.write_string(r, col, str(value or ""), fmt)
    book.close()


@pytest.mark.parametrize("ledger", ["screening", "visits", "supervision"])
def test_lines_equal_the_per_object_lines(world, personas, mixed, ledger, tmp_path):
    filters = parse_filters(personas.leader, {"region": str(world.district.pk), "period": PERIOD})
    qs = ledgers.queryset(ledger, personas.leader, filters)
    expected = expected_lines(ledger, qs)
    assert len(expected) == (24 if ledger == "screening" else 8)
    assert list(ledgers.rows(ledger, qs)) == expected
    # A page of them, numbered from the offset.
    assert list(ledgers.rows(ledger, qs, offset=5, limit=3)) == expected[5:8]
    # The file: the header lines, the columns, then the same lines, as xlsxwriter wrote them.
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    n = ledgers.write_xlsx(str(ours), ledger, personas.leader, filters)
    assert n == len(expected)
    head = ledgers.header_lines(ledger, filters)
    lines = [[line] for line in head] + [[str(c) for c in ledgers.columns(ledger)]] + expected
    write_with_xlsxwriter(str(theirs), lines, {0, len(head)})
    assert read_back(str(ours)) == read_back(str(theirs))
    book = load_workbook(str(ours))
    sheet = book.worksheets[0]
    assert sheet.title == str(ledgers.LEDGERS[ledger])[:31]
    assert sheet.cell(1, 1).font.b and sheet.cell(len(head) + 1, 2).font.b
    assert not sheet.cell(len(head) + 2, 2).font.b


def test_awkward_text_reads_back_as_written(tmp_path):
    path = tmp_path / "t.xlsx"
    lines = [[i, text, "", None, -7, 0] for i, text in enumerate(TRICKY, 1)]
    with SheetWriter(str(path), "表甲" * 20) as sheet:
        sheet.write_rows(lines)
    assert sheet.rows_written == len(TRICKY)
    theirs = tmp_path / "x.xlsx"
    write_with_xlsxwriter(str(theirs), lines, set())
    assert read_back(str(path)) == read_back(str(theirs))
    assert read_back(str(path))[0] == [1, "plain", "", "", -7, 0]
    assert len(read_back(str(path))[6][1]) == 32767  # Excel's limit, as xlsxwriter truncates


def test_escape_and_columns():
    assert escape_text("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert escape_text("x\x01y") == "x_x0001_y"
    assert escape_text("_x0041_") == "_x005F_x0041_"
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]


def test_a_failed_export_leaves_no_half_file_open(tmp_path):
    path = tmp_path / "f.xlsx"
    with pytest.raises(RuntimeError), SheetWriter(str(path), "x") as sheet:
        sheet.write_row([1, "a"])
        raise RuntimeError("database went away")
    assert path.exists()  # closed (not a valid workbook; the job is marked failed)
