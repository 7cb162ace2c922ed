"""Staff sessions end after SESSION_IDLE_MINUTES idle and SESSION_MAX_HOURS after login."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from tests.factories import PASSWORD


class Clock:
    """A frozen clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock():
    c = Clock()
    with mock.patch("fengqiao.web.sessions.timezone.now", c):
        yield c


@pytest.fixture
def logged_in(personas, client, clock):
    assert client.post("/login/", {"username": "leader", "password": PASSWORD}).status_code == 302
    return client


def test_defaults(settings):
    assert settings.SESSION_IDLE_MINUTES == 30 and settings.SESSION_MAX_HOURS == 12


def test_idle_session_ends(logged_in, clock):
    clock.advance(minutes=29)
    assert logged_in.get("/").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after login, but each gap is under 30
    assert logged_in.get("/").status_code == 200
    clock.advance(minutes=31)
    response = logged_in.get("/cases/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/cases/"
    assert "_auth_user_id" not in logged_in.session
    assert "登录已超时" in logged_in.get("/login/").content.decode()


def test_session_ends_after_its_lifetime_even_when_busy(logged_in, clock):
    for _ in range(12 * 4 - 1):
        clock.advance(minutes=15)
        assert logged_in.get("/").status_code == 200
    clock.advance(minutes=16)  # 12 h 1 min after login
    assert logged_in.get("/").status_code == 302
    assert "_auth_user_id" not in logged_in.session


def test_settings_change_the_limits(logged_in, clock, settings):
    settings.SESSION_IDLE_MINUTES = 5
    clock.advance(minutes=6)
    assert logged_in.get("/").status_code == 302


def test_api_session_call_after_timeout_is_anonymous(logged_in, clock):
    clock.advance(hours=1)
    response = logged_in.get("/api/v1/territory/grids/")
    assert response.status_code in (401, 403)
    assert "_auth_user_id" not in logged_in.session


def test_logging_in_again_starts_a_new_session(logged_in, client, clock):
    clock.advance(hours=13)
    assert client.get("/").status_code == 302
    assert client.post("/login/", {"username": "leader", "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
