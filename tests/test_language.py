"""The UI speaks Simplified Chinese by default; English only when the user chooses it."""

from django.conf import settings


def test_login_page_is_chinese_even_for_an_english_browser(client, db):
    resp = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert resp.status_code == 200
    assert "登录" in resp.content.decode()


def test_english_when_chosen(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = client.get("/login/")
    assert "Log in" in resp.content.decode()


def test_api_follows_accept_language(client, db):
    resp = client.get("/api/v1/territory/grids/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code in (401, 403)
    assert resp.headers["Content-Language"] == "en"
