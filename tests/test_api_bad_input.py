"""Input that used to give a 500 (or was quietly accepted) gets a 400 in the one error shape,
naming the field, in the user's language — on SQLite and on PostgreSQL."""

import json

import pytest
from django.test import Client

from fengqiao.accounts.roles import Role
from fengqiao.api.tokens import issue_token
from fengqiao.cases import actions as cases
from fengqiao.cases.models import Case
from tests.case_factories import case_data, make_case_world
from tests.factories import assign

CASES = "/api/v1/cases/"


def errors_of(resp, status: int = 400) -> dict[str, dict]:
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"errors"} and body["errors"]
    for err in body["errors"]:
        assert set(err) == {"field", "code", "message"} and err["message"]
    return {e["field"]: e for e in body["errors"]}


@pytest.fixture
def api(world, personas) -> Client:
    make_case_world(world)
    assign(personas.admin, Role.CENTER_STAFF, region=world.district)
    secret = issue_token(personas.admin, actor=personas.security).secret
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def post(client: Client, url: str, body) -> object:
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, text, content_type="application/json")


def intake_body(**overrides) -> dict:
    return {"channel": "phone", **case_data(), **overrides}


# -- Unicode digits ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["¹", "²³", "٣", "১", "①"])
def test_unicode_digits_as_a_category_are_refused(api, value):
    assert value.isdigit() or value.isnumeric()
    resp = post(api, CASES, intake_body(category=value))
    assert "category" in errors_of(resp)
    assert not Case.objects.exists()


@pytest.mark.parametrize("value", ["¹", "٣"])
def test_unicode_digits_in_filters_are_refused(api, value):
    for url, field in [
        (f"{CASES}?category={value}", "category"),
        (f"/api/v1/analytics/values/?indicator=accepted&category={value}", "category"),
        (f"/api/v1/analytics/values/?indicator=accepted&channel={value}", "channel"),
        (f"/api/v1/analytics/values/?indicator=accepted&region={value}", "region"),
    ]:
        assert field in errors_of(api.get(url)), url


def test_category_given_by_code_or_ascii_id_still_works(api):
    from fengqiao.cases import reference
    from fengqiao.cases.models import Category

    category = Category.objects.get(code="construction_disturbance")
    assert reference.category(str(category.pk)) == category
    assert reference.category("construction_disturbance") == category
    assert reference.category("¹") is None


# -- NUL characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/analytics/values/?indicator=accepted&category=a%00b",
        "/api/v1/analytics/values/?indicator=accepted&channel=%00",
        "/api/v1/analytics/ledgers/supervision/?channel=x%00",
        f"{CASES}?q=%00",
        "/api/v1/territory/grids/?community=%00",
    ],
)
def test_nul_in_a_query_string_is_refused(api, url):
    errors = errors_of(api.get(url))
    ((field, err),) = errors.items()
    assert field == url.split("?")[1].split("&")[-1].split("=")[0]
    assert err["code"] == "null_character"
    assert "空字符" in err["message"]


def test_nul_in_a_json_body_is_refused_naming_the_field(api):
    resp = post(api, CASES, intake_body(title="标题\u0000"))
    assert errors_of(resp)["title"]["code"] == "null_character"
    resp = post(api, CASES, intake_body(parties=[{"name": "张三\u0000"}]))
    assert "parties.0.name" in errors_of(resp)
    assert not Case.objects.exists()


def test_nul_in_split_slugs_is_refused(api, world):
    case = cases.intake(None, case_data(), "resident_report").case
    url = f"{CASES}{case.pk}/transitions/split/"
    body = {"children": [{"title": "子案件", "category": "a\u0000b"}], "expected_version": 1}
    assert "children.0.category" in errors_of(post(api, url, body))


def test_nul_in_a_form_body_is_refused(api):
    resp = api.post(
        f"{CASES}1/attachments/", "public=%00", content_type="application/x-www-form-urlencoded"
    )
    assert errors_of(resp)["public"]["code"] == "null_character"


def test_nul_on_a_page_is_a_plain_400(client):
    resp = client.get("/track/?number=%00")
    assert resp.status_code == 400


def test_nul_on_open311_is_its_error_format(db):
    resp = Client().get("/open311/v2/requests.json?status=%00")
    assert resp.status_code == 400
    body = resp.json()
    assert body[0]["code"] == 400 and "status" in body[0]["description"]


# -- numbers too large, too deep, not finite -----------------------------------------------


def test_a_huge_people_involved_is_refused(api):
    resp = post(api, CASES, intake_body(people_involved=10**20))
    assert errors_of(resp)["people_involved"]["code"] == "max_value"
    case = cases.intake(None, case_data(), "resident_report").case
    url = f"{CASES}{case.pk}/transitions/update_details/"
    resp = post(api, url, {"people_involved": 10**20, "expected_version": case.version})
    assert "people_involved" in errors_of(resp)


def test_json_nested_ten_thousand_deep_is_refused(api):
    deep = "[" * 10_000 + "]" * 10_000
    err = errors_of(post(api, CASES, deep))[None]
    assert err["code"] == "parse_error"
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    assert errors_of(post(api, CASES, deep_object))[None]["code"] == "parse_error"
    # Moderately deep but still far beyond any body of ours.
    assert errors_of(post(api, CASES, "[" * 100 + "]" * 100))[None]["code"] == "parse_error"


@pytest.mark.parametrize("value", ["1e400", "-1e400", "NaN", "Infinity"])
def test_coordinates_that_are_not_finite_are_refused(api, value):
    body = json.dumps(intake_body(lat=45.775)).replace('"lon": 131.002', f'"lon": {value}')
    assert value in body
    assert "lon" in errors_of(post(api, CASES, body)) or value in ("NaN", "Infinity")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "point", [(0, 0), (2.35, 48.85), (-74.0, 40.7), (131.0, -45.0), (180, 90), (140.0, 45.0)]
)
def test_coordinates_outside_china_are_refused(api, point):
    resp = post(api, CASES, intake_body(lon=point[0], lat=point[1]))
    errors = errors_of(resp)
    assert {"lon", "lat"} & set(errors)
    assert not Case.objects.exists()


def test_coordinates_inside_china_but_outside_the_district_are_accepted(api):
    # Beijing: no grid there, but a real place in China (the case is located by hand).
    resp = post(api, CASES, intake_body(lon=116.4, lat=39.9))
    assert resp.status_code == 201, resp.content


def test_open311_refuses_a_point_outside_china(db, settings):
    from fengqiao.cases.models import Channel
    from fengqiao.open311.clients import issue_client

    key = issue_client("t", Channel.objects.get(code="resident_report"), actor=None).secret
    resp = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "construction_disturbance", "lat": "0", "long": "0",
         "description": "噪音", "phone": "13904641234"},
    )  # fmt: skip
    assert resp.status_code == 400, resp.content
    assert not Case.objects.exists()


def test_the_bounding_box_is_a_setting(api, settings):
    settings.COORDINATE_BOUNDS = (130.0, 45.0, 132.0, 46.0)
    resp = post(api, CASES, intake_body(lon=116.4, lat=39.9))
    assert {"lon", "lat"} & set(errors_of(resp))


# -- filters that do not exist or do not parse ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{CASES}?colour=red", "colour"),
        (f"{CASES}?category=abc", "category"),
        (f"{CASES}?overdue=maybe", "overdue"),
        (f"{CASES}?created_from=yesterday", "created_from"),
        (f"{CASES}?region=1.5", "region"),
        ("/api/v1/territory/grids/?nonsense=1", "nonsense"),
        ("/api/v1/org/units/?kind=", "kind"),
        ("/api/v1/org/units/?limit=ten", "limit"),
        ("/api/v1/analytics/values/?indicator=accepted&period=never", "period"),
        ("/api/v1/analytics/values/?indicator=accepted&unknown=1", "unknown"),
    ],
)
def test_unknown_or_unparsable_filters_are_400_naming_them(api, url, field):
    assert field in errors_of(api.get(url))


def test_numbers_given_as_strings_in_json_are_refused(api):
    resp = post(api, CASES, intake_body(people_involved="30"))
    assert errors_of(resp)["people_involved"]["code"] == "invalid"
    resp = post(api, CASES, intake_body(lon="131.002"))
    assert "lon" in errors_of(resp)
    assert not Case.objects.exists()


def test_required_fields_are_required_in_the_schema():
    from tests.schema_check import openapi_schema

    schemas = openapi_schema()["components"]["schemas"]
    # Close's outcome is optional: a resolved case keeps its resolution (a diverted case, which
    # has none, is refused without one by the action, with a 400 naming the field).
    close = schemas["CloseTransitionRequest"]
    assert "outcome" not in close.get("required", [])
    assert "保留其处理结果" in close["properties"]["outcome"]["description"]
    assert {"description", "channel", "category"} <= set(schemas["CaseCreateRequest"]["required"])
