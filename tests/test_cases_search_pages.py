"""Newest-first search pages (queries._search_newest_first) give exactly the pages the plain
full-text filter gives: common words, rare words, no match, filters, every page by cursor."""

import pytest

from fengqiao.accounts.roles import Role
from fengqiao.cases import queries
from fengqiao.cases.models import Case
from fengqiao.cases.queries import CaseFilters
from fengqiao.search.index import matching_among
from tests.case_factories import (
    HEPAN_POINT,
    HUAYUAN_POINT,
    SONGSHAN_POINT,
    make_case_world,
    report,
)
from tests.factories import assign, make_user

TEXTS = [
    ("楼道燃气泄漏", "居民闻到楼道燃气泄漏的气味"),  # common: every third case
    ("夜间施工噪音", "工地夜里施工噪音扰民"),
    ("路灯损坏", "小区路灯坏了"),
]


@pytest.fixture
def cases(world, settings):
    cw = make_case_world(world)
    made = []
    for i in range(45):
        title, text = TEXTS[i % 3]
        if i in (7, 31):
            text += "，有高空抛物"  # rare: two cases
        point = HUAYUAN_POINT if i % 2 else SONGSHAN_POINT
        made.append(report(None, title=title, description=text, lon=point[0], lat=point[1]).case)
    return cw, made


def _pages(user, filters, limit, walk):
    """Every page's ids, following the cursors, with the newest-first walk on or off."""
    out, cursor = [], None
    while True:
        if walk:
            start = queries.decode_cursor(cursor) if cursor else None
            page = queries._search_newest_first(user, filters, start, limit)
            if page is None:
                return None
        else:
            qs = queries.filtered_cases(user, filters).order_by("-created_at", "-id")
            if cursor:
                qs = queries._before(qs, *queries.decode_cursor(cursor))
            rows = list(qs[: limit + 1])
            page = queries.Page(
                rows[:limit], queries.encode_cursor(rows[limit - 1]) if len(rows) > limit else None
            )
        out.append([c.pk for c in page.items])
        if not page.next_cursor:
            return out
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("q", "extra"),
    [("燃气泄漏", {}), ("噪音", {}), ("燃气", {"state": "registered"}), ("高空抛物", {})],
)
def test_the_walk_gives_the_plain_pages(cases, monkeypatch, q, extra):
    cw, _made = cases
    monkeypatch.setattr(queries, "SEARCH_WALK_MAX", 80)
    monkeypatch.setattr("fengqiao.search.index.least_term_share", lambda q: 0.9)
    filters = CaseFilters(q=q, **extra)
    for user in (cw.district_clerk, cw.huayuan_clerk):
        plain = _pages(user, filters, 5, walk=False)
        walked = _pages(user, filters, 5, walk=True)
        assert walked == plain, (q, user.username)
        assert sum(len(p) for p in plain) > 0


def test_a_rare_word_goes_to_the_index(cases, monkeypatch):
    cw, _made = cases
    filters = CaseFilters(q="高空抛物")
    # Words the statistics do not know as common go to the index at once …
    monkeypatch.setattr("fengqiao.search.index.least_term_share", lambda q: 0.0)
    assert queries._search_newest_first(cw.district_clerk, filters, None, 5) is None
    # … and so do words too rare to fill the page within the walk.
    monkeypatch.setattr("fengqiao.search.index.least_term_share", lambda q: 0.9)
    monkeypatch.setattr(queries, "SEARCH_WALK_MAX", 25)
    assert queries._search_newest_first(cw.district_clerk, filters, None, 5) is None
    # case_page then answers from the index, with the same result.
    page = queries.case_page(cw.district_clerk, filters, limit=5)
    assert len(page.items) == 2 and page.next_cursor is None


def test_the_statistics_know_common_words(cases):
    from django.db import connection

    from fengqiao.search.index import least_term_share

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_document")
        import fengqiao.search.index as index

        index._TERM_SHARES = (0.0, {})
        assert least_term_share("燃气泄漏") > 0.2  # a third of the 45 documents
        assert least_term_share("燃气泄漏 高空抛物") < 0.2
    else:
        assert least_term_share("燃气泄漏") == 0.0  # SQLite: no statistics, no walk


def test_matching_among_checks_only_the_given_ids(cases):
    _cw, made = cases
    ids = [c.pk for c in made[:9]]
    assert matching_among("case", "燃气泄漏", ids) == {made[i].pk for i in (0, 3, 6)}
    assert matching_among("case", "火箭发射", ids) == set()
    assert matching_among("case", "", ids) == set()


@pytest.fixture
def overdue_cases(world, settings):
    """Cases in two streets, two in three overdue: a street's scope is a path prefix, and its
    overdue cases are a few among the district's (the street clerk's 宅基地 + overdue search)."""
    cw = make_case_world(world)
    street_clerk = make_user("clerk_taoxi", "中心丙", unit=world.taoxi_center)
    assign(street_clerk, Role.CENTER_STAFF, region=world.taoxi)
    made = []
    for i in range(48):
        title, text = ("宅基地界址争议", "两户村民因宅基地界址发生争执") if i % 4 else TEXTS[i % 3]
        point = (HUAYUAN_POINT, SONGSHAN_POINT, HEPAN_POINT)[i % 3]
        made.append(report(None, title=title, description=text, lon=point[0], lat=point[1]).case)
    Case.objects.filter(pk__in=[c.pk for i, c in enumerate(made) if i % 3 != 1]).update(
        is_overdue=True
    )
    return cw, street_clerk, made


@pytest.mark.parametrize("q", ["宅基地", "燃气泄漏", "噪音"])
def test_the_walk_gives_the_plain_pages_among_overdue_cases(overdue_cases, monkeypatch, q):
    cw, street_clerk, made = overdue_cases
    monkeypatch.setattr(queries, "SEARCH_WALK_MAX", 60)
    monkeypatch.setattr("fengqiao.search.index.least_term_share", lambda q: 0.5)
    filters = CaseFilters(q=q, overdue=True)
    for user in (street_clerk, cw.district_clerk, cw.huayuan_clerk):
        plain = _pages(user, filters, 4, walk=False)
        assert _pages(user, filters, 4, walk=True) == plain, (q, user.username)
        assert _case_pages(user, filters, 4) == plain, (q, user.username)
    if q == "宅基地":
        # The street's overdue matches (花园: i % 3 == 0; 松山's are not overdue), and none of
        # the other street's (河畔, i % 3 == 2, overdue too).
        found = {pk for page in _pages(street_clerk, filters, 4, walk=True) for pk in page}
        assert found == {c.pk for i, c in enumerate(made) if i % 4 and i % 3 == 0}


def _case_pages(user, filters, limit):
    """Every page case_page gives (the walk or the index, whichever it takes)."""
    out, cursor = [], None
    while True:
        page = queries.case_page(user, filters, cursor=cursor, limit=limit)
        out.append([c.pk for c in page.items])
        if not page.next_cursor:
            return out
        cursor = page.next_cursor
