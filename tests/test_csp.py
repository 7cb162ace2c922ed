"""Content-Security-Policy: the header is sent, and no page holds inline script.

Renders the main pages as each test persona (every entry of their navigation, plus the pages
every account has) and fails on any <script> without src (JSON data blocks excepted), any on*
event attribute and any hx-on attribute.
"""

from html.parser import HTMLParser

import pytest
from django.test import Client

from fengqiao.accounts.access import access_for
from fengqiao.web.context import NAV_ORDER, nav_for
from tests.case_factories import report

pytestmark = pytest.mark.django_db

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
        if tag == "script":
            kind = (names.get("type") or "").lower()
            if not names.get("src") and kind not in DATA_SCRIPT_TYPES:
                self.found.append(f"<script> without src: {self.get_starttag_text()}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def inline_scripts(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder.found


def test_the_checker_sees_inline_script():
    assert inline_scripts("<script>alert(1)</script>")
    assert inline_scripts('<button onclick="x()">')
    assert inline_scripts('<div hx-on:click="x()">')
    assert not inline_scripts('<script src="/static/a.js"></script>')
    assert not inline_scripts('<script id="d" type="application/json">{}</script>')


def _pages(user) -> list[str]:
    allowed = nav_for(access_for(user))
    urls = [item.url for item in NAV_ORDER if allowed.get(item.key)]
    return [*urls, "/password/", "/account/security/"]


def test_main_pages_have_no_inline_script(personas, client_for, world):
    case = report().case
    for name in ("grid_worker", "station_clerk", "street_clerk", "leader", "liaison", "admin"):
        user = getattr(personas, name)
        client = client_for(user)
        pages = _pages(user)
        if name in ("street_clerk", "leader"):
            pages.append(f"/cases/{case.pk}/")
        for url in pages:
            response = client.get(url, follow=True)
            assert response.status_code == 200, (name, url, response.status_code)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            found = inline_scripts(response.content.decode())
            assert not found, (name, url, found)


def test_public_and_docs_pages_have_no_inline_script(world):
    client = Client()
    for url in ("/login/", "/report/", "/track/", "/api/docs/", "/api/redoc/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert not inline_scripts(response.content.decode()), url


def test_csp_and_security_headers_present(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
