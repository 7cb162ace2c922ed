"""Access follows the work, not only the territory (issue 12).

A unit sees the cases its members reported and the cases it holds a task on; a user sees the
cases they reported; a unit working a task sees unmasked exactly the fields the task needs
(who to reach and where), each read logged. Outsiders (another unit, an account without a role)
still see nothing, on every view and endpoint: `test_outsiders_get_nothing_from_any_url` walks
the whole URL configuration.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import actions as services
from fengqiao.cases.models import Case, Party, Task
from fengqiao.cases.workflow import in_scope_known
from fengqiao.core.models import SensitiveAccess
from tests.case_factories import (
    HEPAN_POINT,
    SONGSHAN_POINT,
    VALID_ID,
    make_case_world,
    report,
)

API = "/api/v1/cases/"
VULNERABLE = {
    "party_type": "person",
    "role": "applicant",
    "name": "孤老张大爷",
    "id_type": "citizen_id",
    "id_number": VALID_ID,
    "phone": "13600005432",
    "address": "花园社区松林小区3栋",
    "is_vulnerable": True,
    "notes": "独居，行动不便",
}


@pytest.fixture
def cw(world):
    return make_case_world(world)


def test_police_liaison_sees_the_hand_over_case_it_created(world, personas, cw, client_for):
    # 110 hands a dispute in 河畔社区 (桃南街道) over: not the police station's territory, and
    # routed to the district center, not to the police station.
    case = report(personas.liaison, channel="police_110", lon=HEPAN_POINT[0], lat=HEPAN_POINT[1])
    case = case.case
    assert case.handling_unit_id != world.police_taoxi.pk
    liaison = client_for(personas.liaison)
    assert liaison.get(f"{API}{case.pk}/").status_code == 200
    assert liaison.get(f"/cases/{case.pk}/").status_code == 200
    listed = liaison.get(API).json()
    assert case.pk in [row["id"] for row in listed["results"]]
    # A colleague of the same unit sees it too; another unit's liaison and an outsider do not.
    from tests.factories import assign, make_user

    colleague = make_user("liaison_police_2", unit=world.police_taoxi)
    assign(colleague, "unit_liaison", unit=world.police_taoxi)
    assert client_for(colleague).get(f"{API}{case.pk}/").status_code == 200
    assert client_for(cw.charity_liaison).get(f"{API}{case.pk}/").status_code == 404
    assert client_for(cw.charity_liaison).get(f"/cases/{case.pk}/").status_code == 404
    assert client_for(personas.outsider).get(f"{API}{case.pk}/").status_code in (403, 404)
    # Seeing is not handling: the creator gets no action on a case it does not handle.
    access = access_for(personas.liaison)
    assert access.holds(case, Perm.CASE_VIEW)
    assert not access.holds(case, Perm.CASE_HANDLE)
    assert not access.holds(case, Perm.CASE_REGISTER)


def test_grid_worker_sees_its_own_report_outside_its_grid(world, personas, cw, client_for):
    point = {"lon": SONGSHAN_POINT[0], "lat": SONGSHAN_POINT[1]}
    case = report(personas.grid_worker, channel="grid_patrol", **point).case
    gw = client_for(personas.grid_worker)
    assert gw.get(f"{API}{case.pk}/").status_code == 200
    assert gw.get(f"/cases/{case.pk}/").status_code == 200
    # The case someone else reported at the same spot stays outside the grid worker's view.
    other = report(None, **point).case
    assert gw.get(f"{API}{other.pk}/").status_code == 404
    ids = set(
        access_for(personas.grid_worker)
        .visible(Case.objects.all(), Perm.CASE_VIEW)
        .values_list("id", flat=True)
    )
    assert case.pk in ids and other.pk not in ids
    # The query-free rule used right after intake agrees with the query.
    case.refresh_from_db()
    for perm in (Perm.CASE_VIEW, Perm.CASE_REPORT, Perm.CASE_HANDLE):
        access = access_for(personas.grid_worker)
        assert in_scope_known(case, access, perm) == access.holds(case, perm), perm


def _vulnerable_case(world, cw) -> tuple[Case, Task]:
    case = report(None, parties=[VULNERABLE], reporter_phone="13700009876").case
    case = services.accept(cw.district_clerk, case, expected_version=case.version)
    case = services.dispatch(
        cw.district_clerk,
        case,
        lead_unit=world.huayuan_station,
        co_units=[cw.civil_affairs],
        expected_version=case.version,
    )
    return case, case.tasks.get(unit=cw.civil_affairs)


def test_unit_with_a_task_sees_what_the_task_needs_and_each_read_is_logged(
    world, personas, cw, client_for
):
    case, task = _vulnerable_case(world, cw)
    SensitiveAccess.objects.all().delete()
    body = client_for(cw.civil_liaison).get(f"{API}{case.pk}/")
    assert body.status_code == 200
    party = body.json()["parties"][0]
    # To help the party, the unit needs to reach them: name, phone, address unmasked.
    assert party["name"] == "孤老张大爷"
    assert party["phone"] == "13600005432"
    assert party["address"] == "花园社区松林小区3栋"
    # Nothing more: the identity number stays masked and health notes withheld.
    assert party["id_number"] != VALID_ID and "*" in party["id_number"]
    assert "独居" not in party["notes"]
    assert party["masked"] is True
    reporter = body.json()["reporter"]
    assert reporter["reporter_phone"] == "13700009876" and reporter["reporter_name"] == "王女士"
    logged = SensitiveAccess.objects.filter(actor=cw.civil_liaison)
    party_id = str(case.parties.get().pk)
    assert {(e.object_type, e.object_id, e.field) for e in logged} == {
        ("cases.party", party_id, "name"),
        ("cases.party", party_id, "phone"),
        ("cases.party", party_id, "address"),
        ("cases.case", str(case.pk), "reporter_name"),
        ("cases.case", str(case.pk), "reporter_phone"),
    }
    assert all(f"task {task.pk}" in e.purpose for e in logged)
    # The staff page shows the same, and logs its own reads.
    html = client_for(cw.civil_liaison).get(f"/cases/{case.pk}/").content.decode()
    assert "13600005432" in html and VALID_ID not in html and "独居" not in html
    assert SensitiveAccess.objects.filter(actor=cw.civil_liaison).count() == 10


def test_task_disclosure_ends_with_the_task_and_never_reaches_other_units(
    world, personas, cw, client_for
):
    case, task = _vulnerable_case(world, cw)
    # Another unit without a task: the case is not even there.
    assert client_for(cw.charity_liaison).get(f"{API}{case.pk}/").status_code == 404
    # The police liaison (a unit scope, no task on this case) sees nothing either.
    assert client_for(personas.liaison).get(f"{API}{case.pk}/").status_code == 404
    # Once the task is done, the unit still sees the case it worked on, masked.
    Task.objects.filter(pk=task.pk).update(state=Task.State.DONE)
    SensitiveAccess.objects.all().delete()
    party = client_for(cw.civil_liaison).get(f"{API}{case.pk}/").json()["parties"][0]
    assert party["phone"] != "13600005432" and party["name"] != "孤老张大爷"
    assert not SensitiveAccess.objects.filter(actor=cw.civil_liaison).exists()


# -- every URL, for outsiders -----------------------------------------------------------------

CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p, route)
        elif isinstance(p, URLPattern):
            yield route


def _fill(route: str, case: Case, task: Task, party: Party) -> str | None:
    """A concrete URL for `route`, every id pointing at the secret case (or its task/party)."""
    if route.startswith("^") or "(?P<" in route:
        return None  # regular expression routes: the admin's and static files (checked apart)
    values = {"pk": case.pk, "case_id": case.pk, "task_pk": task.pk, "task_id": task.pk}

    def sub(m: re.Match) -> str:
        name, conv = m.group("name"), m.group("conv") or "str"
        if name in values:
            return str(values[name])
        if conv == "int":
            return str(case.pk)
        if "number" in name or "tracking" in name or "request_id" in name:
            return case.tracking_number
        return str(case.pk)

    return "/" + CONVERTER.sub(sub, route)


def _secrets(case: Case) -> list[str]:
    # What only those who work on the case may read (the public sees title and state only).
    return ["13700009876", "13600005432", "孤老张大爷", VALID_ID, "独居", "内部说明甲乙丙"]


@pytest.mark.parametrize("who", ["outsider", "charity_liaison", "police_liaison"])
def test_outsiders_get_nothing_from_any_url(world, personas, cw, client_for, who):
    case, task = _vulnerable_case(world, cw)
    services.add_progress(cw.district_clerk, case, text="内部说明甲乙丙")
    party = case.parties.get()
    user = {
        "outsider": personas.outsider,
        "charity_liaison": cw.charity_liaison,
        "police_liaison": personas.liaison,
    }[who]
    client = client_for(user)
    walked = 0
    for route in _routes(get_resolver()):
        url = _fill(route, case, task, party)
        if url is None:
            continue
        response = client.get(url, HTTP_ACCEPT="application/json, text/html")
        walked += 1
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or response.get("Content-Type", "").startswith(
            ("application/pdf", "application/vnd", "image/")
        ):
            continue
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        for secret in _secrets(case):
            assert secret not in text, (who, url, secret)
    assert walked > 80
