"""The case page's dispatch form: several units at once with a deadline each, units suggested
from the routing rules and from history, a street center reaching the district's units, a
station handing its task to one of its grid workers; all through the dispatch action."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases import dispatching
from fengqiao.cases.models import Case, CaseHistory, CaseState, RoutingRule, Task
from fengqiao.cases.views_actions import perform
from fengqiao.org.models import EmploymentType, GridWorker
from tests.case_factories import make_case_world, report
from tests.factories import make_user


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _street_case(cw, personas):
    """A case at the 桃西 street center (escalated by the 花园 station)."""
    case = report(None).case
    assert case.handling_unit.name == "花园社区综治服务站"
    case = perform(cw.huayuan_clerk, case, "accept", {"expected_version": case.version})
    case = perform(
        cw.huayuan_clerk,
        case,
        "escalate",
        {"reason": "需街道协调", "expected_version": case.version},
    )
    assert case.handling_unit.name == "桃西街道综治中心"
    return perform(personas.street_clerk, case, "accept", {"expected_version": case.version})


def _url(case):
    return reverse("cases:act", args=[case.pk, "dispatch"])


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_street_center_reaches_district_units_and_sets_a_deadline_per_unit(
    world, personas, cw, client_for
):
    case = _street_case(cw, personas)
    client = client_for(personas.street_clerk)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "桃山区民政局" in page and "桃西派出所" in page
    assert 'type="datetime-local"' in page
    # Another street's units are not offered.
    assert (
        dispatching.reachable_units(case, _access(personas.street_clerk))
        .filter(region=world.taonan)
        .count()
        == 0
    )
    later = timezone.now() + timedelta(days=3)
    later = later.replace(second=0, microsecond=0)
    default = dispatching.default_due(case)
    response = client.post(
        _url(case),
        {
            "version": case.version,
            "lead_unit": cw.civil_affairs.pk,
            "co_units": [world.police_taoxi.pk, cw.charity.pk],
            f"due_{cw.civil_affairs.pk}": _local(default),
            f"due_{world.police_taoxi.pk}": _local(later),
            f"due_{cw.charity.pk}": "",
            "instructions": "请民政局牵头，派出所配合。",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED
    tasks = {t.unit_id: t for t in case.tasks.filter(active=True)}
    assert tasks[cw.civil_affairs.pk].role == Task.Role.LEAD
    assert tasks[cw.civil_affairs.pk].due == case.handle_due
    assert tasks[world.police_taoxi.pk].due == later
    assert tasks[cw.charity.pk].due == case.handle_due


def _access(user):
    from fengqiao.accounts.access import access_for

    return access_for(user)


def test_a_past_deadline_is_refused_and_changes_nothing(world, personas, cw, client_for):
    case = _street_case(cw, personas)
    version = case.version
    response = client_for(personas.street_clerk).post(
        _url(case),
        {
            "version": version,
            "lead_unit": cw.civil_affairs.pk,
            f"due_{cw.civil_affairs.pk}": _local(timezone.now() - timedelta(days=1)),
        },
    )
    assert response.status_code == 400
    assert "截止时间必须晚于现在" in response.content.decode()
    case.refresh_from_db()
    assert case.version == version and not case.tasks.exists()


def test_units_suggested_from_routing_rules_and_history(world, personas, cw, client_for):
    case = _street_case(cw, personas)
    # History: the civil affairs bureau led an earlier case of this category in this street.
    earlier = _street_case(cw, personas)
    perform(
        personas.street_clerk,
        earlier,
        "dispatch",
        {"lead_unit": cw.civil_affairs, "expected_version": earlier.version},
    )
    RoutingRule.objects.create(
        order=5,
        name="施工扰民派出所",
        category=case.category,
        region=world.district,
        target_level="street",
        target_unit=world.police_taoxi,
        active=True,
    )
    from fengqiao.core import caches

    caches.clear_all()
    found = dispatching.suggestions(
        case, dispatching.reachable_units(case, _access(personas.street_clerk))
    )
    by_unit = {s.unit.pk: str(s.reason) for s in found}
    assert world.police_taoxi.pk in by_unit and cw.civil_affairs.pk in by_unit
    assert next(iter(by_unit)) == world.police_taoxi.pk  # the rule first
    page = client_for(personas.street_clerk).get(reverse("cases:detail", args=[case.pk]))
    body = page.content.decode()
    suggested = body.split('class="plain dispatch-list dispatch-suggested"')[1].split("</ul>")[0]
    assert "桃西派出所" in suggested and "桃山区民政局" in suggested
    # The first suggestion is preselected as the lead unit.
    assert f'name="lead_unit" value="{world.police_taoxi.pk}" checked' in body


def _station_worker(world, station, username):
    user = make_user(username, "网格员" + username)
    record = GridWorker.objects.create(
        user=user, employment_type=EmploymentType.FULL_TIME, station=station
    )
    record.grids.set([g for g in world.grids.values() if g.community_id == station.region_id][:1])
    return user


def test_center_hands_the_station_task_to_a_grid_worker(world, personas, cw, client_for):
    """The street center dispatches to the case's community station and hands that task to
    one of the station's grid workers (assign_task, in the same transaction)."""
    worker = _station_worker(world, world.huayuan_station, "gw_hy2")
    other = _station_worker(world, world.songshan_station, "gw_ss2")
    case = _street_case(cw, personas)
    client = client_for(personas.street_clerk)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert worker.name in page and other.name not in page
    worker_pk = GridWorker.objects.get(user=worker).pk
    other_pk = GridWorker.objects.get(user=other).pk
    # A worker of another station is not offered: refused, nothing changes.
    bad = client.post(
        _url(case),
        {"version": case.version, "lead_unit": world.huayuan_station.pk, "assignee": other_pk},
    )
    assert bad.status_code == 400
    case.refresh_from_db()
    assert not case.tasks.exists()
    # The station's worker on another unit's task: assign_task refuses, the dispatch rolls back.
    version = case.version
    rolled = client.post(
        _url(case),
        {"version": version, "lead_unit": world.police_taoxi.pk, "assignee": worker_pk},
    )
    assert rolled.status_code == 400
    case.refresh_from_db()
    assert case.version == version and not case.tasks.exists()
    ok = client.post(
        _url(case),
        {"version": case.version, "lead_unit": world.huayuan_station.pk, "assignee": worker_pk},
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    task = Case.objects.get(pk=case.pk).tasks.get(active=True)
    assert task.unit == world.huayuan_station and task.assignee == worker
    assert CaseHistory.objects.filter(case=case, action="assign_task").exists()


def test_outsider_cannot_open_or_post_the_dispatch_form(world, personas, cw, client_for):
    case = _street_case(cw, personas)
    client = client_for(personas.outsider)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code in (403, 404)
    response = client.post(_url(case), {"version": case.version, "lead_unit": cw.civil_affairs.pk})
    assert response.status_code in (403, 404)
    assert not Case.objects.get(pk=case.pk).tasks.exists()
