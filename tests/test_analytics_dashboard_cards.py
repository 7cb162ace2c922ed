"""The dashboard shell and its live cards: the page answers with the figures and loads the open
warnings, the lists of open cases and the panels from /monitor/cards/ for the same filters,
inside the same scope; org counts from the reference-data snapshot follow every edit."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fengqiao.analytics import indicators as ind
from fengqiao.analytics.filters import parse_filters
from fengqiao.cases.models import Case, CaseState, Category, Channel
from fengqiao.territory.models import Grid


@pytest.fixture
def overdue(world, personas):
    category = Category.objects.get(code="neighbourhood")
    channel = Channel.objects.get(code="screening")
    created = timezone.make_aware(datetime(2023, 1, 5, 10, 0))
    out = {}
    for name, community in (("huayuan", world.huayuan), ("songshan", world.songshan)):
        grid = Grid.objects.filter(community=community).order_by("code").first()
        out[name] = Case.objects.create(
            tracking_number=f"OD-{name}", kind="dispute", category=category,
            title=f"逾期未办{name}", channel=channel, grid=grid, community=community,
            street=community.parent, district=world.district, region_path=community.path,
            created_at=created, state=CaseState.IN_PROGRESS, is_overdue=True,
            handle_due=created + timedelta(days=3),
        )  # fmt: skip
    return out


def test_page_is_a_shell_and_the_cards_come_with_the_same_filters(
    world, personas, client_for, overdue
):
    c = client_for(personas.leader)
    params = {"region": world.district.pk, "period": "2023-01"}
    page = c.get("/monitor/", params).content.decode()
    assert 'id="dashboard-cards"' in page and "/monitor/cards/?" in page
    assert f"region={world.district.pk}" in page and "逾期未办" not in page
    cards = c.get("/monitor/cards/", params)
    assert cards.status_code == 200
    html = cards.content.decode()
    assert "逾期未办huayuan" in html and "逾期未办songshan" in html
    assert "<html" not in html  # a fragment


def test_cards_stay_in_the_users_scope(world, personas, client_for, overdue):
    c = client_for(personas.station_clerk)  # 松山社区 only
    html = c.get("/monitor/cards/", {"period": "2023-01"}).content.decode()
    assert "逾期未办songshan" in html and "逾期未办huayuan" not in html
    # Asking for the whole district falls back to their own area, never more.
    html = c.get("/monitor/cards/", {"region": world.district.pk}).content.decode()
    assert "逾期未办huayuan" not in html


@pytest.mark.parametrize("persona", ["outsider", "grid_worker"])
def test_cards_refused_without_statistics(personas, client_for, persona, overdue):
    r = client_for(getattr(personas, persona)).get("/monitor/cards/")
    assert r.status_code == 403
    assert "逾期未办" not in r.content.decode()


def test_snapshot_org_counts_follow_every_edit(world, personas):
    filters = parse_filters(personas.leader, {"region": str(world.district.pk)})
    before = ind.evaluate(["grids", "stations"], filters)
    grids = Grid.objects.filter(active=True, community__path__startswith=world.district.path)
    assert before["grids"].current.value == grids.count() > 0
    grid = grids.order_by("code").first()
    grid.active = False
    grid.save()  # a watched model: the snapshot is dropped in this process at once
    after = ind.evaluate(["grids"], filters)
    assert after["grids"].current.value == before["grids"].current.value - 1
    station = world.songshan_station
    station.active = False
    station.save()
    assert (
        ind.evaluate(["stations"], filters)["stations"].current.value
        == before["stations"].current.value - 1
    )
