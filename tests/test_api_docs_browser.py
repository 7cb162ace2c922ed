"""Swagger UI and Redoc render in a real browser with every request to our own server only."""

import os

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told it is safe (the test does no concurrent database work).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize(
    ("url", "rendered"),
    [
        # Tags are folded: the "me" tag opens on a click (see below).
        ("/api/docs/", ".opblock-summary-path[data-path='/api/v1/me/']"),
        ("/api/redoc/", "[data-section-id='tag/me/operation/me_retrieve']"),
    ],
)
def test_docs_render_offline(live_server, browser, url, rendered):
    page = browser.new_page()
    outside: list[str] = []

    def only_our_server(route):
        if route.request.url.startswith(live_server.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto(f"{live_server.url}{url}")
    if url == "/api/docs/":
        page.click(".opblock-tag[data-tag='me']", timeout=20000)
    page.wait_for_selector(rendered, timeout=20000)
    page.wait_for_load_state("networkidle")
    assert outside == []
    page.close()
