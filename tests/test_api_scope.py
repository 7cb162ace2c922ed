"""Every endpoint, every persona: the API returns only what the user's scope allows."""

import pytest


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("grid_worker", 1), ("station_clerk", 2), ("street_clerk", 4), ("leader", 8), ("outsider", 0)],
)
def test_grid_api_scoped(personas, client_for, persona, expected):
    resp = client_for(getattr(personas, persona)).get("/api/v1/territory/grids/")
    assert resp.status_code == 200
    assert resp.json()["count"] == expected


def test_grid_geojson_scoped(personas, client_for):
    resp = client_for(personas.grid_worker).get("/territory/grids.geojson")
    assert [f["properties"]["code"] for f in resp.json()["features"]] == ["230903013001001"]
    resp = client_for(personas.outsider).get("/territory/grids.geojson")
    assert resp.json()["features"] == []


def test_anonymous_is_refused(client, db):
    # No credentials: 401 with a challenge, in the API's error shape.
    resp = client.get("/api/v1/territory/grids/")
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"] == 'Token realm="api"'
    assert resp.json()["errors"][0]["code"] == "not_authenticated"
    assert client.get("/territory/grids.geojson").status_code == 302
