"""Read-only queries behind the workbench pages: my to-dos, the counts on the home page, recent
cases, the notification inbox grouped by case, a unit's tasks, "my reports" and "my disputes".

Every query starts from the scoped querysets of the owning apps (`access.visible(...)`,
`visible_mediations`), so nothing here widens what a user may see. Changes are never made here:
the pages post to the action functions of the cases and mediation apps.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm, Role
from fengqiao.cases.models import Case, CaseHistory, CaseKind, CaseState, Task
from fengqiao.cases.workflow import FINISHED, WAITING, WORKING
from fengqiao.org.models import Unit, UnitKind

NEAR = timedelta(days=2)
OPEN_TASK_STATES = (Task.State.DISPATCHED, Task.State.ACKNOWLEDGED, Task.State.IN_PROGRESS)
# Inbox entries about such cases need nobody any more: closed, cancelled (merged cases too).


def due_state(due: datetime | None, now: datetime | None = None) -> str:
    """ "overdue", "near" (within two days) or "" for a deadline."""
    if due is None:
        return ""
    now = now or timezone.now()
    if due < now:
        return "overdue"
    return "near" if due - now < NEAR else ""


def _sort_key(due: datetime | None) -> tuple[int, float]:
    return (0, due.timestamp()) if due is not None else (1, 0.0)


# -- units a user works for -------------------------------------------------------------------


def my_unit_ids(access: Access) -> list[int]:
    """Units whose tasks the user handles: the unit of a unit-scoped role (and those below it),
    and the user's own unit for the staff of a station or center."""
    if not access.has_perm(Perm.CASE_HANDLE):
        return []
    units = set(access.scope(Perm.CASE_HANDLE).unit_ids)
    own = getattr(access.user, "unit_id", None)
    if own and access.has_role(Role.STATION_STAFF, Role.CENTER_STAFF, Role.UNIT_LIAISON):
        units.add(own)
    return sorted(units)


def unit_tasks(access: Access, *, finished_days: int = 0) -> list[Task]:
    """The current tasks of the user's units on cases the user may handle, soonest due first,
    overdue ones on top; with `finished_days`, also those finished in that many last days."""
    units = my_unit_ids(access)
    if not units:
        return []
    cases = access.visible(Case.objects.all(), Perm.CASE_HANDLE).values("id")
    open_q = Q(state__in=OPEN_TASK_STATES)
    if finished_days:
        since = timezone.now() - timedelta(days=finished_days)
        open_q |= Q(completed_at__gte=since)
    qs = (
        Task.objects.filter(unit_id__in=units, active=True, case_id__in=cases)
        .filter(open_q)
        .select_related("case", "case__category", "case__community", "unit")
    )
    tasks = list(qs[:500])
    now = timezone.now()
    for t in tasks:
        t.due_state = due_state(t.due, now) if t.state in OPEN_TASK_STATES else ""
    tasks.sort(key=lambda t: (t.state not in OPEN_TASK_STATES, *_sort_key(t.due), t.pk))
    return tasks


# -- to-dos -----------------------------------------------------------------------------------


@dataclass
class Todo:
    label: Promise | str
    title: str
    number: str
    url: str
    due: datetime | None
    state: str = ""
    extra: str = ""
    all_day: bool = False  # due on a date (a visit), not at an hour


def _case_todos(access: Access, now: datetime) -> list[Todo]:
    """Cases waiting at the user's own unit: to accept, to handle, to close."""
    own = getattr(access.user, "unit_id", None)
    if not own or not access.has_perm(Perm.CASE_REGISTER):
        return []
    mine = access.visible(Case.objects.all(), Perm.CASE_REGISTER).filter(handling_unit_id=own)
    todos = []
    groups = (
        (WAITING, "acknowledge_due", pgettext_lazy("todo", "To accept")),
        (WORKING | {CaseState.IN_PROGRESS}, "handle_due", pgettext_lazy("todo", "To handle")),
        ({CaseState.RESOLVED}, "verify_due", pgettext_lazy("todo", "To close")),
    )
    for states, due_field, label in groups:
        rows = mine.filter(state__in=sorted(states)).only(
            "id", "tracking_number", "title", "state", due_field
        )
        for c in rows.order_by(due_field, "id")[:30]:
            due = getattr(c, due_field)
            todos.append(
                Todo(
                    label,
                    c.title,
                    c.tracking_number,
                    reverse("cases:detail", args=[c.pk]),
                    due,
                    due_state(due, now),
                )
            )
    return todos


def _supervision_todos(access: Access, now: datetime) -> list[Todo]:
    """For supervisors: extension requests to decide, and open overdue cases under a red card."""
    if not access.has_perm(Perm.CASE_SUPERVISE):
        return []
    from fengqiao.cases.models import Extension, SupervisionLevel

    cases = access.visible(Case.objects.all(), Perm.CASE_SUPERVISE)
    todos = [
        Todo(
            pgettext_lazy("todo", "Extension to decide"),
            e.case.title,
            e.case.tracking_number,
            reverse("cases:detail", args=[e.case_id]),
            e.case.handle_due,
            due_state(e.case.handle_due, now),
        )
        for e in Extension.objects.filter(
            status=Extension.Status.PENDING, case_id__in=cases.values("id")
        )
        .select_related("case")
        .order_by("requested_at", "id")[:10]
    ]
    red = cases.filter(supervision_level=SupervisionLevel.RED, is_overdue=True).exclude(
        state__in=sorted(FINISHED)
    )
    todos += [
        Todo(
            pgettext_lazy("todo", "Red card"),
            c.title,
            c.tracking_number,
            reverse("cases:detail", args=[c.pk]),
            c.handle_due,
            "overdue",
        )
        for c in red.only("id", "title", "tracking_number", "handle_due").order_by(
            "handle_due", "id"
        )[:10]
    ]
    return todos


def _task_todos(access: Access, now: datetime) -> list[Todo]:
    labels = {
        Task.State.DISPATCHED: pgettext_lazy("todo", "To acknowledge"),
        Task.State.ACKNOWLEDGED: pgettext_lazy("todo", "Task to do"),
        Task.State.IN_PROGRESS: pgettext_lazy("todo", "Task under way"),
    }
    return [
        Todo(
            labels[t.state],
            t.case.title,
            t.case.tracking_number,
            reverse("unit_tasks") + f"#task-{t.pk}",
            t.due,
            t.due_state,
            t.unit.name,
        )
        for t in unit_tasks(access)
        if t.state in labels
    ]


def _mediation_todos(access: Access, now: datetime, disputes: "Disputes | None") -> list[Todo]:
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return []
    disputes = disputes or my_disputes(access)
    todos = [
        Todo(
            pgettext_lazy("todo", "Mediation"),
            m.case.title,
            m.number,
            reverse("mediation:case", args=[m.case_id]),
            m.due,
            "overdue" if m.is_overdue else due_state(m.due, now),
        )
        for m in disputes.assigned
    ]
    todos += [
        Todo(
            pgettext_lazy("todo", "Committee queue"),
            row.title,
            row.number,
            row.url,
            row.due,
            due_state(row.due, now),
        )
        for row in disputes.queue
    ]
    return todos


def _letter_todos(access: Access, now: datetime) -> list[Todo]:
    """Responsibility-letter tasks of the user's view that are overdue or due within two days,
    and progress reports waiting for the office's review."""
    from fengqiao.accountability import actions as letters
    from fengqiao.accountability.models import LetterTask, ProgressReport, ReportState, TaskState
    from fengqiao.accountability.workflow import VIEW

    if not access.has_perm(VIEW):
        return []
    today = timezone.localdate(now)
    tasks = access.visible(LetterTask.objects.all(), VIEW).exclude(state=TaskState.DONE)
    tasks = tasks.filter(deadline__lte=today + NEAR).select_related("letter__member_unit__unit")
    items = []
    for t in tasks.order_by("deadline", "id")[:20]:
        due = timezone.make_aware(datetime.combine(t.deadline, datetime.max.time()))
        items.append(
            Todo(
                pgettext_lazy("todo", "Responsibility letter task"),
                f"{t.seq}. {t.title}",
                t.letter.member_unit.unit.name,
                reverse("accountability:letter", args=[t.letter_id]),
                due,
                "overdue" if t.deadline < today else due_state(due, now),
            )
        )
    reviewing = access.visible(ProgressReport.objects.all(), VIEW).filter(
        state=ReportState.SUBMITTED
    )
    for r in reviewing.select_related("task__letter__member_unit__unit")[:20]:
        if "office" in letters.posts_of(access.user, r.task.letter.member_unit.group_id):
            items.append(
                Todo(
                    pgettext_lazy("todo", "Progress report to review"),
                    f"{r.task.seq}. {r.task.title}",
                    r.task.letter.member_unit.unit.name,
                    reverse("accountability:letter", args=[r.task.letter_id]),
                    None,
                )
            )
    return items


def open_warnings(access: Access) -> QuerySet:
    """Warnings not yet handled in the user's area or for the user's unit (fengqiao.risk)."""
    from fengqiao.risk.models import Warning, WarningState

    if not access.has_perm(Perm.RISK_HANDLE):
        return Warning.objects.none()
    return access.visible(Warning.objects.all(), Perm.RISK_HANDLE).filter(
        state__in=[WarningState.RAISED, WarningState.ACKNOWLEDGED]
    )


def _warning_todos(access: Access, now: datetime) -> list[Todo]:
    return [
        Todo(
            pgettext_lazy("todo", "Warning"),
            w.title,
            "",
            reverse("risk:warning", args=[w.pk]),
            None,
            # A warning has no deadline: a high or major one comes first, marked urgent.
            "urgent" if w.level in ("high", "major") else "",
            pgettext_lazy("todo", "level: %(level)s") % {"level": w.get_level_display()},
        )
        for w in open_warnings(access).order_by("-raised_at")[:10]
    ]


def assigned_tasks(user: Any) -> list[Task]:
    """The open tasks a station gave the user in person (a grid worker), overdue first, then by
    due time; each with its `due_state`. Shown on the phone's 今日 page and in the to-dos."""
    tasks = list(
        Task.objects.filter(assignee_id=user.pk, active=True, state__in=OPEN_TASK_STATES)
        .select_related("case", "case__category", "unit")
        .order_by("due", "id")[:200]
    )
    now = timezone.now()
    states = {t.pk: due_state(t.due, now) for t in tasks}
    for t in tasks:
        setattr(t, "due_state", states[t.pk])  # noqa: B010 (shown by the templates)
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    tasks.sort(key=lambda t: (states[t.pk] != "overdue", t.due or far, t.pk))
    return tasks


def grid_emergency_tasks(user: Any) -> list[Any]:
    """The open tasks of active emergency events given to the worker's own grids (not the other
    grids' of the same event), overdue first, then by their hour deadline."""
    from fengqiao.emergency import actions
    from fengqiao.emergency.models import Task as EmergencyTask
    from fengqiao.emergency.workflow import grid_ids

    mine = grid_ids(user)
    if not mine:
        return []
    qs = actions.visible(
        user, EmergencyTask.objects.filter(event__state="active", grid_id__in=sorted(mine))
    )
    tasks = list(
        actions.open_tasks(qs).select_related("event", "grid").order_by("deadline", "id")[:100]
    )
    now = timezone.now()
    late = {t.pk: t.deadline < now for t in tasks}
    for t in tasks:
        setattr(t, "is_late", late[t.pk])  # noqa: B010 (shown by the templates)
    tasks.sort(key=lambda t: (not late[t.pk], t.deadline, t.pk))
    return tasks


def _grid_worker_todos(access: Access, now: datetime) -> list[Todo]:
    """A grid worker's own work, the same as the phone's 今日 page shows: tasks the station gave
    them in person, emergency tasks of their grids, key-person visits due today or overdue."""
    user = access.user
    if getattr(user, "grid_worker", None) is None or not access.has_role(Role.GRID_WORKER):
        return []
    from fengqiao.registry.visits import visits_due_for

    labels = {
        Task.State.DISPATCHED: pgettext_lazy("todo", "To acknowledge"),
        Task.State.ACKNOWLEDGED: pgettext_lazy("todo", "Task to do"),
        Task.State.IN_PROGRESS: pgettext_lazy("todo", "Task under way"),
    }
    items = [
        Todo(
            labels[t.state],
            t.case.title,
            t.case.tracking_number,
            reverse("cases:detail", args=[t.case_id]),
            t.due,
            getattr(t, "due_state", ""),
            t.unit.name,
        )
        for t in assigned_tasks(user)
    ]
    items += [
        Todo(
            pgettext_lazy("todo", "Emergency task"),
            t.title,
            t.event.name,
            reverse("phone:today"),
            t.deadline,
            "overdue" if t.deadline < now else due_state(t.deadline, now),
            t.grid.name,
        )
        for t in grid_emergency_tasks(user)
    ]
    today = timezone.localdate()
    for row in visits_due_for(user, today):
        if row.state not in ("overdue", "due"):
            continue
        due = None
        if row.due_on is not None:
            due = timezone.make_aware(datetime.combine(row.due_on, datetime.min.time()))
        items.append(
            Todo(
                pgettext_lazy("todo", "Visit"),
                row.key_person.kind.name,
                row.key_person.resident.name,
                reverse("phone:visit", args=[row.key_person.pk]),
                due,
                "overdue" if row.state == "overdue" else "near",
                row.key_person.grid.name,
                all_day=True,
            )
        )
    return items


def todos(access: Access, disputes: "Disputes | None" = None, limit: int = 15) -> list[Todo]:
    """What the user should do next, overdue first, then by deadline."""
    now = timezone.now()
    items = (
        _grid_worker_todos(access, now)
        + _task_todos(access, now)
        + _case_todos(access, now)
        + _supervision_todos(access, now)
        + _mediation_todos(access, now, disputes)
        + _letter_todos(access, now)
        + _warning_todos(access, now)
    )
    items.sort(key=lambda t: (t.state not in ("overdue", "urgent"), *_sort_key(t.due)))
    return items[:limit]


# -- counts -----------------------------------------------------------------------------------


@dataclass
class Count:
    label: Promise | str
    value: int
    url: str
    alert: bool = False


def _case_list_url(**params: str) -> str:
    return reverse("cases:list") + "?" + urlencode(params)


def counts(access: Access, disputes: "Disputes | None" = None) -> list[Count]:
    """Figures of the user's own work, each a link to the list it counts (same filters)."""
    result: list[Count] = []
    if access.has_perm(Perm.CASE_REGISTER) or access.has_perm(Perm.CASE_SUPERVISE):
        cases = access.visible(Case.objects.all(), Perm.CASE_VIEW)
        for state, label in (
            (CaseState.REGISTERED, pgettext_lazy("count", "Waiting to be accepted")),
            (CaseState.RETURNED, pgettext_lazy("count", "Returned")),
            (CaseState.ESCALATED, pgettext_lazy("count", "Escalated")),
            (CaseState.IN_PROGRESS, pgettext_lazy("count", "In progress")),
        ):
            n = cases.filter(state=state).count()
            result.append(Count(label, n, _case_list_url(state=state), alert=False))
        overdue = cases.filter(is_overdue=True).count()
        result.append(
            Count(
                pgettext_lazy("count", "Overdue cases"),
                overdue,
                _case_list_url(overdue="true"),
                alert=overdue > 0,
            )
        )
    tasks = unit_tasks(access)
    if tasks or access.has_role(Role.UNIT_LIAISON):
        late = sum(1 for t in tasks if t.due_state == "overdue")
        result.append(
            Count(pgettext_lazy("count", "Unit tasks open"), len(tasks), reverse("unit_tasks"))
        )
        result.append(
            Count(
                pgettext_lazy("count", "Unit tasks overdue"),
                late,
                reverse("unit_tasks") + "?due=overdue",
                alert=late > 0,
            )
        )
    if access.has_perm(Perm.MEDIATION_HANDLE):
        d = disputes or my_disputes(access)
        url = reverse("my_disputes")
        result.append(Count(pgettext_lazy("count", "My open disputes"), len(d.assigned), url))
        result.append(
            Count(pgettext_lazy("count", "Committee queue"), len(d.queue), url + "#queue")
        )
        result.append(
            Count(pgettext_lazy("count", "Sessions this week"), len(d.sessions), url + "#week")
        )
    if access.has_perm(Perm.RISK_HANDLE):
        n = open_warnings(access).count()
        result.append(
            Count(pgettext_lazy("count", "Open warnings"), n, reverse("risk:home"), alert=n > 0)
        )
    if access.has_perm(Perm.CASE_REPORT) and access.has_role(Role.GRID_WORKER):
        mine = my_reports(access)
        result.append(
            Count(pgettext_lazy("count", "My reports"), mine.count(), reverse("my_reports"))
        )
        result.append(
            Count(
                pgettext_lazy("count", "My reports still open"),
                mine.exclude(state__in=sorted(FINISHED)).count(),
                reverse("my_reports") + "?open=1",
            )
        )
    return result


def recent_cases(access: Access, limit: int = 8) -> list[Case]:
    """The cases the user last worked on; the newest cases of their area when none."""
    visible = access.visible(Case.objects.all(), Perm.CASE_VIEW)
    touched = (
        CaseHistory.objects.filter(actor_id=access.user.pk)
        .order_by("-at", "-id")
        .values_list("case_id", flat=True)[:200]
    )
    ids: list[int] = []
    for pk in touched:
        if pk not in ids:
            ids.append(pk)
        if len(ids) == limit * 2:
            break
    related = ("category", "community")
    if ids:
        by_id = visible.filter(pk__in=ids).select_related(*related).in_bulk()
        rows = [by_id[pk] for pk in ids if pk in by_id][:limit]
        if rows:
            return rows
    return list(visible.select_related(*related).order_by("-created_at", "-id")[:limit])


# -- notification inbox -----------------------------------------------------------------------


# -- my reports (grid worker) -----------------------------------------------------------------


def my_reports(access: Access, *, open_only: bool = False) -> QuerySet:
    """The cases the user reported, among those the access rules let them see."""
    qs = access.visible(Case.objects.all(), Perm.CASE_VIEW).filter(created_by_id=access.user.pk)
    if open_only:
        qs = qs.exclude(state__in=sorted(FINISHED))
    return qs


# -- my disputes (mediator) -------------------------------------------------------------------


@dataclass
class QueueRow:
    """A dispute waiting at the committee: a mediation not yet accepted, or a dispatched case
    with no mediation yet."""

    number: str
    title: str
    committee: str
    since: datetime | None
    due: datetime | None
    url: str
    mediation: Any = None


@dataclass
class Disputes:
    committees: list[Unit]
    assigned: list
    queue: list[QueueRow]
    sessions: list
    followups: list


def committees_of(access: Access) -> QuerySet:
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return Unit.objects.none()
    scope = access.scope(Perm.MEDIATION_HANDLE)
    return Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True).filter(
        scope.q(path="region__path", unit="id")
    )


def _week(today) -> tuple[datetime, datetime]:
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    return start, start + timedelta(days=7)


def my_disputes(access: Access) -> Disputes:
    """A mediator's day: disputes assigned to them, the committee's queue, this week's sessions,
    agreements waiting for follow-up."""
    from fengqiao.mediation.actions import visible_mediations
    from fengqiao.mediation.models import (
        OPEN_STATES,
        Mediation,
        MediationState,
        PerformanceItem,
        Session,
    )

    user_id = access.user.pk
    committees = list(committees_of(access).order_by("name"))
    visible = visible_mediations(access)
    mine_q = Q(mediators__user_id=user_id) | Q(lead_mediator__user_id=user_id)
    mine_ids = visible.filter(mine_q).values("id")
    assigned = list(
        visible.filter(pk__in=mine_ids, state__in=OPEN_STATES)
        .select_related("case", "committee")
        .order_by("due", "id")
    )
    waiting = (
        visible.filter(state=MediationState.REGISTERED, lead_mediator__isnull=True)
        .exclude(pk__in=mine_ids)
        .select_related("case", "committee")
        .order_by("registered_at", "id")[:50]
    )
    queue = [
        QueueRow(
            m.number,
            m.case.title,
            m.committee.name,
            m.registered_at,
            m.due,
            reverse("mediation:case", args=[m.case_id]),
            m,
        )
        for m in waiting
    ]
    # Disputes dispatched to one of the committees that nobody has opened a mediation for yet.
    committee_ids = [c.pk for c in committees]
    if committee_ids:
        tasks = (
            Task.objects.filter(unit_id__in=committee_ids, active=True, state__in=OPEN_TASK_STATES)
            .filter(case_id__in=access.visible(Case.objects.all(), Perm.CASE_VIEW).values("id"))
            .exclude(Exists(Mediation.objects.filter(case_id=OuterRef("case_id"))))
            .select_related("case", "unit")
            .order_by("due", "id")[:50]
        )
        queue += [
            QueueRow(
                t.case.tracking_number,
                t.case.title,
                t.unit.name,
                t.dispatched_at,
                t.due,
                reverse("mediation:case", args=[t.case_id]),
            )
            for t in tasks
        ]
        cases = (
            access.visible(Case.objects.all(), Perm.CASE_VIEW)
            .filter(handling_unit_id__in=committee_ids, kind=CaseKind.DISPUTE)
            .filter(state__in=sorted(WAITING | WORKING))
            .exclude(Exists(Mediation.objects.filter(case_id=OuterRef("pk"))))
            .select_related("handling_unit")
            .order_by("created_at", "id")[:50]
        )
        seen = {row.number for row in queue}
        queue += [
            QueueRow(
                c.tracking_number,
                c.title,
                c.handling_unit.name,
                c.created_at,
                c.acknowledge_due,
                reverse("mediation:case", args=[c.pk]),
            )
            for c in cases
            if c.tracking_number not in seen
        ]
    start, end = _week(timezone.localdate())
    relevant = visible.filter(Q(pk__in=mine_ids) | Q(committee_id__in=committee_ids))
    sessions = list(
        Session.objects.filter(mediation__in=relevant, at__gte=start, at__lt=end)
        .select_related("mediation", "mediation__case")
        .order_by("at", "id")
    )
    open_items = PerformanceItem.objects.filter(
        agreement__mediation_id=OuterRef("pk"), done_at__isnull=True
    )
    followups = list(
        relevant.filter(state=MediationState.AGREED)
        .filter(Q(Exists(open_items)) | Q(followups__isnull=True))
        .select_related("case", "agreement")
        .distinct()
        .order_by("ended_at", "id")[:50]
    )
    today = timezone.localdate()
    for m in followups:
        items = list(
            PerformanceItem.objects.filter(agreement__mediation=m, done_at__isnull=True).order_by(
                "due_date"
            )
        )
        m.open_items = items
        m.late_items = sum(1 for i in items if i.due_date < today)
        m.followed_up = m.followups.exists()
    return Disputes(committees, assigned, queue, sessions, followups)


def sessions_by_day(sessions: Iterable) -> list[tuple[Any, list]]:
    days: dict[Any, list] = {}
    for s in sessions:
        days.setdefault(timezone.localtime(s.at).date(), []).append(s)
    return list(days.items())
