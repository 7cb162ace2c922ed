"""The dashboard page GET /monitor/ of a district leader (issue 15: the page's p95 within 4× the
values API's): a fixed number of statements, the same figures as the recount from the case
tables, and the regions it takes from the reference-data snapshot follow every edit."""

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.db import connection
from django.utils import timezone

from fengqiao.accounts.access import Scope
from fengqiao.accounts.roles import Role
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.analytics.filters import parse_filters
from fengqiao.analytics.indicators import Filters
from fengqiao.analytics.recount import recount
from fengqiao.analytics.views import PLACE_CODES
from fengqiao.cases.models import Case, CaseState, Category, Channel
from fengqiao.org.models import EmploymentType, GridWorker
from fengqiao.territory.models import Region
from tests.factories import assign, make_user, region

# Session, user, the access key (which also reads the reference-data generation), the region
# asked for; the trend, the streets, the categories and the 17 figures from the rollups; the
# grid workers and mediators in one statement. The values API makes 5 of the same kind.
DASHBOARD_STATEMENTS = {"postgresql": 9, "sqlite": 9}
PERIOD = "2023-01-01..2023-12-31"


@pytest.fixture
def district(world, personas):
    """Disputes in both streets, two grid workers (one more inactive), two mediators (one of
    them holding the role in two communities)."""
    category = Category.objects.get(code="neighbourhood")
    channel = Channel.objects.get(code="screening")
    start = timezone.make_aware(datetime(2023, 3, 1, 9, 0))
    rows = []
    for n, grid in enumerate(sorted(world.grids.values(), key=lambda g: g.code) * 2):
        created = start + timedelta(days=5 * n)
        done = n % 3 != 0
        rows.append(
            Case(
                tracking_number=f"DQ-{n:03d}", kind="dispute", category=category,
                title=f"纠纷{n}", channel=channel, grid=grid, community=grid.community,
                street=grid.community.parent, district=world.district,
                region_path=grid.community.path, created_at=created, accepted_at=created,
                state=CaseState.CLOSED if done else CaseState.IN_PROGRESS,
                resolved_at=created + timedelta(days=2) if done else None,
                closed_at=created + timedelta(days=3) if done else None,
                outcome_success=True if done else None, outcome="调解成功" if done else "",
            )
        )  # fmt: skip
    Case.objects.bulk_create(rows)
    rebuild_all_facts()
    hepan_grid = world.grids["230903012001001"]
    for username, active in (("gw_hepan", True), ("gw_gone", False)):
        worker = GridWorker.objects.create(
            user=make_user(username), employment_type=EmploymentType.FULL_TIME, active=active
        )
        worker.grids.set([hepan_grid])
    m1, m2 = make_user("mediator_1"), make_user("mediator_2")
    assign(m1, Role.MEDIATOR, region=world.huayuan)
    assign(m1, Role.MEDIATOR, region=world.songshan)
    assign(m2, Role.MEDIATOR, region=world.hepan)
    return world, personas


def _figures(page: str) -> dict[str, str]:
    """Indicator code → the figure shown on the page."""
    found = re.findall(
        r'data-indicator="(\w+)">\s*<span class="label">.*?</span>\s*'
        r'<(?:a|span) class="num"[^>]*>([^<]*)</',
        page,
        re.S,
    )
    return {code: unescape(shown) for code, shown in found}


def _places(page: str) -> dict[str, list[str]]:
    """Place name → its row of the territory table."""
    rows = re.findall(
        r"<tr><td><a [^>]*>([^<]+)</a></td>((?:<td><a [^>]*>[^<]*</a></td>)+)</tr>", page
    )
    return {
        unescape(name): [unescape(v) for v in re.findall(r"<a [^>]*>([^<]*)</a>", cells)]
        for name, cells in rows
    }


def _options(page: str) -> list[str]:
    form = re.search(r'<select name="region">(.*?)</select>', page, re.S)
    assert form is not None
    return [unescape(name) for name in re.findall(r"<option [^>]*>([^<]*)</option>", form[1])]


def test_the_page_makes_a_fixed_number_of_statements(
    district, client_for, django_assert_num_queries
):
    _world, personas = district
    c = client_for(personas.leader)
    first = c.get("/monitor/", {"period": PERIOD})  # this process's snapshots are loaded here
    assert first.status_code == 200
    with django_assert_num_queries(DASHBOARD_STATEMENTS[connection.vendor]):
        again = c.get("/monitor/", {"period": PERIOD})
    assert again.status_code == 200
    page, before = again.content.decode(), first.content.decode()
    # The snapshot gives what the queries gave.
    assert _figures(page) == _figures(before) and len(_figures(page)) == len(ind.DASHBOARD)
    assert _places(page) == _places(before) and _options(page) == _options(before)


def test_the_page_shows_the_figures_of_the_recount(district, client_for):
    world, personas = district
    page = client_for(personas.leader).get("/monitor/", {"period": PERIOD}).content.decode()
    # No region asked for: the leader's district, the widest region of their scope.
    assert f"{world.district.name} · " in page
    filters = parse_filters(personas.leader, {"region": str(world.district.pk), "period": PERIOD})
    expected = {
        code: v.display(ind.INDICATORS[code].style)
        for code, v in recount(ind.DASHBOARD, filters).items()
    }
    assert _figures(page) == expected
    assert expected["screened"] == "16" and expected["resolved"] == "10"
    # Two active grid workers; two mediators, the one with two roles counted once.
    assert (expected["grid_workers"], expected["mediators"]) == ("2", "2")
    assert (expected["grids"], expected["stations"]) == ("8", "2")
    # The streets below the district, each with its own recount.
    places = _places(page)
    assert set(places) == {world.taoxi.name, world.taonan.name}
    for street in (world.taoxi, world.taonan):
        values = recount(PLACE_CODES, filters.with_place(region=street))
        assert places[street.name] == [
            values[c].display(ind.INDICATORS[c].style) for c in PLACE_CODES
        ]
    # The filter form: the district and everything below it, in tree order.
    subtree = Region.objects.filter(path__startswith=world.district.path).order_by("path")
    assert _options(page) == [r.name for r in subtree]


def test_the_regions_from_the_snapshot_follow_an_edit(district, client_for, settings):
    world, personas = district
    settings.REFDATA_CHECK_SECONDS = 3600  # the access key's generation says it at once
    c = client_for(personas.leader)
    assert world.taoxi.name in _places(c.get("/monitor/", {"period": PERIOD}).content.decode())
    world.taoxi.name = "桃西新街道"
    world.taoxi.save()
    region("230903014000", "桃东街道", Region.Level.STREET, Region.Kind.SUBDISTRICT, world.district)
    page = c.get("/monitor/", {"period": PERIOD}).content.decode()
    assert set(_places(page)) == {"桃西新街道", world.taonan.name, "桃东街道"}
    assert "桃西新街道" in _options(page) and "桃东街道" in _options(page)


def test_the_people_counts_stay_inside_a_narrow_scope(district):
    """The grid workers and mediators of one statement: inside the user's scope, and a scope
    that holds nothing counts nobody (its parts drop out of the statement)."""
    _world, personas = district
    clerk = personas.station_clerk  # 松山社区 only: no grid worker there, one mediator
    filters = parse_filters(clerk, {"period": PERIOD})
    assert ind.people_counts(["grid_workers", "mediators"], filters) == {
        "grid_workers": 0,
        "mediators": 1,
    }
    nothing = Filters(Scope(), filters.period)
    assert ind.people_counts(["grid_workers", "mediators"], nothing) == {
        "grid_workers": 0,
        "mediators": 0,
    }
    assert ind.people_counts([], filters) == {}


def test_the_filter_form_escapes_region_names_and_marks_the_chosen_one(district, client_for):
    """The options are made in the view (one pass, not a template loop): names are escaped and
    the region shown is the selected option."""
    world, personas = district
    world.taonan.name = '桃南<b>&"街道'
    world.taonan.save()
    page = client_for(personas.leader).get(
        "/monitor/", {"period": PERIOD, "region": str(world.taoxi.pk)}
    )
    html = page.content.decode()
    assert "桃南<b>" not in html
    assert f'<option value="{world.taonan.pk}">桃南&lt;b&gt;&amp;&quot;街道</option>' in html
    assert f'<option value="{world.taoxi.pk}" selected>{world.taoxi.name}</option>' in html
    form = re.search(r'<select name="region">(.*?)</select>', html, re.S)
    assert form is not None and form[1].count(" selected>") == 1
