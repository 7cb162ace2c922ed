"""One JSON error shape for every API error, in the user's language."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from django.utils import translation
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from fengqiao.api.errors import api_exception_handler, flatten
from fengqiao.api.models import ApiToken
from fengqiao.api.tokens import issue_token

TOKENS = "/api/v1/tokens/"


def only_error(resp, status: int) -> dict:
    """The single error of an error answer, after checking the shape strictly."""
    assert resp.status_code == status
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"errors"}
    (err,) = body["errors"]
    assert set(err) == {"field", "code", "message"}
    assert isinstance(err["message"], str) and err["message"]
    return err


@pytest.fixture
def admin_client(personas):
    return Client(HTTP_AUTHORIZATION=f"Token {issue_token(personas.security, actor=None).secret}")


def test_malformed_json_is_400_not_500(admin_client):
    resp = admin_client.post(TOKENS, '{"name": "x",', content_type="application/json")
    err = only_error(resp, 400)
    assert err["code"] == "parse_error" and err["field"] is None
    assert ApiToken.objects.count() == 1  # only the client's own


def test_unsupported_media_type_is_415(admin_client):
    resp = admin_client.post(TOKENS, "name=x", content_type="text/plain")
    assert only_error(resp, 415)["code"] == "unsupported_media_type"


def test_wrong_method_is_405_with_allow(admin_client):
    resp = admin_client.put("/api/v1/territory/grids/", {}, content_type="application/json")
    err = only_error(resp, 405)
    assert err["code"] == "method_not_allowed"
    assert "GET" in resp["Allow"]


def test_missing_object_is_404(admin_client):
    err = only_error(admin_client.delete(f"{TOKENS}999999/"), 404)
    assert err == {"field": None, "code": "not_found", "message": "未找到。"}


def test_unknown_api_url_is_404_in_the_shape(admin_client):
    err = only_error(admin_client.get("/api/v1/no-such-thing/"), 404)
    assert err["code"] == "not_found"


def test_validation_errors_name_each_field(admin_client):
    resp = admin_client.post(
        TOKENS, {"name": "x" * 101, "read_only": "perhaps"}, content_type="application/json"
    )
    assert resp.status_code == 400
    errors = {e["field"]: e for e in resp.json()["errors"]}
    assert set(errors) == {"name", "read_only"}
    assert errors["name"]["code"] == "max_length"
    assert errors["read_only"]["code"] == "invalid"
    assert ApiToken.objects.count() == 1


def test_unauthenticated_message_follows_the_language(db):
    # Default: Simplified Chinese.
    err = only_error(Client().get("/api/v1/me/"), 401)
    assert err["code"] == "not_authenticated" and err["message"] == "身份认证信息未提供。"
    # Accept-Language.
    err = only_error(Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me/"), 401)
    assert err["message"] == "Authentication credentials were not provided."
    # The language chosen with the UI's language switch (cookie) wins over the header.
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert only_error(c.get("/api/v1/me/"), 401)["message"].startswith("Authentication")


def test_validation_message_in_english_on_request(admin_client):
    resp = admin_client.post(
        TOKENS, {"name": "x" * 101}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "100" in resp.json()["errors"][0]["message"]
    assert resp.json()["errors"][0]["message"].startswith("Ensure")


def test_flatten_nested_details_as_dotted_paths():
    detail = {
        "non_field_errors": [ErrorDetail("Dates overlap.", code="overlap")],
        "address": {"street": [ErrorDetail("Required.", code="required")]},
        "parties": [{}, {"phone": [ErrorDetail("Bad phone.", code="invalid_phone")]}],
        "tags": {"1": [ErrorDetail("Unknown.", code="unknown")]},
    }
    assert flatten(detail) == [
        {"field": None, "code": "overlap", "message": "Dates overlap."},
        {"field": "address.street", "code": "required", "message": "Required."},
        {"field": "parties.1.phone", "code": "invalid_phone", "message": "Bad phone."},
        {"field": "tags.1", "code": "unknown", "message": "Unknown."},
    ]


def handle(exc):
    with translation.override("zh-hans"):
        return api_exception_handler(exc, {})


def test_django_validation_error_is_400():
    resp = handle(
        DjangoValidationError(
            {
                "phone": [DjangoValidationError("Not a phone number.", code="invalid_phone")],
                "__all__": [DjangoValidationError("Inconsistent.", code="inconsistent")],
            }
        )
    )
    assert resp.status_code == 400
    assert resp.data == {
        "errors": [
            {"field": "phone", "code": "invalid_phone", "message": "Not a phone number."},
            {"field": None, "code": "inconsistent", "message": "Inconsistent."},
        ]
    }
    plain = handle(DjangoValidationError("Too late."))
    assert plain.data["errors"] == [{"field": None, "code": "invalid", "message": "Too late."}]


class TransitionError(Exception):
    status_code = 409

    def __init__(self, message, *, code="invalid_transition", field=None):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


class PlainDomainError(Exception):
    def __init__(self):
        self.field, self.code, self.message = "deadline", "past", "In the past."


def test_domain_errors_follow_the_protocol():
    resp = handle(TransitionError("A closed case cannot be assigned."))
    assert resp.status_code == 409
    assert resp.data["errors"] == [
        {
            "field": None,
            "code": "invalid_transition",
            "message": "A closed case cannot be assigned.",
        }
    ]
    resp = handle(PlainDomainError())
    assert resp.status_code == 400
    assert resp.data["errors"] == [{"field": "deadline", "code": "past", "message": "In the past."}]


def test_other_exceptions_are_left_alone():
    assert handle(RuntimeError("boom")) is None


def test_throttled_is_429_with_retry_after():
    resp = handle(exceptions.Throttled(wait=7))
    assert resp.status_code == 429
    assert resp["Retry-After"] == "7"
    (err,) = resp.data["errors"]
    assert err["code"] == "throttled" and err["field"] is None


def test_unexpected_server_error_is_json_too(personas, monkeypatch, settings):
    settings.DEBUG = False
    from fengqiao.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "issue_token", broken)
    secret = issue_token(personas.security, actor=None).secret
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}", raise_request_exception=False)
    resp = client.post(TOKENS, {"name": "x"}, content_type="application/json")
    assert only_error(resp, 500)["code"] == "server_error"


def test_pages_outside_the_api_keep_their_own_errors(client_for, personas):
    resp = client_for(personas.security).get("/no-such-page/")
    assert resp.status_code == 404
    assert resp["Content-Type"].startswith("text/html")
