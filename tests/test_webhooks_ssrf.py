"""Webhook URLs never reach private networks (SSRF): refused when subscribing, and checked again
against the resolved address at every delivery (DNS rebinding), unless
WEBHOOK_ALLOW_PRIVATE_HOSTS."""

import ipaddress
import socket

import pytest

from fengqiao.cases import actions as cases
from fengqiao.webhooks import hosts
from fengqiao.webhooks.events import collect_events
from fengqiao.webhooks.models import Delivery, DeliveryAttempt, DeliveryState, Subscription
from fengqiao.webhooks.services import create_subscription
from tests.case_factories import case_data, make_case_world, use_immediate_tasks
from tests.webhook_helpers import start_receiver

URL = "/api/v1/webhooks/subscriptions/"
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """A fake DNS: names map to addresses; unknown names do not resolve. Counts lookups."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = hosts.resolve

    def resolve(host: str, port: int, *, numeric_only: bool = False) -> list[str]:
        if numeric_only:
            return real(host, port, numeric_only=True)
        lookups.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    monkeypatch.setattr(hosts, "resolve", resolve)
    table["lookups"] = lookups  # type: ignore[assignment]
    return table


def body(region, url):
    return {"name": "省平台", "url": url, "event_types": ["case.created"], "region": region.code}


def post(client, data):
    return client.post(URL, data, content_type="application/json")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "https://10.1.2.3/hook",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
        "http://224.0.0.1/",  # multicast
        "http://240.0.0.1/",  # reserved
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://127.1/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://intranet.example.org/",  # resolves to a private address
    ],
)
def test_private_hosts_are_refused_when_subscribing(world, personas, client_for, dns, url):
    dns["intranet.example.org"] = ["10.0.0.5"]
    client = client_for(personas.street_clerk)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    resp = post(client, body(world.taoxi, url))
    assert resp.status_code == 400, resp.content
    (error,) = resp.json()["errors"]
    assert (error["field"], error["code"]) == ("url", "private_host")
    assert "private" in error["message"]
    assert not Subscription.objects.exists()


def test_the_message_is_in_chinese_by_default(world, personas, client_for, dns):
    resp = post(client_for(personas.street_clerk), body(world.taoxi, "http://10.0.0.1/"))
    assert resp.status_code == 400
    assert "私有" in resp.json()["errors"][0]["message"]


def test_public_and_not_yet_resolvable_hosts_are_accepted(world, personas, client_for, dns):
    dns["hooks.example.org"] = [PUBLIC_IP, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    client = client_for(personas.street_clerk)
    for url in (
        "https://hooks.example.org/fengqiao",
        f"http://{PUBLIC_IP}:8080/hook",
        "http://[2001:4860:4860::8888]/hook",
        "https://not-yet.example.org/hook",  # checked again at delivery
    ):
        resp = post(client, body(world.taoxi, url))
        assert resp.status_code == 201, (url, resp.content)
    assert Subscription.objects.count() == 4


def test_one_private_address_among_public_ones_is_refused(world, personas, client_for, dns):
    dns["mixed.example.org"] = [PUBLIC_IP, "192.168.0.10"]
    resp = post(client_for(personas.street_clerk), body(world.taoxi, "http://mixed.example.org/"))
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == "url"


def test_the_setting_allows_private_hosts(world, personas, client_for, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    resp = post(client_for(personas.street_clerk), body(world.taoxi, "http://127.0.0.1:9/hook"))
    assert resp.status_code == 201, resp.content


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        (PUBLIC_IP, False),
        ("2001:4860:4860::8888", False),
        ("127.0.0.2", True),
        ("10.255.255.255", True),
        ("198.18.0.1", True),  # benchmarking
        ("192.0.2.1", True),  # documentation
        ("239.255.255.250", True),
        ("::", True),
        # Teredo: the client address inside, inverted, is 192.0.2.45 (documentation).
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),
    ],
)
def test_refused_address(address, refused):
    assert hosts.refused_address(ipaddress.ip_address(address)) is refused


# -- at delivery --------------------------------------------------------------------------------


@pytest.fixture
def cw(world, personas, settings):
    use_immediate_tasks(settings)
    return make_case_world(world)


@pytest.fixture
def receiver():
    rec, server = start_receiver()
    yield rec
    server.shutdown()
    server.server_close()


def deliver(cw, capture) -> DeliveryAttempt:
    cases.intake(cw.huayuan_clerk, case_data(), "screening")
    with capture(execute=True):
        collect_events()
    return DeliveryAttempt.objects.get()


def test_dns_rebinding_is_refused_at_delivery_and_logged(
    cw, world, receiver, dns, django_capture_on_commit_callbacks
):
    port = receiver.url.split(":")[2].split("/")[0]
    dns["hooks.example.org"] = [PUBLIC_IP]
    create_subscription(
        cw.district_clerk,
        name="省平台",
        url=f"http://hooks.example.org:{port}/hook",
        event_types=["case.created"],
        region_code=world.district.code,
    )
    # After the check the name now answers with the loopback address, where a receiver listens.
    dns["hooks.example.org"] = ["127.0.0.1"]
    log = deliver(cw, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not log.success and log.status_code is None
    assert log.error.startswith("HostRefused:") and "127.0.0.1" in log.error
    delivery = Delivery.objects.get()
    # A failure like any other: retried later with back-off, replayable once given up.
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at is not None


def test_delivery_goes_to_the_checked_address_only(
    cw, world, receiver, dns, settings, django_capture_on_commit_callbacks
):
    # With private hosts allowed, the POST still connects to the address that was resolved and
    # checked (the fake DNS): a second, real lookup of this name would find nothing.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    port = receiver.url.split(":")[2].split("/")[0]
    dns["hooks.example.org"] = ["127.0.0.1"]
    create_subscription(
        cw.district_clerk,
        name="省平台",
        url=f"http://hooks.example.org:{port}/hook?x=1",
        event_types=["case.created"],
        region_code=world.district.code,
    )
    log = deliver(cw, django_capture_on_commit_callbacks)
    assert log.success and log.status_code == 200, log.error
    (got,) = receiver.requests
    assert got.path == "/hook?x=1"
    assert got.headers["Host"] == f"hooks.example.org:{port}"
    assert dns["lookups"] == ["hooks.example.org"]  # one lookup, at delivery


def test_unresolvable_host_at_delivery_is_logged(
    cw, world, dns, django_capture_on_commit_callbacks
):
    create_subscription(
        cw.district_clerk,
        name="省平台",
        url="https://gone.example.org/hook",
        event_types=["case.created"],
        region_code=world.district.code,
    )
    log = deliver(cw, django_capture_on_commit_callbacks)
    assert not log.success and log.error.startswith("gaierror:")
