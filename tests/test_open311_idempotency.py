"""Open311 POST with a client idempotency token (extension): a retried report is not doubled."""

import pytest
from django.test import Client

from fengqiao.cases.models import Case
from fengqiao.open311.clients import issue_client
from tests.test_open311_api import BASE, error_of, parse, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_key(world, resident_channel):
    return issue_client("居民随手拍", resident_channel, actor=None).secret


@pytest.fixture
def resident_channel(db):
    from fengqiao.cases.models import Channel

    return Channel.objects.get(code="resident_report")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_retried_report_with_a_form_token_is_not_doubled(app_key, fmt):
    first = post(fmt, app_key, idempotency_key="report-1")
    assert first.status_code == 200
    again = post(fmt, app_key, idempotency_key="report-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Case.objects.count() == 1


def test_the_header_works_too(app_key):
    client = Client(HTTP_IDEMPOTENCY_KEY="hdr-1")
    data = {
        "service_code": "construction_disturbance",
        "description": "工地夜间施工噪音扰民",
        "address_string": "花园社区松林小区",
        "phone": "13904641234",
        "api_key": app_key,
    }
    ids = {parse(client.post(f"{BASE}requests.json", data))[0]["service_request_id"] for _ in "abc"}
    assert len(ids) == 1 and Case.objects.count() == 1


def test_without_a_token_each_post_creates(app_key):
    post("json", app_key)
    post("json", app_key)
    assert Case.objects.count() == 2


def test_same_token_other_report_is_422_and_tokens_are_per_client(app_key, resident_channel):
    assert post("json", app_key, idempotency_key="t").status_code == 200
    assert "idempotency_key" in error_of(
        post("json", app_key, idempotency_key="t", description="另一件事情完全不同"), 422
    )
    other = issue_client("另一个应用", resident_channel, actor=None).secret
    assert post("json", other, idempotency_key="t").status_code == 200
    assert Case.objects.count() == 2


def test_bad_input_answer_is_replayed_and_creates_nothing(app_key):
    first = post("json", app_key, idempotency_key="bad", lat="95")
    assert first.status_code == 400
    assert post("json", app_key, idempotency_key="bad", lat="95").status_code == 400
    assert not Case.objects.exists()


def test_invalid_token_is_400(app_key):
    assert "idempotency_key" in error_of(post("json", app_key, idempotency_key="é" * 3), 400)
