"""POST /api/v1/territory/locate/: scoped answers and clear 400s.

Decision: an account without the territory view capability (the outsider) gets 403; an account
with it gets null for points in grids outside its scope, the same as for points in no grid.
"""

import json

import pytest

URL = "/api/v1/territory/locate/"
IN_001 = [131.0025, 45.775]  # 花园社区 grid 001
IN_002 = [131.0075, 45.775]  # 花园社区 grid 002
IN_HEPAN = [131.0025, 45.785]  # 河畔社区 grid 001
NOWHERE = [120.0, 30.0]


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_leader_sees_every_grid(personas, client_for):
    resp = post(client_for(personas.leader), {"points": [IN_001, IN_002, IN_HEPAN, NOWHERE]})
    assert resp.status_code == 200
    assert resp.json() == {"grids": ["230903013001001", "230903013001002", "230903012001001", None]}


def test_grid_worker_gets_null_outside_own_grid(personas, client_for):
    resp = post(client_for(personas.grid_worker), {"points": [IN_001, IN_002, IN_HEPAN, NOWHERE]})
    assert resp.json() == {"grids": ["230903013001001", None, None, None]}
    # On the edge shared with grid 002 (which has the higher id) the worker's own grid answers.
    resp = post(client_for(personas.grid_worker), {"points": [[131.005, 45.775]]})
    assert resp.json() == {"grids": ["230903013001001"]}


def test_station_clerk_of_other_community(personas, client_for):
    resp = post(client_for(personas.station_clerk), {"points": [IN_001, [131.0125, 45.775]]})
    assert resp.json() == {"grids": [None, "230903013002001"]}


def test_outsider_and_anonymous_refused(personas, client_for, client):
    assert post(client_for(personas.outsider), {"points": [IN_001]}).status_code == 403
    assert post(client, {"points": [IN_001]}).status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "required"),
        ({"points": "131,45"}, "list"),
        ({"points": [[131.0]]}, "Point 0"),
        ({"points": [IN_001, ["131", 45.7]]}, "Point 1"),
        ({"points": [[True, 45.7]]}, "numbers"),
        ({"points": [[181, 45.7]]}, "-180"),
        ({"points": [[131, -91]]}, "-90"),
        ({"points": [IN_001] * 10_001}, "10000"),
    ],
)
def test_bad_input_is_400_naming_the_point(personas, client_for, body, needle):
    client = client_for(personas.leader)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    resp = post(client, body)
    assert resp.status_code == 400
    assert needle in json.dumps(resp.json(), ensure_ascii=False)


def test_not_json_is_400(personas, client_for):
    resp = client_for(personas.leader).post(URL, "{oops", content_type="application/json")
    assert resp.status_code == 400


def test_ten_thousand_points_and_empty(personas, client_for):
    client = client_for(personas.leader)
    resp = post(client, {"points": [IN_001, NOWHERE] * 5000})
    assert resp.status_code == 200
    assert resp.json()["grids"][:2] == ["230903013001001", None]
    assert len(resp.json()["grids"]) == 10_000
    assert post(client, {"points": []}).json() == {"grids": []}


def test_schema_documents_the_endpoint(personas, client_for):
    resp = client_for(personas.leader).get("/api/schema/", {"format": "json"})
    assert resp.status_code == 200
    op = resp.json()["paths"]["/api/v1/territory/locate/"]["post"]
    schema = json.dumps(op)
    assert "points" in schema and "LocateResponse" in schema


def test_read_only_token_may_locate_but_not_write(personas, world):
    from django.test import Client

    from fengqiao.api.tokens import issue_token
    from fengqiao.webhooks.models import Subscription

    read_only = issue_token(personas.leader, actor=None, read_only=True).secret
    c = Client(HTTP_AUTHORIZATION=f"Token {read_only}")
    resp = post(c, {"points": [IN_001, NOWHERE]})
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"grids": ["230903013001001", None]}
    # Other POSTs of the same token stay refused, and nothing is written.
    hook = {"name": "x", "url": "https://example.org/h", "event_types": ["case.created"]}
    refused = c.post(
        "/api/v1/webhooks/subscriptions/",
        json.dumps({**hook, "region": world.district.code}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "read_only_token"
    assert not Subscription.objects.exists()
    refused = c.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "read_only_token"
    # A read-only token of an account without territory access is still refused.
    outsider = issue_token(personas.outsider, actor=None, read_only=True).secret
    resp = post(Client(HTTP_AUTHORIZATION=f"Token {outsider}"), {"points": [IN_001]})
    assert resp.status_code == 403


def test_only_locate_lets_read_only_tokens_post():
    # Opening a POST to read-only tokens is a decision per view: list them here.
    from django.urls import URLPattern, URLResolver, get_resolver

    def views(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from views(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                cls = getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None)
                if getattr(cls, "read_only_token_methods", ()):
                    yield prefix + str(p.pattern), tuple(cls.read_only_token_methods)

    assert list(views(get_resolver())) == [("api/v1/territory/locate/", ("POST",))]
