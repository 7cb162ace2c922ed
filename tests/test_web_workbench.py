"""Workbench pages: navigation per role, the home page's to-dos and counts (each count equals
the list it links to), the notification inbox grouped by case, the unit's tasks with their
actions, "my reports", "my disputes", and the case page's next-action area."""

import re

import pytest
from django.urls import reverse

from fengqiao.cases.models import Case, CaseState, InboxItem, Task
from fengqiao.cases.views_actions import perform
from fengqiao.web.context import nav_for
from tests.case_factories import SONGSHAN_POINT, make_case_world, report
from tests.mediation_factories import dispute_case, make_mediation_world, started
from tests.test_registry import reg

__all__ = ["reg"]


@pytest.fixture
def cw(world):
    return make_case_world(world)


def _nav(client) -> list[str]:
    body = client.get(reverse("home")).content.decode()
    nav = re.search(r'<nav class="mainnav".*?</nav>', body, re.S).group(0)
    return re.findall(r'data-nav="([a-z_]+)"', nav)


def _dispatched(cw, world, unit, *, co=()):
    case = report(None).case
    case = perform(cw.district_clerk, case, "accept", {"expected_version": case.version})
    return perform(
        cw.district_clerk,
        case,
        "dispatch",
        {"lead_unit": unit, "co_units": list(co), "expected_version": case.version},
    )


# -- navigation -------------------------------------------------------------------------------


def test_navigation_lists_only_what_each_role_may_open(world, personas, cw, client_for):
    gw = _nav(client_for(personas.grid_worker))
    assert {"home", "patrol", "my_reports", "cases", "inbox"} <= set(gw)
    assert not {"audit", "admin", "monitor", "unit_tasks", "my_disputes", "intake"} & set(gw)
    liaison = _nav(client_for(personas.liaison))
    assert "unit_tasks" in liaison and not {"patrol", "monitor", "audit"} & set(liaison)
    leader = _nav(client_for(personas.leader))
    assert {"monitor", "screen", "ledgers", "cases"} <= set(leader)
    assert not {"intake", "unit_tasks", "patrol"} & set(leader)
    clerk = _nav(client_for(cw.huayuan_clerk))
    assert {"intake", "cases", "inbox", "unit_tasks"} <= set(clerk)
    admin = _nav(client_for(personas.admin))
    assert {"admin", "territory"} <= set(admin) and "audit" not in admin
    auditor = _nav(client_for(personas.auditor))
    assert set(auditor) == {"home", "audit", "read_log"}
    # Every entry opens for the user it is shown to.
    for user in (personas.grid_worker, personas.liaison, personas.leader, cw.huayuan_clerk):
        client = client_for(user)
        body = client.get(reverse("home")).content.decode()
        nav = re.search(r'<nav class="mainnav".*?</nav>', body, re.S).group(0)
        for href in re.findall(r'href="([^"]+)"', nav):
            assert client.get(href).status_code == 200, (user.username, href)


def test_navigation_labels_are_chinese(personas, client_for):
    body = client_for(personas.grid_worker).get(reverse("home")).content.decode()
    for label in ("工作台", "巡查上报", "我上报的", "事件", "菜单"):
        assert label in body


def test_outsider_gets_no_navigation(personas, client_for):
    client = client_for(personas.outsider)
    assert _nav(client) == []
    for name in ("unit_tasks", "my_reports", "my_disputes"):
        assert client.get(reverse(name)).status_code == 403
    from fengqiao.accounts.access import access_for

    assert not any(nav_for(access_for(personas.outsider)).values())


# -- home: to-dos and counts ------------------------------------------------------------------


def test_home_counts_link_to_lists_with_the_same_number(world, cw, client_for):
    report(None)
    report(None, title="第二件")
    client = client_for(cw.huayuan_clerk)
    body = client.get(reverse("home")).content.decode()
    links = re.findall(
        r'<a class="stat[^"]*" href="([^"]+)" data-count><span class="num">(\d+)</span>', body
    )
    assert links
    case_links = [(h.replace("&amp;", "&"), int(n)) for h, n in links if h.startswith("/cases/")]
    assert any(n == 2 for _h, n in case_links)  # two waiting to be accepted
    for href, n in case_links:
        page = client.get(href).content.decode()
        assert page.count('<tr>\n  <td class="nowrap"><a href="/cases/') == n, href


def test_home_todos_show_due_state(world, cw, client_for):
    case = report(None).case
    body = client_for(cw.huayuan_clerk).get(reverse("home")).content.decode()
    assert "我的待办" in body and case.tracking_number in body and "待受理" in body


# -- notification inbox -----------------------------------------------------------------------


def test_inbox_groups_by_case_and_hides_closed_and_merged(world, personas, cw, client_for):
    keep = _dispatched(cw, world, world.police_taoxi)
    gone = _dispatched(cw, world, world.police_taoxi)
    InboxItem.objects.create(unit=world.police_taoxi, case=keep, kind="deadline_near", text="x")
    liaison = client_for(personas.liaison)
    body = liaison.get(reverse("cases:inbox")).content.decode()
    assert body.count(f'data-case="{keep.tracking_number}"') == 1
    assert f'data-case="{gone.tracking_number}"' in body
    # Once the second case is closed (state set directly: only the inbox is tested here) it
    # leaves the inbox; a merged one too.
    Case.objects.filter(pk=gone.pk).update(state=CaseState.CLOSED)
    body = liaison.get(reverse("cases:inbox")).content.decode()
    assert f'data-case="{gone.tracking_number}"' not in body
    assert f'data-case="{keep.tracking_number}"' in body
    Case.objects.filter(pk=keep.pk).update(merged_into=gone)
    body = liaison.get(reverse("cases:inbox")).content.decode()
    assert f'data-case="{keep.tracking_number}"' not in body


# -- unit tasks -------------------------------------------------------------------------------


def test_liaison_acknowledges_starts_and_completes_from_the_task_page(
    world, personas, cw, client_for
):
    case = _dispatched(cw, world, world.police_taoxi)
    other = _dispatched(cw, world, cw.civil_affairs)
    client = client_for(personas.liaison)
    body = client.get(reverse("unit_tasks")).content.decode()
    task = Task.objects.get(case=case, unit=world.police_taoxi)
    assert f'id="task-{task.pk}"' in body and other.tracking_number not in body
    assert 'data-action="acknowledge_task"' in body and 'data-action="return_case"' in body
    for name in ("acknowledge_task", "start_task"):
        case.refresh_from_db()
        resp = client.post(reverse("task_action", args=[task.pk, name]), {"version": case.version})
        assert resp.status_code == 302, resp.content.decode()
    task.refresh_from_db()
    assert task.state == Task.State.IN_PROGRESS
    case.refresh_from_db()
    # Completing without a result: 400, the field and the reason in Chinese, nothing changed.
    resp = client.post(
        reverse("task_action", args=[task.pk, "complete_task"]),
        {"version": case.version, "result": " "},
    )
    body = resp.content.decode()
    assert resp.status_code == 400 and "办理结果：" in body
    resp = client.post(
        reverse("task_action", args=[task.pk, "complete_task"]),
        {"version": case.version, "result": "已上门调查处理"},
    )
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.result == "已上门调查处理"


def test_stale_version_is_a_conflict_not_a_500(world, personas, cw, client_for):
    case = _dispatched(cw, world, world.police_taoxi)
    task = Task.objects.get(case=case, unit=world.police_taoxi)
    resp = client_for(personas.liaison).post(
        reverse("task_action", args=[task.pk, "acknowledge_task"]), {"version": "1"}
    )
    assert resp.status_code == 409 and 'role="alert"' in resp.content.decode()
    task.refresh_from_db()
    assert task.state == Task.State.DISPATCHED


def test_liaison_returns_a_case_with_a_reason(world, personas, cw, client_for):
    case = _dispatched(cw, world, world.police_taoxi)
    task = Task.objects.get(case=case, unit=world.police_taoxi)
    resp = client_for(personas.liaison).post(
        reverse("task_action", args=[task.pk, "return_case"]),
        {"version": case.version, "reason": "不属于本单位职责"},
    )
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RETURNED


def test_another_units_task_is_not_found(world, personas, cw, client_for):
    case = _dispatched(cw, world, cw.civil_affairs)
    task = Task.objects.get(case=case)
    resp = client_for(personas.liaison).post(
        reverse("task_action", args=[task.pk, "acknowledge_task"]), {"version": case.version}
    )
    assert resp.status_code == 404
    task.refresh_from_db()
    assert task.state == Task.State.DISPATCHED


# -- my reports -------------------------------------------------------------------------------


def test_my_reports_lists_only_my_own(world, personas, cw, client_for):
    mine = report(personas.grid_worker, channel="grid_patrol").case
    theirs = report(None, title="别人反映的").case
    songshan = report(personas.street_clerk, point=SONGSHAN_POINT).case
    body = client_for(personas.grid_worker).get(reverse("my_reports")).content.decode()
    assert f'data-report="{mine.tracking_number}"' in body
    assert theirs.tracking_number not in body and songshan.tracking_number not in body
    assert client_for(personas.liaison).get(reverse("my_reports")).status_code == 403


# -- my disputes ------------------------------------------------------------------------------


def test_my_disputes_shows_assigned_and_queue(world, personas, client_for):
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    waiting = dispute_case(world, mw, title="排队中的纠纷")
    m = started(world, mw)
    client = client_for(mw.lead)
    body = client.get(reverse("my_disputes")).content.decode()
    assigned = body.split('id="h-assigned"')[1].split('id="queue"')[0]
    queue = body.split('id="h-queue"')[1].split('id="week"')[0]
    assert m.number in assigned
    assert waiting.tracking_number in queue
    assert reverse("mediation:case", args=[waiting.pk]) in queue
    # Another committee's mediator sees neither.
    other = client_for(mw.other_mediator).get(reverse("my_disputes")).content.decode()
    assert m.number not in other and waiting.tracking_number not in other
    # The case page links to the mediation.
    page = client.get(reverse("cases:detail", args=[m.case_id])).content.decode()
    assert reverse("mediation:case", args=[m.case_id]) in page


# -- case page --------------------------------------------------------------------------------


def test_case_page_shows_next_action_and_the_rest_behind_a_menu(world, cw, client_for):
    case = report(None).case
    body = client_for(cw.huayuan_clerk).get(reverse("cases:detail", args=[case.pk])).content
    body = body.decode()
    aside = body.split('<aside class="case-actions"')[1].split("</aside>")[0]
    head, _sep, more = aside.partition('id="more-actions"')
    assert 'id="action-accept"' in head and "下一步" in head
    assert 'id="action-cancel"' in more and "更多操作" in more
    assert 'id="action-resolve"' not in aside
    timeline = body.split('id="timeline"')[1]
    assert "登记" in timeline and ">intake<" not in timeline


def test_leader_todos_list_red_cards_and_outsiders_see_none(world, personas, cw, client_for):
    case = report(None).case
    Case.objects.filter(pk=case.pk).update(supervision_level="red", is_overdue=True)
    body = client_for(personas.leader).get(reverse("home")).content.decode()
    todos = body.split('id="my-todos"')[1].split("</section>")[0]
    assert case.tracking_number in todos and "红牌督办" in todos
    # The 松山社区 station clerk (another community) has no such to-do.
    body = client_for(personas.station_clerk).get(reverse("home")).content.decode()
    assert case.tracking_number not in body


def test_unit_task_filter_overdue(world, personas, cw, client_for):
    from datetime import timedelta

    from django.utils import timezone

    late = _dispatched(cw, world, world.police_taoxi)
    fine = _dispatched(cw, world, world.police_taoxi)
    Task.objects.filter(case=late).update(due=timezone.now() - timedelta(hours=1))
    Task.objects.filter(case=fine).update(due=timezone.now() + timedelta(days=9))
    client = client_for(personas.liaison)
    body = client.get(reverse("unit_tasks") + "?due=overdue").content.decode()
    assert late.tracking_number in body and fine.tracking_number not in body
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'href="/tasks/\?due=overdue" data-count><span class="num">1<', home)


def test_grid_worker_home_lists_the_phone_days_work(world, personas, cw, reg, client_for):
    """The desk home of a grid worker shows what the phone's 今日 page shows: the task a station
    gave them in person and the key-person visit due, overdue first; an outsider sees none."""
    from datetime import date

    from fengqiao.registry.visits import visits_due_for
    from tests.test_phone import _assigned

    case, _task = _assigned(world, personas, cw)
    kp = reg[2]
    assert [r.key_person for r in visits_due_for(personas.grid_worker, date.today())] == [kp]
    body = client_for(personas.grid_worker).get(reverse("home")).content.decode()
    todos = re.search(r'id="my-todos".*?</section>', body, re.S).group(0)
    assert case.tracking_number in todos and reverse("cases:detail", args=[case.pk]) in todos
    assert reverse("phone:visit", args=[kp.pk]) in todos and kp.resident.name in todos
    # The overdue visit comes first; its tag is Chinese.
    assert todos.index(kp.resident.name) < todos.index(case.tracking_number)
    assert "走访" in todos and "待签收" in todos
    assert reverse("phone:today") in body  # the phone app from the quick links
    outsider = client_for(personas.outsider).get(reverse("home")).content.decode()
    assert case.tracking_number not in outsider and kp.resident.name not in outsider
