"""The one OpenAPI schema: valid, documents tokens and the error shape on /api/, api_key and the
Open311 error format on /open311/v2/, matches real answers; the docs pages work offline."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from fengqiao.api.tokens import issue_token
from tests.schema_check import assert_matches_schema, openapi_schema, schema_errors

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def test_schema_generates_without_warnings_or_errors(tmp_path):
    # The same as `fengqiao spectacular --validate --fail-on-warn`: fails on any warning.
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/me/" in out.read_text()


def test_schema_is_served(db):
    resp = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    assert resp.json()["openapi"].startswith("3.")


def operations(prefix: str = "/api/"):
    for path, item in openapi_schema()["paths"].items():
        if not path.startswith(prefix):
            continue
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def test_every_path_is_under_api_or_open311():
    paths = openapi_schema()["paths"]
    assert all(p.startswith(("/api/", "/open311/v2/")) for p in paths), list(paths)


def test_token_auth_is_documented():
    schemes = openapi_schema()["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "http" and schemes["tokenAuth"]["scheme"] == "bearer"
    ops = list(operations())
    assert ops
    for path, method, op in ops:
        assert {"tokenAuth": []} in op["security"], f"{method} {path}"


def test_every_operation_documents_the_error_shape():
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, method, op in operations():
        codes = {"400", "401", "403", "404", "429"}
        if method != "get":
            codes |= {"409", "422"}
        for code in codes:
            content = op["responses"][code]["content"]["application/json"]
            assert content["schema"] == ref or code == "400", f"{method} {path} {code}"
        if method != "get":
            names = [p["name"] for p in op.get("parameters", [])]
            assert "Idempotency-Key" in names, f"{method} {path}"


@pytest.fixture
def token_client(personas):
    def make(user, **extra):
        secret = issue_token(user, actor=None, **extra).secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return make


def test_me_matches_schema(personas, token_client):
    resp = token_client(personas.station_clerk, read_only=True).get("/api/v1/me/")
    assert resp.status_code == 200
    assert_matches_schema(resp, "/api/v1/me/", "get")
    body = resp.json()
    assert body["username"] == "clerk_songshan"
    assert body["unit"]["name"] == "松山社区综治服务站"
    (role,) = body["roles"]
    assert role["role"] == "station_staff" and role["scope_type"] == "region"
    assert role["region"]["code"] == "230903013002" and role["grids"] == []
    assert "case.register" in body["permissions"] and "staff.edit" not in body["permissions"]
    assert body["token"]["read_only"] is True
    assert body["language"] == "zh-hans"


def test_me_for_session_and_roleless_accounts(personas, client_for):
    body = client_for(personas.grid_worker).get("/api/v1/me/").json()
    assert body["token"] is None
    assert [g["code"] for g in body["roles"][0]["grids"]] == ["230903013001001"]
    resp = client_for(personas.outsider).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert_matches_schema(resp, "/api/v1/me/", "get")
    assert resp.json()["roles"] == [] and resp.json()["permissions"] == []
    assert resp.json()["language"] == "en"


@pytest.mark.parametrize("persona", ["station_clerk", "outsider", "leader"])
def test_grids_match_schema(personas, token_client, persona):
    resp = token_client(getattr(personas, persona)).get("/api/v1/territory/grids/")
    assert_matches_schema(resp, "/api/v1/territory/grids/", "get")


def test_tokens_and_errors_match_schema(personas, token_client):
    client = token_client(personas.security)
    created = client.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert_matches_schema(created, "/api/v1/tokens/", "post")
    assert_matches_schema(client.get("/api/v1/tokens/"), "/api/v1/tokens/", "get")
    revoked = client.delete(f"/api/v1/tokens/{created.json()['id']}/")
    assert_matches_schema(revoked, "/api/v1/tokens/{id}/", "delete")
    bad = client.post("/api/v1/tokens/", {"name": "x" * 200}, content_type="application/json")
    assert_matches_schema(bad, "/api/v1/tokens/", "post")
    missing = client.delete("/api/v1/tokens/999999/")
    assert_matches_schema(missing, "/api/v1/tokens/{id}/", "delete")
    assert_matches_schema(Client().get("/api/v1/me/"), "/api/v1/me/", "get")


def test_the_checker_catches_mismatches():
    # An undocumented field, a wrong type, a missing required field: each is reported.
    good = {"errors": [{"field": None, "code": "x", "message": "y"}]}
    assert schema_errors(good, "/api/v1/me/", "get", 401) == []
    extra = {"errors": [{"field": None, "code": "x", "message": "y", "hint": 1}]}
    assert schema_errors(extra, "/api/v1/me/", "get", 401)
    assert schema_errors(
        {"errors": [{"field": 3, "code": "x", "message": "y"}]}, "/api/v1/me/", "get", 401
    )
    assert schema_errors({"errors": []}, "/api/v1/me/", "get", 401)
    with pytest.raises(AssertionError):
        schema_errors(good, "/api/v1/me/", "get", 418)


DOC_PAGES = ["/api/docs/", "/api/redoc/"]


@pytest.mark.parametrize("url", DOC_PAGES)
def test_docs_pages_use_local_static_files_only(db, url):
    resp = Client().get(url)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        # Swagger UI's start-up code comes from the view itself (no inline script, CSP).
        assert asset.startswith("/static/") or asset == "/api/docs/?script=", asset
        served = Client().get(asset)
        assert served.status_code == 200, asset


# -- Open311 GeoReport v2 in the same schema ------------------------------------------------------

OPEN311_ERRORS = {"$ref": "#/components/schemas/Open311Errors"}
OPEN311_MEDIA = {"json": "application/json", "xml": "text/xml"}


OPEN311_PATHS = {  # documented path (without format) → URL name in fengqiao.open311.urls
    "discovery": "discovery",
    "services": "services",
    "services/{service_code}": "service",
    "requests": "requests",
    "requests/{service_request_id}": "request",
    "tokens/{token}": "token",
}


def test_every_open311_url_is_documented_in_both_formats():
    from django.urls import URLPattern, resolve

    from fengqiao.open311 import urls

    named = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern) and p.name}
    assert named == set(OPEN311_PATHS.values())
    expected = {
        (f"/open311/v2/{path}.{fmt}", "get") for path in OPEN311_PATHS for fmt in ("json", "xml")
    } | {(f"/open311/v2/requests.{fmt}", "post") for fmt in ("json", "xml")}
    assert {(path, method) for path, method, _op in operations("/open311/")} == expected
    # Each documented path is served by the Open311 view of that name, in its format.
    for path, _method in expected:
        stem, fmt = path.removeprefix("/open311/v2/").rsplit(".", 1)
        match = resolve(path.replace("{", "").replace("}", ""))
        assert (match.namespace, match.url_name) == ("open311", OPEN311_PATHS[stem]), path
        assert match.kwargs["fmt"] == fmt


def test_open311_operations_use_api_key_not_tokens():
    schemes = openapi_schema()["components"]["securitySchemes"]
    assert schemes["open311ApiKey"] == {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": schemes["open311ApiKey"]["description"],
    }
    for path, method, op in operations("/open311/"):
        assert op["tags"] == ["open311"], path
        if method == "post":
            assert op["security"] == [{"open311ApiKey": []}], path
            for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = op["requestBody"]["content"][media]["schema"]
                assert form == {"$ref": "#/components/schemas/Open311RequestForm"}
            names = [p["name"] for p in op["parameters"]]
            assert "Idempotency-Key" in names  # the documented extension
        else:
            assert op["security"] == [], path  # reading needs no credentials
    form = openapi_schema()["components"]["schemas"]["Open311RequestForm"]
    assert "api_key" in form["properties"] and form["required"] == ["service_code"]


def test_open311_answers_are_documented_in_their_format_with_the_spec_errors():
    for path, method, op in operations("/open311/"):
        fmt = path.rsplit(".", 1)[1]
        media = OPEN311_MEDIA[fmt]
        codes = set(op["responses"])
        assert "200" in codes and "404" in codes, path
        if method == "post":
            assert codes == {"200", "400", "403", "404", "409", "422", "429"}
            assert "Retry-After" in op["responses"]["409"]["headers"]
            assert "Retry-After" in op["responses"]["429"]["headers"]
        for code, response in op["responses"].items():
            assert list(response["content"]) == [media], (path, code)
            if code.startswith("4"):
                assert response["content"][media]["schema"] == OPEN311_ERRORS, (path, code)
            else:
                assert "ErrorResponse" not in str(response), (path, code)
    errors = openapi_schema()["components"]["schemas"]["Open311Errors"]
    assert errors["xml"] == {"name": "errors", "wrapped": True}
    error = openapi_schema()["components"]["schemas"]["Open311Error"]
    assert error["xml"] == {"name": "error"} and error["required"] == ["code", "description"]


def test_the_checker_reads_xml_and_catches_mismatches(db):
    from tests.schema_check import xml_to_data

    schema = {"$ref": "#/components/schemas/Open311Errors"}
    good = b'<?xml version="1.0"?><errors><error><code>404</code><description>x</description></error></errors>'
    assert xml_to_data(good, schema) == [{"code": 404, "description": "x"}]
    path = "/open311/v2/discovery.xml"
    assert (
        schema_errors([{"code": 404, "description": "x"}], path, "get", 404, media_type="text/xml")
        == []
    )
    with pytest.raises(ValueError):
        xml_to_data(good.replace(b"errors>", b"oops>"), schema)
    with pytest.raises(ValueError):
        xml_to_data(good.replace(b"error>", b"err>"), schema)
    bad = xml_to_data(good.replace(b"404", b"four"), schema)
    assert schema_errors(bad, path, "get", 404, media_type="text/xml")
    extra = xml_to_data(good.replace(b"</error>", b"<hint>1</hint></error>"), schema)
    assert schema_errors(extra, path, "get", 404, media_type="text/xml")
