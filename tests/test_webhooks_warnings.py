"""Open warnings feed the webhooks: raised, acknowledged and closed are delivered like case
events, to subscriptions whose region holds the warning and whose owner may see warnings
there; the payload carries no title, evidence, note or name."""

import json

import pytest

from fengqiao.risk import actions as risk
from fengqiao.risk.models import Level
from fengqiao.webhooks.models import Delivery, DeliveryState, WebhookEvent
from fengqiao.webhooks.services import create_subscription
from fengqiao.webhooks.warning_events import collect_warning_events
from tests.case_factories import make_case_world, use_immediate_tasks
from tests.test_registry import HUAYUAN_1
from tests.webhook_helpers import start_receiver

TYPES = ["warning.raised", "warning.acknowledged", "warning.closed"]


@pytest.fixture
def cw(world, personas, settings):
    use_immediate_tasks(settings)
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    return make_case_world(world)


@pytest.fixture
def receiver():
    rec, server = start_receiver()
    yield rec
    server.shutdown()
    server.server_close()


def collect(capture) -> list[int]:
    with capture(execute=True):
        return collect_warning_events()


def test_warning_lifecycle_is_delivered_public_safe_and_scoped(
    cw, world, receiver, django_capture_on_commit_callbacks
):
    create_subscription(
        cw.district_clerk, name="省平台", url=receiver.url, event_types=TYPES,
        region_code=world.taoxi.code,
    )  # fmt: skip
    # A subscription on the other street hears nothing of this warning.
    create_subscription(
        cw.district_clerk, name="桃南", url=receiver.url + "other", event_types=TYPES,
        region_code=world.taonan.code,
    )  # fmt: skip
    w = risk.raise_manual(
        cw.huayuan_clerk,
        {"level": Level.HIGH, "title": "张三扬言报复", "note": "电话13900001111",
         "grid": world.grids[HUAYUAN_1], "target_unit": world.huayuan_station},
    )  # fmt: skip
    collect(django_capture_on_commit_callbacks)
    assert [r.json["event"] for r in receiver.requests] == ["warning.raised"]
    body = receiver.requests[0].json
    assert body["warning"]["id"] == w.pk and body["warning"]["level"] == "high"
    assert body["warning"]["grid"] == HUAYUAN_1
    raw = json.dumps(body, ensure_ascii=False)
    assert "张三" not in raw and "13900001111" not in raw and "扬言" not in raw
    assert all(r.path == "/" or not r.path.endswith("other") for r in receiver.requests)

    risk.move_warning(cw.huayuan_clerk, w.pk, "acknowledge")
    risk.move_warning(cw.huayuan_clerk, w.pk, "close", note="已化解，当事人张三已稳控")
    collect(django_capture_on_commit_callbacks)
    events = [r.json["event"] for r in receiver.requests]
    assert events == ["warning.raised", "warning.acknowledged", "warning.closed"]
    assert "稳控" not in receiver.requests[-1].body.decode()
    assert receiver.requests[-1].json["warning"]["state"] == "closed"
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == 3
    # Read again: nothing new.
    assert collect(django_capture_on_commit_callbacks) == []
    assert WebhookEvent.objects.filter(type__startswith="warning.").count() == 3


def test_subscriber_wanting_only_case_events_gets_no_warning(
    cw, world, personas, receiver, django_capture_on_commit_callbacks
):
    # Only case types wanted: no warning event.
    create_subscription(
        cw.district_clerk, name="案件", url=receiver.url, event_types=["case.created"],
        region_code=world.taoxi.code,
    )  # fmt: skip
    risk.raise_manual(
        cw.huayuan_clerk,
        {"level": Level.LOW, "title": "x", "grid": world.grids[HUAYUAN_1]},
    )
    collect(django_capture_on_commit_callbacks)
    assert receiver.requests == [] and not WebhookEvent.objects.exists()
