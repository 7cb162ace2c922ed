"""GET /api/v1/org/units/ and /api/v1/org/staff/: scoped like the UI, filters, masked phones,
the error shape for bad filters, answers that match the schema."""

import pytest
from django.test import Client

from fengqiao.api.tokens import issue_token
from tests.schema_check import assert_matches_schema

UNITS = "/api/v1/org/units/"
STAFF = "/api/v1/org/staff/"


def names(resp, key="name"):
    assert resp.status_code == 200, resp.content
    return [r[key] for r in resp.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("leader", {"桃山区综治中心", "桃西街道综治中心", "花园社区综治服务站", "松山社区综治服务站", "桃西派出所"}),
        ("street_clerk", {"桃西街道综治中心", "花园社区综治服务站", "松山社区综治服务站", "桃西派出所"}),
        ("station_clerk", {"松山社区综治服务站"}),
        # A grid worker sees the units of their community and those above it.
        ("grid_worker", {"桃山区综治中心", "桃西街道综治中心", "花园社区综治服务站", "桃西派出所"}),
        ("liaison", {"桃西派出所"}),
        ("outsider", set()),
    ],
)  # fmt: skip
def test_units_in_scope(personas, client_for, persona, expected):
    resp = client_for(getattr(personas, persona)).get(UNITS)
    assert set(names(resp)) == expected
    assert_matches_schema(resp, UNITS, "get")


def test_unit_filters_and_fields(world, personas, client_for):
    c = client_for(personas.leader)
    assert names(c.get(UNITS, {"kind": "service_station"})) == [
        "花园社区综治服务站",
        "松山社区综治服务站",
    ]
    assert set(names(c.get(UNITS, {"region": world.taoxi.code}))) == {
        "桃西街道综治中心",
        "花园社区综治服务站",
        "松山社区综治服务站",
        "桃西派出所",
    }
    assert names(c.get(UNITS, {"region": "999999"})) == []
    world.police_taoxi.active = False
    world.police_taoxi.save()
    assert "桃西派出所" not in names(c.get(UNITS, {"active": "true"}))
    assert names(c.get(UNITS, {"active": "false"})) == ["桃西派出所"]
    police = c.get(UNITS, {"kind": "member_unit"}).json()["results"][0]
    assert police["sector"] == "police" and police["region_code"] == world.taoxi.code
    assert police["parent"] is None


def test_staff_in_scope_with_masked_phones(world, personas, client_for):
    personas.station_clerk.phone = "13904641234"
    personas.station_clerk.save()
    resp = client_for(personas.street_clerk).get(STAFF)
    assert_matches_schema(resp, STAFF, "get")
    rows = {r["username"]: r for r in resp.json()["results"]}
    assert set(rows) == {"clerk_songshan", "clerk_taoxi", "liaison_police"}
    clerk = rows["clerk_songshan"]
    assert clerk["phone"] == "139****1234"
    assert "13904641234" not in resp.content.decode()
    assert clerk["unit_name"] == "松山社区综治服务站"
    assert clerk["roles"] == [
        {
            "role": "station_staff",
            "role_label": clerk["roles"][0]["role_label"],
            "scope_type": "region",
            "region": world.songshan.code,
            "unit": None,
        }
    ]
    assert names(client_for(personas.station_clerk).get(STAFF), "username") == ["clerk_songshan"]
    # Staff of a unit or a region only; inactive accounts are not listed.
    c = client_for(personas.leader)
    assert names(c.get(STAFF, {"unit": world.police_taoxi.pk}), "username") == ["liaison_police"]
    assert set(names(c.get(STAFF, {"region": world.songshan.code}), "username")) == {
        "clerk_songshan"
    }
    personas.liaison.is_active = False
    personas.liaison.save()
    assert "liaison_police" not in names(c.get(STAFF), "username")


@pytest.mark.parametrize("persona", ["grid_worker", "outsider"])
def test_no_staff_scope_sees_no_staff(personas, client_for, persona):
    assert names(client_for(getattr(personas, persona)).get(STAFF), "username") == []


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        (UNITS, {"kind": "castle"}, "kind"),
        (UNITS, {"active": "perhaps"}, "active"),
        (UNITS, {"region": "x" * 30}, "region"),
        (STAFF, {"unit": "abc"}, "unit"),
        (STAFF, {"unit": "0"}, "unit"),
        (STAFF, {"unit": str(2**40)}, "unit"),
    ],
)
def test_bad_filters_are_400_in_the_error_shape(personas, client_for, url, query, field):
    c = client_for(personas.leader)
    resp = c.get(url, query, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == field
    assert_matches_schema(resp, url, "get")


def test_tokens_see_what_their_user_sees(personas):
    def token_get(user, url):
        secret = issue_token(user, actor=None, read_only=True).secret
        return Client(HTTP_AUTHORIZATION=f"Token {secret}").get(url)

    assert names(token_get(personas.station_clerk, UNITS)) == ["松山社区综治服务站"]
    assert names(token_get(personas.outsider, STAFF), "username") == []
    assert Client().get(UNITS).status_code == 401
    assert Client().get(STAFF).status_code == 401
