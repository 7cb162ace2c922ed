"""The breakdown by category (issue 15): the first level where a family's figures split, the
district's family first, names that collide labelled, rows that add up and drill to their own
cases; the same rows in the narrative report and (the smallest grouped) in the pie."""

import itertools
import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators, narrative
from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.analytics.indicators import Filters, evaluate
from fengqiao.analytics.periods import month
from fengqiao.analytics.recount import recount
from fengqiao.analytics.views import pie_slices
from fengqiao.cases.models import Case, CaseState, Category, Channel

DECEMBER = month(date(2025, 12, 1))
NOVEMBER = month(date(2025, 11, 1))
CODES = ("screened", "resolved", "resolution_rate")
NUMBERS = itertools.count(1)


@pytest.fixture(autouse=True)
def zh():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def family(settings):
    settings.CATEGORY_FAMILY = "governance"
    return settings


def file_cases(world, counts: dict[str, int], when: date = DECEMBER.start) -> None:
    """`counts` cases per category code, registered from `when` on (kind from the category;
    every other one resolved)."""
    grids = list(world.grids.values())
    channel = Channel.objects.get(code="screening")
    start = timezone.make_aware(datetime(when.year, when.month, when.day, 9, 0))
    rows = []
    for code, n in counts.items():
        category = Category.objects.get(code=code)
        for i in range(n):
            grid = grids[i % len(grids)]
            created = start + timedelta(hours=i)
            done = i % 2 == 0
            rows.append(
                Case(
                    tracking_number=f"CAT-{next(NUMBERS):06d}",
                    kind=category.kind,
                    category=category,
                    title=f"{category.name}{i}",
                    channel=channel,
                    grid=grid,
                    community=grid.community,
                    street=grid.community.parent,
                    district=world.district,
                    region_path=grid.community.path,
                    created_at=created,
                    accepted_at=created,
                    state=CaseState.CLOSED if done else CaseState.IN_PROGRESS,
                    resolved_at=created + timedelta(days=1) if done else None,
                    closed_at=created + timedelta(days=2) if done else None,
                    outcome_success=True if done else None,
                )
            )
    Case.objects.bulk_create(rows)
    rebuild_all_facts()


def leader_filters(personas, period=DECEMBER, **narrowing) -> Filters:
    scope = access_for(personas.leader).scope(Perm.STATS_VIEW)
    return Filters(scope, period, **narrowing)


def labels(rows) -> list[tuple[str, int]]:
    return [(r.label, r.values["screened"].value) for r in rows]


def assert_rows_add_up_and_drill(rows, f: Filters) -> None:
    """Each row is its category's subtree (what the drill-down lists) and the rows together are
    the whole figure: no case lost, none counted twice."""
    for row in rows:
        want = recount(list(CODES), f.with_category(row.category))
        for code, got in row.values.items():
            assert (got.value, got.numerator, got.denominator) == (
                want[code].value,
                want[code].numerator,
                want[code].denominator,
            ), (row.label, code)
    total = evaluate(["screened", "resolved"], f, compare=False)
    for code in ("screened", "resolved"):
        assert sum(r.values[code].value for r in rows) == total[code].current.value


def test_each_family_descends_to_where_its_figures_split(world, personas, family):
    file_cases(
        world,
        {
            "neighbourhood": 5,
            "labour": 3,
            "justice_other": 1,
            "construction_disturbance": 4,
            "labour_wages": 2,
            "governance_other": 1,
        },
    )
    f = leader_filters(personas)
    rows = indicators.breakdown_by_category(CODES, f)
    # The district's family (governance) first, in its order; then the other family's, whose
    # "其他" says which classification it is, the district's own "其他" stays plain.
    assert labels(rows) == [
        ("劳资", 2),
        ("施工扰民", 4),
        ("其他", 1),
        ("邻里", 5),
        ("劳动争议", 3),
        ("其他（司法行政分类）", 1),
    ]
    assert all(r.category.parent_id is not None for r in rows)
    assert_rows_add_up_and_drill(rows, f)


def test_the_other_family_is_labelled_only_where_a_name_collides(world, personas, settings):
    settings.CATEGORY_FAMILY = "justice"
    file_cases(world, {"neighbourhood": 2, "justice_other": 1, "governance_other": 3})
    rows = indicators.breakdown_by_category(CODES, leader_filters(personas))
    assert labels(rows) == [
        ("邻里", 2),
        ("其他", 1),
        # The governance family holds data in one child only: it is that child's row.
        ("其他（综治台账分类）", 3),
    ]
    # Without a collision no label: the governance row is plain.
    Case.objects.filter(category__code="justice_other").delete()
    rebuild_all_facts()
    rows = indicators.breakdown_by_category(CODES, leader_filters(personas))
    assert labels(rows) == [("邻里", 2), ("其他", 3)]


def test_a_level_split_at_the_top_is_kept(world, personas, family):
    """Disputes and complaints: the governance family's figures split among its roots."""
    file_cases(world, {"construction_disturbance": 2, "complaint": 3, "neighbourhood": 1})
    f = leader_filters(personas)
    rows = indicators.breakdown_by_category(("registered",), f)
    assert [(r.label, r.values["registered"].value) for r in rows] == [
        ("矛盾纠纷(综治台账分类)", 2),
        ("投诉", 3),
        ("邻里", 1),
    ]
    # The disputes alone: the governance family's disputes sit in one root, then one child.
    assert labels(indicators.breakdown_by_category(CODES, f)) == [("施工扰民", 2), ("邻里", 1)]


def test_descends_repeatedly_through_single_branches(world, personas, family):
    neighbourhood = Category.objects.get(code="neighbourhood")
    for sort, (code, name) in enumerate([("noise", "噪音"), ("leak", "漏水")], start=1):
        Category.objects.create(
            code=code, name=name, family="justice", kind="dispute", parent=neighbourhood, sort=sort
        )
    file_cases(world, {"noise": 3, "leak": 2, "construction_disturbance": 1})
    f = leader_filters(personas)
    rows = indicators.breakdown_by_category(CODES, f)
    # 矛盾纠纷(司法行政分类) → 邻里 → its children: the first level that splits.
    assert labels(rows) == [("施工扰民", 1), ("噪音", 3), ("漏水", 2)]
    assert_rows_add_up_and_drill(rows, f)
    # One branch only all the way down: the leaf.
    Case.objects.filter(category__code="leak").delete()
    rebuild_all_facts()
    assert labels(indicators.breakdown_by_category(CODES, f)) == [("施工扰民", 1), ("噪音", 3)]


def test_a_category_holding_cases_itself_is_not_descended_from(world, personas, family):
    """A case filed on the root itself: the root stays one row, so no case is lost."""
    file_cases(world, {"dispute_justice": 2, "neighbourhood": 3, "labour": 1})
    f = leader_filters(personas)
    rows = indicators.breakdown_by_category(CODES, f)
    assert labels(rows) == [("矛盾纠纷(司法行政分类)", 6)]
    assert_rows_add_up_and_drill(rows, f)
    # One level down the same: 邻里 holds 3 cases itself and 2 in its child 噪音.
    neighbourhood = Category.objects.get(code="neighbourhood")
    Category.objects.create(
        code="noise", name="噪音", family="justice", kind="dispute", parent=neighbourhood, sort=1
    )
    Case.objects.exclude(category=neighbourhood).delete()
    file_cases(world, {"noise": 2}, when=DECEMBER.start + timedelta(days=9))
    root = Category.objects.get(code="dispute_justice")
    for g in (f, leader_filters(personas, category=root)):
        rows = indicators.breakdown_by_category(CODES, g)
        assert labels(rows) == [("邻里", 5)]
        assert_rows_add_up_and_drill(rows, g)


def test_with_a_category_chosen_its_children_then_the_same_descent(world, personas, family):
    neighbourhood = Category.objects.get(code="neighbourhood")
    for sort, (code, name) in enumerate([("noise", "噪音"), ("leak", "漏水")], start=1):
        Category.objects.create(
            code=code, name=name, family="justice", kind="dispute", parent=neighbourhood, sort=sort
        )
    file_cases(world, {"noise": 2, "leak": 1, "labour": 4, "construction_disturbance": 5})
    root = Category.objects.get(code="dispute_justice")
    f = leader_filters(personas, category=root)
    rows = indicators.breakdown_by_category(CODES, f)
    # The chosen root's children; only the justice family, and no label (no other family).
    assert labels(rows) == [("邻里", 3), ("劳动争议", 4)]
    assert_rows_add_up_and_drill(rows, f)
    # Its figures in one child with children: that child's children.
    Case.objects.filter(category__code="labour").delete()
    rebuild_all_facts()
    rows = indicators.breakdown_by_category(CODES, f)
    assert labels(rows) == [("噪音", 2), ("漏水", 1)]
    assert_rows_add_up_and_drill(rows, f)
    # A leaf chosen: no rows below it.
    leaf = Category.objects.get(code="noise")
    assert indicators.breakdown_by_category(CODES, leader_filters(personas, category=leaf)) == []


def test_given_nodes_are_counted_as_they_are(world, personas, family):
    """`nodes`: another period's rows, counted without choosing again (zero rows left out)."""
    file_cases(world, {"neighbourhood": 3, "labour": 1})
    file_cases(world, {"neighbourhood": 2}, when=NOVEMBER.start)
    now = indicators.breakdown_by_category(CODES, leader_filters(personas))
    assert labels(now) == [("邻里", 3), ("劳动争议", 1)]
    nov = leader_filters(personas, period=NOVEMBER)
    before = indicators.breakdown_by_category(CODES, nov, nodes=[r.category for r in now])
    assert labels(before) == [("邻里", 2)]
    root = Category.objects.get(code="dispute_justice")
    assert labels(indicators.breakdown_by_category(CODES, nov, nodes=[root])) == [
        ("矛盾纠纷(司法行政分类)", 2)
    ]


def test_narrative_ranks_the_kinds_of_dispute(world, personas, family):
    december = {"neighbourhood": 6, "labour": 3, "justice_other": 1, "governance_other": 1}
    file_cases(world, {**december, "construction_disturbance": 2})
    # November's own breakdown would stop at the justice root (a case filed on it): the report
    # still compares each of December's rows with the same category in November.
    november = {"neighbourhood": 2, "construction_disturbance": 2, "dispute_justice": 1}
    file_cases(world, november, when=NOVEMBER.start)
    story = narrative.compose(leader_filters(personas), "测试区")
    section = next(s for s in story.sections if s.heading.startswith("四"))
    assert [row[:2] + row[3:] for row in section.table[1:]] == [
        ["邻里", "6", "2"],
        ["劳动争议", "3", "0"],
        ["施工扰民", "2", "2"],
        ["其他", "1", "0"],
        ["其他（司法行政分类）", "1", "0"],
    ]
    shares = [row[2] for row in section.table[1:]]
    assert shares == ["46.2%", "23.1%", "15.4%", "7.7%", "7.7%"]
    text = "".join(section.paragraphs)
    assert "邻里6件（占46.2%）" in text and "矛盾纠纷(" not in text
    # 邻里 rose from 2 to 6: a point to watch.
    attention = "".join(story.sections[-1].paragraphs)
    assert "邻里由上期的2件增至6件" in attention, attention


def test_pie_keeps_the_largest_slices_and_groups_the_rest():
    rows = [{"name": f"c{i}", "value": v, "url": f"/u{i}"} for i, v in enumerate([5, 1, 9, 0, 3])]
    assert pie_slices(rows, most=5) == rows
    pie = pie_slices(rows, most=3)
    assert pie[:2] == [rows[0], rows[2]]  # the two largest, in their order
    assert pie[2] == {"name": "其余3类", "value": 4, "url": None}
    assert sum(s["value"] for s in pie) == sum(r["value"] for r in rows)


def test_screen_pie_shows_kinds_of_dispute_at_most_ten_slices(world, personas, family, client_for):
    justice = ["marriage_family", "neighbourhood", "housing_homestead", "contract", "labour",
               "medical", "road_traffic", "property_management", "justice_other"]  # fmt: skip
    governance = ["labour_wages", "construction_disturbance", "governance_other", "campus"]
    file_cases(world, {code: n + 1 for n, code in enumerate(justice + governance)})
    params = {"region": world.district.pk, "period": "2025-12-01..2025-12-31"}
    page = client_for(personas.leader).get("/monitor/", params).content.decode()
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "no chart data"
    pie = json.loads(found.group(1))["categories"]
    assert len(pie) == 10
    assert pie[-1]["name"] == "其余4类" and pie[-1]["url"] is None
    assert sum(s["value"] for s in pie) == sum(range(1, 14))
    names = [s["name"] for s in pie]
    assert "其他（司法行政分类）" in names and not any("矛盾纠纷(" in n for n in names)
    # A slice drills to its own category's cases.
    labour = Category.objects.get(code="labour")
    slice_ = next(s for s in pie if s["name"] == "劳动争议")
    assert f"category={labour.pk}" in slice_["url"] and slice_["value"] == 5
