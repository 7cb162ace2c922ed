"""No English in the Chinese UI: every main page, rendered in zh-Hans as each test persona, shows
no Latin word outside a short allow-list (codes, units, standards, product names)."""

import re
from html.parser import HTMLParser

import pytest

from fengqiao.accounts.access import access_for
from fengqiao.cases import actions
from fengqiao.web.context import NAV_ORDER, nav_for
from tests.case_factories import make_case_world, report

pytestmark = pytest.mark.django_db

# Words a Chinese page may show as they are.
ALLOWED = {
    # formats, standards, protocols and product names
    "API",
    "REST",
    "JSON",
    "GeoJSON",
    "CSV",
    "XLSX",
    "DOCX",
    "PDF",
    "Open311",
    "GeoReport",
    "HMAC",
    "SHA",
    "TOTP",
    "OpenAPI",
    "Swagger",
    "WGS",
    "GB",
    "T",
    "ID",
    "IP",
    "URL",
    "HTTP",
    "HTTPS",
    "Leaflet",
    "ECharts",
    "OK",
    "PWA",
    "English",
    "Word",
    "Excel",
    "fengqiao",
    "Webhook",
    "webhook",
    "Token",
    "token",
    # units
    "km",
    "m",
    "kg",
    "MB",
    "KB",
    "h",
    "min",
    "s",
    "d",
}
# Codes: tracking numbers, slugs of reference data, keys, versions (any word with a digit or "_").
CODE = re.compile(r"[A-Za-z]*-?[\d_][\w.-]*")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# A textarea holds what was typed (data, e.g. a rule's JSON parameters), like an input's value.
SKIP_TAGS = {"script", "style", "code", "pre", "kbd", "samp", "noscript", "textarea"}
TEXT_ATTRS = {"title", "aria-label", "placeholder", "alt"}


class TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        if tag == "option" or not self._skip:
            self.parts += [v for k, v in attrs if k in TEXT_ATTRS and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    collector = TextCollector()
    collector.feed(html)
    text = CODE.sub(" ", " ".join(collector.parts))
    # e-mail addresses and web addresses are data, not words
    text = re.sub(r"\S+@\S+|\w+://\S+|/[\w/.-]+", " ", text)
    return {w for w in WORD.findall(text) if w not in ALLOWED}


def test_the_finder_sees_english():
    assert english_words("<p>事件 Registered</p>") == {"Registered"}
    assert english_words('<input placeholder="Search">') == {"Search"}
    assert not english_words("<p>230903 TS20260101001 API 12 km <code>foo</code></p>")
    assert not english_words("<script>var x = 1</script><p>办理中</p>")


def _pages(user) -> list[str]:
    allowed = nav_for(access_for(user))
    urls = [item.url for item in NAV_ORDER if allowed.get(item.key)]
    return [*urls, "/password/", "/account/security/"]


def _worked_case(cw, world):
    """A case with a timeline: accepted, dispatched, started, a note, resolved."""
    case = report().case
    clerk = cw.district_clerk
    case = actions.accept(clerk, case, expected_version=case.version)
    case = actions.dispatch(
        clerk, case, lead_unit=world.huayuan_station, co_units=[world.police_taoxi],
        expected_version=case.version,
    )  # fmt: skip
    return case


EXTRA = {
    "leader": [
        "/monitor/cases/?indicator=avg_handling_days",
        "/monitor/screen/",
        "/monitor/report/",
    ],
    "auditor": ["/audit/", "/audit/reads/"],
}


def test_main_pages_speak_chinese(personas, client_for, world):
    cw = make_case_world(world)
    cases = [report().case, _worked_case(cw, world)]
    found: dict[str, set[str]] = {}
    names = ("grid_worker", "station_clerk", "street_clerk", "leader", "liaison", "admin")
    for name in (*names, "security", "auditor"):
        user = getattr(personas, name)
        client = client_for(user)
        client.cookies["django_language"] = "zh-hans"
        pages = [*_pages(user), *EXTRA.get(name, [])]
        if name in ("street_clerk", "leader", "liaison"):
            pages += [f"/cases/{case.pk}/" for case in cases]
        for url in pages:
            response = client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            words = english_words(response.content.decode())
            if words:
                found[f"{name} {url}"] = words
    assert len(found) == 0, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(found.items()))
