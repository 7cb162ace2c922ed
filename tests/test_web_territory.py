"""The territory browser: lazy tree, grid GeoJSON with filters, region and grid details, scoped."""

import pytest

from fengqiao.accounts.roles import Role
from fengqiao.org.models import GridWorker
from tests.factories import assign, make_user


def feature_codes(response) -> list[str]:
    assert response.status_code == 200
    return sorted(f["properties"]["code"] for f in response.json()["features"])


def test_browser_tree_roots_follow_scope(personas, client_for):
    roots = {
        "grid_worker": ["花园社区"],
        "station_clerk": ["松山社区"],
        "street_clerk": ["桃西街道"],
        "liaison": ["桃西街道"],
        "leader": ["桃山区"],
        "admin": ["桃山区"],
    }
    for persona, names in roots.items():
        response = client_for(getattr(personas, persona)).get("/territory/")
        assert [n["region"].name for n in response.context["tree"]] == names, persona


def test_tree_children_are_loaded_lazily_and_scoped(personas, world, client_for):
    client = client_for(personas.leader)
    html = client.get(f"/territory/tree/{world.taoxi.pk}/").content.decode()
    assert "花园社区" in html and "松山社区" in html and "河畔社区" not in html
    assert f'hx-get="/territory/tree/{world.huayuan.pk}/"' in html
    html = client.get(f"/territory/tree/{world.huayuan.pk}/").content.decode()
    assert "花园社区第1网格" in html and "花园社区第2网格" in html
    # The grid worker opens their community: their own grid only.
    html = client_for(personas.grid_worker).get(f"/territory/tree/{world.huayuan.pk}/")
    html = html.content.decode()
    assert "花园社区第1网格" in html and "花园社区第2网格" not in html


@pytest.mark.parametrize(
    "persona,region",
    [
        ("grid_worker", "taoxi"),
        ("grid_worker", "songshan"),
        ("station_clerk", "huayuan"),
        ("street_clerk", "district"),
        ("street_clerk", "hepan"),
        ("liaison", "taonan"),
    ],
)
def test_regions_outside_scope_are_not_found(personas, world, client_for, persona, region):
    client = client_for(getattr(personas, persona))
    pk = getattr(world, region).pk
    assert client.get(f"/territory/tree/{pk}/").status_code == 404
    assert client.get(f"/territory/region/{pk}/").status_code == 404
    assert client.get(f"/territory/grids.geojson?region={pk}").status_code == 404


def test_grid_outside_scope_is_not_found(personas, world, client_for):
    other = world.grids["230903013001002"]
    assert client_for(personas.grid_worker).get(f"/territory/grid/{other.pk}/").status_code == 404
    assert client_for(personas.street_clerk).get(f"/territory/grid/{other.pk}/").status_code == 200


def test_geojson_is_scoped_and_filtered(personas, world, client_for):
    gw = client_for(personas.grid_worker)
    assert feature_codes(gw.get("/territory/grids.geojson")) == ["230903013001001"]
    assert feature_codes(gw.get(f"/territory/grids.geojson?region={world.huayuan.pk}")) == [
        "230903013001001"
    ]
    street = client_for(personas.street_clerk)
    assert len(feature_codes(street.get("/territory/grids.geojson"))) == 4
    codes = feature_codes(street.get(f"/territory/grids.geojson?region={world.songshan.pk}"))
    assert codes == ["230903013002001", "230903013002002"]
    grid = world.grids["230903013002001"]
    assert feature_codes(street.get(f"/territory/grids.geojson?grid={grid.pk}")) == [grid.code]
    leader = client_for(personas.leader)
    assert len(feature_codes(leader.get("/territory/grids.geojson"))) == 8
    assert feature_codes(leader.get("/territory/grids.geojson?mine=1")) == []
    assert feature_codes(client_for(personas.outsider).get("/territory/grids.geojson")) == []


def test_geojson_properties_for_the_popup(personas, world, client_for):
    data = client_for(personas.grid_worker).get("/territory/grids.geojson?mine=1").json()
    [feature] = data["features"]
    grid = world.grids["230903013001001"]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"] == {
        "code": grid.code,
        "name": "花园社区第1网格",
        "community": "花园社区",
        "street": grid.community.parent.name,
        "workers": ["网格员甲"],
        "url": f"/territory/grid/{grid.pk}/",
    }


def test_geojson_bad_filter_names_the_field(personas, client_for):
    response = client_for(personas.leader).get("/territory/grids.geojson?region=abc")
    assert response.status_code == 400
    assert "region" in response.json()["errors"]
    assert "必须是整数" in response.json()["errors"]["region"][0]


def test_region_detail_lists_visible_children_grids_and_units(personas, world, client_for):
    response = client_for(personas.street_clerk).get(f"/territory/region/{world.taoxi.pk}/")
    html = response.content.decode()
    assert [r.name for r in response.context["regions"]] == ["花园社区", "松山社区"]
    assert response.context["grid_count"] == 4 and response.context["worker_count"] == 1
    assert "桃西派出所" in html and "桃西街道综治中心" in html
    # The district above is outside the street clerk's scope: not in the breadcrumb.
    assert "桃山区" not in html
    assert f"grids.geojson?region={world.taoxi.pk}" in html


def test_grid_detail_lists_its_workers(personas, world, client_for):
    grid = world.grids["230903013001001"]
    other = make_user("gw_two", "网格员乙")
    assign(other, Role.GRID_WORKER, grids=[grid])
    record = GridWorker.objects.create(user=other, employment_type="part_time", active=False)
    record.grids.set([grid])
    response = client_for(personas.leader).get(f"/territory/grid/{grid.pk}/")
    html = response.content.decode()
    assert "网格员甲" in html and "专职" in html
    assert "网格员乙" not in html  # inactive records are not listed
    assert "花园社区" in html


def test_map_tile_layer_only_when_configured(personas, client_for, settings):
    html = client_for(personas.leader).get("/territory/").content.decode()
    assert "data-tile-url" not in html
    assert "/static/leaflet/leaflet.js" in html and "/static/htmx/htmx.min.js" in html
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© 示例"
    html = client_for(personas.leader).get("/territory/").content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© 示例"' in html
