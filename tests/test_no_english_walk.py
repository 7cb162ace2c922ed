"""No English in the Chinese UI, page by page: each demo account walks every page it can reach
from its navigation (detail pages included), in zh-Hans, with the demo district's records in their
various states (cases, disputes and their sessions, agreements and documents, the judicial office's
supervision, legal questions, emergency events and tasks, registry records, key persons and
visits, campaigns and operations, responsibility letters and assessments, risk warnings), and
finds no Latin word outside test_no_english's allow-list.

The walk follows the links of each page with the Django test client (no browser): at most a few
pages of each URL shape per account (`/mediation/<n>/` is one shape), plus, for the shapes whose
records have states, one record in each state the account may open.
"""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from importlib import import_module
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation

from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Perm
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.actions import visible_mediations
from fengqiao.mediation.models import Mediation
from fengqiao.web.context import NAV_ORDER, nav_for
from tests.test_no_english import english_words

pytestmark = pytest.mark.django_db

# Each demo account (and one grid worker): every role the demo district has.
ACCOUNTS = [
    "demo_station",
    "demo_center",
    "demo_district",
    "demo_mediator",
    "demo_police",
    "demo_leader",
    "demo_admin",
    "demo_security",
    "demo_auditor",
    "demo_judicial",
    "demo_lawyer",
    "gw001",
]
# Pages of one shape an account opens (the shape: the path with numbers and the query's keys).
PER_SHAPE = 3
# Pages an account opens at most (a bound on the runtime; the walk fails when it is reached, so
# that a page never goes unchecked silently).
MAX_PAGES = 400
# Not part of the staff UI's Chinese pages, or not pages at all.
SKIP = re.compile(
    r"^/(admin|api|open311|static|i18n|health|logout)/"
    r"|/(files?|download|export|docx|pdf|xlsx|csv|geojson|tiles?|manifest|sw)(/|\.|$)"
    r"|\.(docx|pdf|xlsx|csv|json|geojson|js|css|png|webmanifest)$"
)
# Records whose pages differ by state: for each state, the first record the account may open (for
# the models with many records), or the first of each scope (community, service point, unit...),
# a 404 for an account that may not open it being skipped like any page that does not open.
STATEFUL = [
    ("fengqiao.cases.models", "Case", "visible", "/cases/{id}/"),
    ("fengqiao.mediation.models", "Mediation", "visible", "/mediation/case/{case_id}/"),
    ("fengqiao.mediation.models", "Mediation", "visible", "/mediation/supervision/{id}/"),
    ("fengqiao.legalservices.models", "Question", "point_id", "/legal/questions/{id}/"),
    ("fengqiao.emergency.models", "Event", "region_id", "/emergency/events/{id}/"),
    ("fengqiao.emergency.models", "Event", "region_id", "/emergency/events/{id}/situation/"),
    ("fengqiao.accountability.models", "Letter", "member_unit_id", "/accountability/letters/{id}/"),
    ("fengqiao.risk.models", "Assessment", "region_id", "/risk/assessments/{id}/"),
    ("fengqiao.risk.models", "Warning", "grid_id", "/risk/warnings/{id}/"),
    ("fengqiao.campaigns.models", "Campaign", "region_id", "/campaigns/{id}/"),
]


def visible(user: User, model) -> QuerySet:
    if model is Mediation:
        return visible_mediations(user)
    return access_for(user).visible(model.objects.all(), Perm.CASE_VIEW)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = ",".join(sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}))
    return re.sub(r"\d+", "<n>", parts.path) + ("?" + keys if keys else "")


def local(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if SKIP.search(parts.path):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def state_seeds(user: User) -> list[str]:
    """Records of each state of the models whose pages differ by state (see STATEFUL)."""
    seeds = []
    for module, name, scope, url in STATEFUL:
        model = getattr(import_module(module), name)
        rows = visible(user, model) if scope == "visible" else model.objects.all()
        first: dict[tuple, dict] = {}
        for row in rows.order_by("pk").values():
            first.setdefault((row["state"], row.get(scope)), row)
        seeds += [url.format(**row) for row in first.values()]
    return seeds


def mediations_in_every_state() -> None:
    """The demo's disputes are agreed or in session; add, through the mediation actions, one
    registered, accepted, refused, withdrawn and failed at demo_mediator's committee."""
    from fengqiao.cases import actions as case_actions
    from fengqiao.demo.cases import Places, _Loader
    from fengqiao.demo.clock import Clock
    from fengqiao.demo.disputes import _actors
    from fengqiao.demo.mediators import DEMO_COMMITTEE
    from fengqiao.mediation import actions
    from fengqiao.mediation.models import Mediator, RightsNotice, StartMode
    from fengqiao.territory.models import Region

    places = Places(Region.objects.get(code="230903000000"))
    loader = _Loader(places, _actors(), Clock())
    committee = next(u for u in places.unit_by_pk.values() if u.name == DEMO_COMMITTEE)
    members = Mediator.objects.filter(committee=committee, active=True).select_related("user")
    lead = members.get(user__username="demo_mediator")
    second = members.exclude(pk=lead.pk).order_by("pk").first()
    grid = next(g for g in places.grids if places.street(g).pk == places.taoxi.pk)
    office = loader.a.district

    def dispute(code: str):
        data = loader._intake_data(loader.categories[code], grid, public=False)
        case = case_actions.intake(office, data, "hotline_12345").case
        case = case_actions.accept(office, case, expected_version=case.version)
        case = case_actions.dispatch(office, case, lead_unit=committee,
                                     expected_version=case.version)  # fmt: skip
        return actions.start(lead.user, case, committee=committee, mode=StartMode.APPLICATION,
                             application_text="申请调解。")  # fmt: skip

    dispute("neighbourhood")  # registered
    accepted = actions.accept(lead.user, dispute("neighbourhood"))
    refused = actions.accept(lead.user, dispute("neighbourhood"))
    actions.refuse(lead.user, refused, party=refused.case.parties.first(), reason="不愿调解")
    for code, end in (("neighbourhood", "withdraw"), ("property_management", "failure")):
        m = actions.accept(lead.user, dispute(code))
        m = actions.assign(lead.user, m, mediators=[lead, second], lead=lead)
        for party in m.case.parties.all():
            actions.deliver_notice(lead.user, m, party=party,
                                   method=RightsNotice.Method.IN_PERSON)  # fmt: skip
        if end == "withdraw":
            actions.withdraw(lead.user, m, reason="申请人撤回申请")
        else:
            actions.record_failure(lead.user, m, reason="双方分歧较大")
    assert accepted


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    """The demo district, loaded once for the module and rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo", stdout=StringIO())
            mediations_in_every_state()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def walk(client, user: User) -> tuple[dict[str, set[str]], list[str]]:
    allowed = nav_for(access_for(user))
    start = ["/", *(item.url for item in NAV_ORDER if allowed.get(item.key))]
    start += ["/password/", "/account/security/", *state_seeds(user)]
    queue = deque(dict.fromkeys(start))
    seen = set(queue)
    per_shape: Counter[str] = Counter()
    found: dict[str, set[str]] = {}
    opened: list[str] = []
    while queue:
        url = queue.popleft()
        key = shape(url)
        if per_shape[key] >= PER_SHAPE and url not in start:
            continue
        per_shape[key] += 1
        assert len(opened) < MAX_PAGES, f"{user.username}: more than {MAX_PAGES} pages"
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        opened.append(url)
        html = response.content.decode()
        words = english_words(html)
        if words:
            found[url] = words
        for href in links(html):
            target = local(href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return found, opened


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_an_account_reaches_speaks_chinese(demo_district, client_for, username):
    user = User.objects.get(username=username)
    client = client_for(user)
    client.cookies["django_language"] = "zh-hans"
    found, opened = walk(client, user)
    assert len(opened) > 3, opened  # the walk went somewhere
    assert len(found) == 0, "\n".join(f"{url}: {sorted(w)}" for url, w in sorted(found.items()))


# A key of the code as recorded ("legal_aid", "draft"): test_no_english lets words with "_" pass
# as codes, the audit trail must not show them.
CODE_KEY = re.compile(r"(?<![A-Za-z0-9])[a-z]{2,}(?:_[a-z0-9]+)*(?![A-Za-z0-9])")


def in_words(text: object) -> bool:
    return not english_words(f"<p>{text}</p>") and not CODE_KEY.search(str(text))


def test_every_audit_entry_of_the_demo_district_is_named_in_words(demo_district):
    """The walk reads the audit trail's first pages; every entry the demo district's loading and
    its actions wrote is checked here: its action, object type, object and keys, and each value
    that is a key of the code (draft, activate, legal_aid…), are shown in Chinese."""
    unnamed: set[tuple] = set()
    with translation.override("zh-hans"):
        entries = AuditEntry.objects.all()
        assert entries.count() > 100
        for e in entries.iterator():
            t = e.object_type
            if not in_words(audit.action_label(e.action)):
                unnamed.add(("action", e.action))
            if not in_words(audit.type_label(t)):
                unnamed.add(("object type", t))
            if not in_words(e.object_repr):
                unnamed.add(("object", t, e.object_repr))
            for key, value in (e.changes or {}).items():
                if not in_words(audit.key_label(t, key)):
                    unnamed.add(("key", t, key))
                if audit.is_data(t, key):
                    continue  # shown as the data it is
                for v in value if isinstance(value, list) and len(value) == 2 else [value]:
                    if isinstance(v, str) and not in_words(audit.value_label(t, key, v)):
                        unnamed.add(("value", t, key, v))
    assert not unnamed, "\n".join(map(str, sorted(unnamed)))
