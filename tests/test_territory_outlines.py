"""Region outlines: validated like grids (plus the country's bounds), drawn on the map editor or
derived from the grids, audited, refused to outsiders and non-administrators, read through the
REST API and the GeoJSON of the maps within the reader's scope."""

import json

import pytest
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from shapely.geometry import Polygon, box, mapping

from fengqiao.accounts.roles import Role
from fengqiao.core.models import AuditEntry
from fengqiao.territory import outlines
from fengqiao.territory.models import Grid, Region
from tests.factories import assign, make_user, region

L, K = Region.Level, Region.Kind

TAOXI = box(131.00, 45.77, 131.02, 45.78)  # the union of the test world's 花园 and 松山 grids


def _json(geom) -> str:
    return json.dumps(mapping(geom))


def _outline_audits(region_obj: Region):
    return AuditEntry.objects.filter(object_type="territory.region", object_id=str(region_obj.pk))


BAD = [
    ("not json", "outline_malformed"),
    ('{"type": "Polygon", "coordinates": "x"}', "outline_malformed"),
    ('{"type": "Point", "coordinates": [131.0, 45.77]}', "outline_type"),
    ('{"type": "LineString", "coordinates": [[131.0, 45.77], [131.01, 45.78]]}', "outline_type"),
    (_json(box(2.0, 48.0, 2.1, 48.1)), "outline_range"),  # Paris: outside COORDINATE_BOUNDS
    (_json(box(45.77, 131.0, 45.78, 131.01)), "outline_range"),  # latitude first
    # A bow tie: the ring crosses itself.
    (
        _json(Polygon([(131.0, 45.77), (131.01, 45.78), (131.01, 45.77), (131.0, 45.78)])),
        "outline_invalid",
    ),
    (_json(Polygon([(131.0, 45.77), (131.01, 45.77), (131.02, 45.77)])), "outline_invalid"),
    ('{"type": "Polygon", "coordinates": []}', "outline_empty"),
]


@pytest.mark.parametrize("value,code", BAD)
def test_bad_outline_is_refused_with_its_reason_and_nothing_changes(world, personas, value, code):
    before = list(AuditEntry.objects.values_list("pk", flat=True))
    with pytest.raises(ValidationError) as info:
        outlines.set_region_outline(personas.admin, world.taoxi, value)
    assert [e.code for e in info.value.error_dict["outline"]] == [code]
    world.taoxi.refresh_from_db()
    assert world.taoxi.outline is None and world.taoxi.outline_source == ""
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == before


def test_errors_are_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        outlines.validate_outline(_json(box(2.0, 48.0, 2.1, 48.1)))
    message = info.value.messages[0]
    assert "轮廓" in message and "73.4" in message


def test_drawn_outline_is_stored_and_audited_then_replaced(world, personas):
    drawn = box(131.0, 45.77, 131.021, 45.781)
    outlines.set_region_outline(personas.admin, world.taoxi, _json(drawn))
    world.taoxi.refresh_from_db()
    assert world.taoxi.outline_source == "drawn"
    assert shapely.geometry.shape(world.taoxi.outline).equals(drawn)
    entry = _outline_audits(world.taoxi).get()
    assert entry.action == AuditEntry.Action.UPDATE and entry.actor == personas.admin
    assert entry.changes["outline"][0] is None and entry.changes["outline"][1]["type"] == "Polygon"
    # Clearing it is a change too, with the old outline kept in the history.
    outlines.set_region_outline(personas.admin, world.taoxi, None)
    world.taoxi.refresh_from_db()
    assert world.taoxi.outline is None
    last = _outline_audits(world.taoxi).order_by("-pk").first()
    assert last.changes["outline"][1] is None and last.changes["outline"][0]["type"] == "Polygon"


def test_derive_from_grids_sets_the_union(world, personas):
    outlines.derive_region_outline(personas.admin, world.taoxi)
    outlines.derive_region_outline(personas.admin, world.huayuan)
    world.taoxi.refresh_from_db()
    world.huayuan.refresh_from_db()
    street = shapely.geometry.shape(world.taoxi.outline)
    assert street.geom_type == "Polygon" and street.symmetric_difference(TAOXI).area < 1e-12
    assert world.taoxi.outline_source == "grids"
    community = shapely.geometry.shape(world.huayuan.outline)
    assert community.symmetric_difference(box(131.0, 45.77, 131.01, 45.78)).area < 1e-12
    assert _outline_audits(world.taoxi).count() == 1


def test_derive_keeps_separate_pieces_apart_and_skips_inactive_grids(world, personas):
    far = Grid(code="230903013002003", name="飞地网格", community=world.songshan)
    far.set_boundary(box(131.05, 45.77, 131.06, 45.78))
    far.save()
    gone = Grid(code="230903013002004", name="撤销网格", community=world.songshan, active=False)
    gone.set_boundary(box(131.08, 45.77, 131.09, 45.78))
    gone.save()
    outlines.derive_region_outline(personas.admin, world.taoxi)
    world.taoxi.refresh_from_db()
    shape = shapely.geometry.shape(world.taoxi.outline)
    assert shape.geom_type == "MultiPolygon" and len(shape.geoms) == 2
    assert shape.bounds[2] == pytest.approx(131.06)


def test_derive_refuses_regions_without_grids_and_other_levels(world, personas):
    empty = region("230903013003", "空社区", L.COMMUNITY, K.COMMUNITY, world.taoxi)
    with pytest.raises(ValidationError) as info:
        outlines.derive_region_outline(personas.admin, empty)
    assert info.value.error_dict["outline"][0].code == "outline_no_grids"
    with pytest.raises(ValidationError) as info:
        outlines.derive_region_outline(personas.admin, world.district)
    assert info.value.error_dict["outline"][0].code == "outline_level"
    assert not Region.objects.filter(outline__isnull=False).exists()
    assert not AuditEntry.objects.filter(object_type="territory.region").exists()


def test_outsiders_and_non_administrators_are_refused(world, personas):
    other_district = region("230904000000", "新兴区", L.DISTRICT, K.DISTRICT, world.city)
    other_admin = make_user("admin_xinxing", "管理员辛")
    assign(other_admin, Role.ADMIN, region=other_district)
    for user in (
        personas.outsider,
        personas.street_clerk,
        personas.leader,
        personas.grid_worker,
        other_admin,
    ):
        with pytest.raises(PermissionDenied):
            outlines.set_region_outline(user, world.taoxi, _json(TAOXI))
        with pytest.raises(PermissionDenied):
            outlines.derive_region_outline(user, world.taoxi)
        # Even a bad polygon answers "not yours", not what is wrong with it.
        with pytest.raises(PermissionDenied):
            outlines.set_region_outline(user, world.taoxi, "not json")
    assert not Region.objects.filter(outline__isnull=False).exists()


# The map editor ------------------------------------------------------------------------------


def test_editor_offers_the_street_and_community_outlines(world, personas, client_for):
    outlines.derive_region_outline(None, world.huayuan)
    page = client_for(personas.admin).get(
        reverse("territory:edit") + f"?community={world.huayuan.pk}"
    )
    body = page.content.decode()
    assert reverse("territory:edit_outline", args=[world.taoxi.pk]) in body
    assert reverse("territory:derive_outline", args=[world.huayuan.pk]) in body
    data = json.loads(body.split('id="region-outlines" type="application/json">')[1].split("<")[0])
    assert [f["properties"]["name"] for f in data["features"]] == ["花园社区"]
    assert data["features"][0]["properties"]["editable"] is True


def test_outline_drawn_in_the_editor_is_saved(world, personas, client_for):
    client = client_for(personas.admin)
    response = client.post(
        reverse("territory:edit_outline", args=[world.taoxi.pk]),
        {"outline": _json(TAOXI), "community": world.huayuan.pk},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?community={world.huayuan.pk}")
    world.taoxi.refresh_from_db()
    assert shapely.geometry.shape(world.taoxi.outline).equals(TAOXI)
    response = client.post(
        reverse("territory:derive_outline", args=[world.huayuan.pk]),
        {"community": world.huayuan.pk},
    )
    assert response.status_code == 302
    world.huayuan.refresh_from_db()
    assert world.huayuan.outline_source == "grids"


def test_bad_outline_in_the_editor_answers_400_with_the_reason(world, personas, client_for):
    response = client_for(personas.admin).post(
        reverse("territory:edit_outline", args=[world.taoxi.pk]),
        {"outline": _json(box(2.0, 48.0, 2.1, 48.1)), "community": world.huayuan.pk},
    )
    assert response.status_code == 400
    assert 'class="msg msg-error"' in response.content.decode()
    world.taoxi.refresh_from_db()
    assert world.taoxi.outline is None


def test_editor_outline_actions_are_404_for_others(world, personas, client_for):
    for user in (personas.outsider, personas.street_clerk, personas.leader, personas.grid_worker):
        client = client_for(user)
        for name, data in (
            ("territory:edit_outline", {"outline": _json(TAOXI)}),
            ("territory:derive_outline", {}),
        ):
            assert client.post(reverse(name, args=[world.taoxi.pk]), data).status_code == 404
    admin = client_for(personas.admin)
    # Not a street or community: no outline through the editor.
    assert (
        admin.post(reverse("territory:derive_outline", args=[world.district.pk])).status_code == 404
    )
    assert admin.get(reverse("territory:derive_outline", args=[world.taoxi.pk])).status_code == 405
    assert not Region.objects.filter(outline__isnull=False).exists()


# Reading: GeoJSON for the maps and the REST API ----------------------------------------------


def test_regions_geojson_is_scoped(world, personas, client_for):
    for r in (world.taoxi, world.taonan, world.huayuan):
        outlines.derive_region_outline(None, r)
    leader = client_for(personas.leader).get(reverse("territory:regions_geojson")).json()
    assert {f["properties"]["name"] for f in leader["features"]} == {
        "桃西街道",
        "桃南街道",
        "花园社区",
    }
    clerk = client_for(personas.street_clerk).get(reverse("territory:regions_geojson")).json()
    assert {f["properties"]["name"] for f in clerk["features"]} == {"桃西街道", "花园社区"}
    assert (
        client_for(personas.street_clerk)
        .get(reverse("territory:regions_geojson") + f"?region={world.taonan.pk}")
        .status_code
        == 404
    )
    bad = client_for(personas.leader).get(reverse("territory:regions_geojson") + "?region=x")
    assert bad.status_code == 400
    outsider = client_for(personas.outsider).get(reverse("territory:regions_geojson")).json()
    assert outsider["features"] == []


def test_api_reads_outlines_within_scope(world, personas, client_for):
    outlines.derive_region_outline(None, world.taoxi)
    outlines.derive_region_outline(None, world.taonan)
    url = "/api/v1/territory/regions/"
    rows = client_for(personas.street_clerk).get(url + "?level=4").json()
    rows = rows.get("results", rows)
    assert [r["name"] for r in rows] == ["桃西街道"]
    assert rows[0]["outline"]["type"] == "Polygon" and rows[0]["outline_source"] == "grids"
    leader = client_for(personas.leader).get(url + "?has_outline=true").json()
    leader = leader.get("results", leader)
    assert {r["name"] for r in leader} == {"桃西街道", "桃南街道"}
    assert client_for(personas.leader).get(url + "?level=9").status_code == 400
    assert client_for(personas.leader).get(url + "?has_outline=maybe").status_code == 400
    outsider = client_for(personas.outsider).get(url).json()
    assert outsider.get("results", outsider) == []
