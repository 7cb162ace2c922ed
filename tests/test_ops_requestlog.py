"""One log line per request, with the request id also returned as X-Request-ID."""

import json
import logging

import pytest

from fengqiao.core.requestlog import JsonFormatter, RequestIdFilter


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="fengqiao.request")
    return lambda: [r for r in caplog.records if r.name == "fengqiao.request"]


def test_one_line_per_request_with_id_user_status_and_duration(personas, client_for, lines):
    client = client_for(personas.leader)
    response = client.get("/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    [record] = lines()
    assert record.levelname == "INFO"
    assert record.status == 200 and record.user_id == personas.leader.pk
    assert record.method == "GET" and record.path == "/"
    assert record.duration_ms >= 0
    RequestIdFilter().filter(record)
    assert record.request_id == request_id
    assert request_id in logging.Formatter("%(request_id)s").format(record)


def test_errors_and_anonymous_requests(db, client, lines):
    client.get("/no-such-page/")
    [record] = lines()
    assert record.levelname == "WARNING" and record.status == 404 and record.user_id is None


def test_a_safe_incoming_request_id_is_kept(db, client, lines):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="lb-3f2a9c1d-0001")
    assert response["X-Request-ID"] == "lb-3f2a9c1d-0001"
    assert lines()[0].request_id == "lb-3f2a9c1d-0001"


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "has space in it", "evil\r\nSet-Cookie:a=b", "<script>alert(1)</script>"],
)
def test_an_unsafe_incoming_request_id_is_replaced(db, client, incoming):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming and len(response["X-Request-ID"]) == 32


def test_json_format(personas, client_for, lines):
    response = client_for(personas.leader).get("/")
    record = lines()[0]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "fengqiao.request"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == personas.leader.pk and line["status"] == 200
    assert line["timestamp"].endswith("+00:00") and line["duration_ms"] >= 0
    assert "GET / 200" in line["message"]


def test_log_format_setting_picks_the_formatter(monkeypatch):
    import importlib

    import fengqiao.settings as settings_module

    monkeypatch.setenv("LOG_FORMAT", "json")
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.LOGGING["handlers"]["console"]["formatter"] == "json"
        monkeypatch.setenv("LOG_FORMAT", "xml")
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            importlib.reload(settings_module)
    finally:
        monkeypatch.delenv("LOG_FORMAT")
        importlib.reload(settings_module)
