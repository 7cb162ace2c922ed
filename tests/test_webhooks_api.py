"""The subscription API: own subscriptions only, regions inside the owner's scope, http(s) URLs."""

import pytest

from fengqiao.core.models import AuditEntry
from fengqiao.webhooks.models import Subscription

URL = "/api/v1/webhooks/subscriptions/"


def body(region, **over):
    data = {
        "name": "12345热线",
        "url": "https://hotline.example.org/hooks/fengqiao",
        "event_types": ["case.created", "case.closed"],
        "region": region.code,
    }
    data.update(over)
    return data


def post(client, data, **extra):
    return client.post(URL, data, content_type="application/json", **extra)


def test_create_list_delete_own(world, personas, client_for):
    c = client_for(personas.street_clerk)
    resp = post(c, body(world.huayuan), HTTP_IDEMPOTENCY_KEY="sub-1")
    assert resp.status_code == 201, resp.content
    created = resp.json()
    assert len(created["secret"]) == 64
    assert created["region"] == world.huayuan.code
    sub = Subscription.objects.get()
    assert sub.secret == created["secret"] and sub.owner == personas.street_clerk
    assert AuditEntry.objects.filter(object_id=str(sub.pk)).exists()
    assert created["secret"] not in str(AuditEntry.objects.values_list("changes", flat=True)[0])

    # A retry with the same key creates nothing and does not show the secret again.
    again = post(c, body(world.huayuan), HTTP_IDEMPOTENCY_KEY="sub-1")
    assert again.status_code == 201 and again.json()["secret"] is None
    assert Subscription.objects.count() == 1

    listed = c.get(URL).json()
    assert [s["id"] for s in listed["results"]] == [sub.pk]
    assert "secret" not in listed["results"][0]
    # Others neither see nor delete it.
    other = client_for(personas.station_clerk)
    assert other.get(URL).json()["results"] == []
    assert other.delete(f"{URL}{sub.pk}/").status_code == 404
    assert c.delete(f"{URL}{sub.pk}/").status_code == 204
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "persona,region",
    [("outsider", "district"), ("station_clerk", "huayuan"), ("street_clerk", "taonan")],
)
def test_region_outside_scope_is_refused(world, personas, client_for, persona, region):
    resp = post(client_for(getattr(personas, persona)), body(getattr(world, region)))
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == "region"
    assert resp.json()["errors"][0]["code"] == "out_of_scope"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:25/",
        "https://",
        "not a url",
        "http://exa mple.org/",
        "http://example.org:99999/",
    ],
)
def test_non_http_urls_are_refused(world, personas, client_for, url):
    resp = post(client_for(personas.street_clerk), body(world.taoxi, url=url))
    assert resp.status_code == 400, resp.content
    assert resp.json()["errors"][0]["field"] == "url"
    assert not Subscription.objects.exists()


def test_unknown_event_type_is_refused(world, personas, client_for):
    resp = post(client_for(personas.street_clerk), body(world.taoxi, event_types=["case.eaten"]))
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"].startswith("event_types")
    assert not Subscription.objects.exists()


def test_anonymous_is_401(world):
    from django.test import Client

    assert Client().get(URL).status_code == 401
