"""In Chromium, under the real Content-Security-Policy: an administrator sets up two-factor login
at first login (QR code, code, recovery codes), then switches the language (the select that
submits itself, moved out of an inline handler); no CSP violation is reported on any page."""

import os

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots import SHOTS
from tests.factories import PASSWORD, make_personas, make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = SHOTS


def test_admin_sets_up_two_factor_login_under_csp(live_server, settings):
    from playwright.sync_api import sync_playwright

    settings.TWO_FACTOR_REQUIRED_ROLES = ["admin", "leader"]
    settings.AXES_ENABLED = False
    personas = make_personas(make_world())
    url = live_server.url
    violations: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{url}/login/")
        page.fill("#id_username", personas.admin.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/account/security/")
        assert "您的角色要求使用双因素登录" in page.content()
        page.click("text=设置双因素登录")
        page.wait_for_selector(".qr svg")
        page.screenshot(path=str(SCREENSHOTS / "two-factor-qr.png"), full_page=True)
        device = TOTPDevice.objects.get(user=personas.admin, confirmed=False)
        code = totp(device.bin_key, device.step, device.t0, device.digits, 0)
        page.fill("#id_code", f"{code:06d}")
        page.click("text=开启双因素登录")
        page.wait_for_selector(".recovery-codes")
        assert page.locator(".recovery-codes li").count() == 10
        page.screenshot(path=str(SCREENSHOTS / "two-factor-codes.png"), full_page=True)
        page.goto(f"{url}/")
        assert "我的待办" in page.content() or page.url == f"{url}/"
        # The language switch submits itself (a handler in nav.js, not onchange=).
        with page.expect_navigation():
            page.select_option("#lang-select", "en")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "js" in (page.locator("html").get_attribute("class") or "")
        page.goto(f"{url}/territory/")
        page.goto(f"{url}/api/docs/")
        page.wait_for_selector(".swagger-ui", timeout=15000)
        browser.close()
    assert not violations, violations
