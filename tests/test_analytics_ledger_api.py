"""GET /api/v1/analytics/ledgers/{ledger}/: the Excel ledgers' rows as JSON pages, in scope."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.api.tokens import issue_token
from fengqiao.cases.models import Case, CaseState, Category, Channel
from tests.schema_check import assert_matches_schema

URL = "/api/v1/analytics/ledgers/{ledger}/"
PERIOD = "2023-01"
N = 12


@pytest.fixture
def screened(world, personas, settings) -> list[Case]:
    category = Category.objects.get(code="neighbourhood")
    channel = Channel.objects.get(code="screening")
    grids = sorted(world.grids.values(), key=lambda g: g.code)
    start = timezone.make_aware(datetime(2023, 1, 5, 10, 0))
    rows = []
    for n in range(N):
        grid = grids[n % len(grids)]
        created = start + timedelta(hours=6 * n)
        done = n % 3 != 0
        rows.append(
            Case(
                tracking_number=f"L-{n:03d}", kind="dispute", category=category,
                title=f"矛盾纠纷{n}", channel=channel, grid=grid, community=grid.community,
                street=grid.community.parent, district=world.district,
                region_path=grid.community.path, created_at=created, accepted_at=created,
                state=CaseState.CLOSED if done else CaseState.IN_PROGRESS,
                resolved_at=created + timedelta(days=3) if done else None,
                closed_at=created + timedelta(days=4) if done else None,
                outcome_success=True if done else None, outcome="调解成功" if done else "",
            )
        )  # fmt: skip
    cases = Case.objects.bulk_create(rows)
    rebuild_all_facts()
    return cases


def get(client, ledger="screening", **params):
    return client.get(URL.format(ledger=ledger), {"period": PERIOD, **params})


def test_screening_ledger_pages(world, personas, client_for, screened):
    c = client_for(personas.leader)
    resp = get(c, region=world.district.pk)
    assert resp.status_code == 200, resp.content
    assert_matches_schema(resp, URL, "get")
    body = resp.json()
    assert body["count"] == N and body["columns"][0] == "序号"  # the user's language
    english = c.get(URL.format(ledger="screening"), {"period": PERIOD}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["columns"][:2] == ["No.", "Tracking number"]
    assert [r[1] for r in body["results"]] == [f"L-{n:03d}" for n in range(N)]
    assert [r[0] for r in body["results"]] == list(range(1, N + 1))
    assert len(body["columns"]) == len(body["results"][0])
    assert any("%" in line for line in body["header"])  # the figures with their formulas
    page = get(c, region=world.district.pk, limit=5, offset=5).json()
    assert [r[0] for r in page["results"]] == [6, 7, 8, 9, 10]
    assert [r[1] for r in page["results"]] == [f"L-{n:03d}" for n in range(5, 10)]
    assert page["next"] and page["previous"]


def test_station_clerk_sees_only_their_community(world, personas, client_for, screened):
    resp = get(client_for(personas.station_clerk))
    assert resp.status_code == 200
    mine = {c.tracking_number for c in screened if c.community_id == world.songshan.pk}
    assert mine and {r[1] for r in resp.json()["results"]} == mine


@pytest.mark.parametrize("ledger", ["visits", "supervision"])
def test_other_ledgers(personas, client_for, screened, ledger):
    resp = get(client_for(personas.leader), ledger)
    assert resp.status_code == 200
    assert_matches_schema(resp, URL, "get")
    assert resp.json()["ledger"] == ledger


@pytest.mark.parametrize("persona", ["outsider", "grid_worker"])
def test_without_statistics_access_403(personas, client_for, persona):
    resp = get(client_for(getattr(personas, persona)))
    assert resp.status_code == 403
    assert_matches_schema(resp, URL, "get")


def test_unknown_ledger_and_bad_filters(personas, client_for):
    c = client_for(personas.leader)
    missing = get(c, "payroll")
    assert missing.status_code == 404
    assert_matches_schema(missing, URL, "get")
    bad = get(c, period="someday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "period"
    assert get(c, region="x").json()["errors"][0]["field"] == "region"


def test_read_only_token_of_the_leader(personas, screened):
    secret = issue_token(personas.leader, actor=None, read_only=True).secret
    resp = get(Client(HTTP_AUTHORIZATION=f"Token {secret}"))
    assert resp.status_code == 200 and resp.json()["count"] == N
    assert Client().get(URL.format(ledger="screening")).status_code == 401
