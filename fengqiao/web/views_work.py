"""Workbench pages: a unit's tasks with their actions in one place, "my reports" and "my
disputes". Queries come from fengqiao.web.workbench; changes go through the case actions
(`fengqiao.cases.views_actions.perform`), which check permission, state and version."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError
from fengqiao.cases.models import Task
from fengqiao.cases.views_actions import perform
from fengqiao.cases.workflow import allowed_actions, in_scope_known
from fengqiao.org.models import GridWorker
from fengqiao.web import workbench
from fengqiao.web.context import UNIT_ROLES

# The task actions offered on the unit's task page, in the order shown.
TASK_ACTIONS = ("acknowledge_task", "start_task", "complete_task", "return_case", "assign_task")
# The text each action needs, by action: (form field, service argument).
TEXT_FIELDS = {"complete_task": "result", "return_case": "reason"}


def _unit_access(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not (access.has_role(*UNIT_ROLES) and access.has_perm(Perm.CASE_HANDLE)):
        raise PermissionDenied
    return access


def _task_actions(access: Access, task: Task) -> list[str]:
    """The actions open on this task now (the case's workflow, then the task's own state)."""
    if task.state not in workbench.OPEN_TASK_STATES:
        return []
    case = task.case
    names = {
        t.name
        for t in allowed_actions(
            case, access, check=lambda p: in_scope_known(case, access, p, [task.unit_id])
        )
    }
    result = []
    if "acknowledge_task" in names and task.state == Task.State.DISPATCHED:
        result.append("acknowledge_task")
    if "start_task" in names and task.state in (Task.State.DISPATCHED, Task.State.ACKNOWLEDGED):
        result.append("start_task")
    if "complete_task" in names:
        result.append("complete_task")
    if "return_case" in names and task.role == Task.Role.LEAD:
        result.append("return_case")
    return result


def _station_workers(access: Access, tasks: list[Task]) -> dict[int, list[GridWorker]]:
    """The active grid workers of each station the user acts for, to hand a task to."""
    units = {t.unit_id for t in tasks} & set(workbench.my_unit_ids(access))
    found: dict[int, list[GridWorker]] = {}
    for w in GridWorker.objects.filter(station_id__in=sorted(units), active=True).select_related(
        "user"
    ):
        found.setdefault(w.station_id, []).append(w)
    return found


def _labels() -> dict[str, str]:
    return {
        "acknowledge_task": pgettext("task action", "Acknowledge"),
        "start_task": pgettext("task action", "Start work"),
        "complete_task": pgettext("task action", "Complete"),
        "return_case": pgettext("task action", "Return"),
        "assign_task": pgettext("task action", "Assign"),
    }


def _tasks_context(request: HttpRequest, access: Access, errors: dict | None = None) -> dict:
    tasks = workbench.unit_tasks(access, finished_days=7)
    due = request.GET.get("due", "")
    if due in ("overdue", "near"):
        tasks = [t for t in tasks if t.due_state == due]
    labels = _labels()
    workers = _station_workers(access, tasks)
    for t in tasks:
        t.actions = [(name, labels[name]) for name in _task_actions(access, t)]
        t.workers = workers.get(t.unit_id, []) if t.state in workbench.OPEN_TASK_STATES else []
    return {
        "tasks": tasks,
        "open_count": sum(1 for t in tasks if t.state in workbench.OPEN_TASK_STATES),
        "due_filter": due,
        "errors": errors or {},
        "text_fields": TEXT_FIELDS,
    }


@login_required
@require_GET
def unit_tasks(request: HttpRequest) -> HttpResponse:
    access = _unit_access(request)
    return render(request, "web/unit_tasks.html", _tasks_context(request, access))


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Acknowledge, start, complete or return from the task list; the case action decides."""
    access = _unit_access(request)
    if name not in TASK_ACTIONS:
        raise Http404
    units = workbench.my_unit_ids(access)
    task = (
        Task.objects.filter(pk=pk, unit_id__in=units, active=True)
        .select_related("case", "unit")
        .first()
    )
    if task is None:
        raise Http404(_("No such task, or it is not your unit's."))
    error: dict[str, Any] | None = None
    status = 400
    version = request.POST.get("version", "")
    data: dict[str, Any] = {"expected_version": int(version) if version.isdigit() else 0}
    field = TEXT_FIELDS.get(name)
    text = request.POST.get(field, "").strip() if field else ""
    if field:
        data[field] = text
    if name == "assign_task":
        assignee = request.POST.get("assignee", "")
        data["assignee"] = int(assignee) if assignee.isdigit() else None
    if name != "return_case":
        data["task"] = task
    try:
        perform(request.user, task.case, name, data)
    except CaseError as e:
        label = _field_label(e.field)
        error = {"task": task.pk, "action": name, "message": e.message, "field": label}
        error["text"] = text
        status = e.status
    if error is None:
        messages.success(
            request,
            _("%(action)s: %(number)s done.")
            % {"action": _labels()[name], "number": task.case.tracking_number},
        )
        return redirect(reverse("unit_tasks") + f"#task-{task.pk}")
    context = _tasks_context(request, access, errors={task.pk: error})
    return render(request, "web/unit_tasks.html", context, status=status)


def _field_label(field: str) -> str:
    labels = {
        "result": pgettext("task field", "Result"),
        "reason": pgettext("task field", "Reason"),
        "version": pgettext("task field", "Version"),
        "task": pgettext("task field", "Task"),
        "state": pgettext("task field", "State"),
    }
    return labels.get(field, "")


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not access.has_perm(Perm.CASE_REPORT):
        raise PermissionDenied
    open_only = request.GET.get("open") == "1"
    qs = (
        workbench.my_reports(access, open_only=open_only)
        .select_related("category", "community", "grid", "handling_unit")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "web/my_reports.html",
        {"page": page, "open_only": open_only, "finished_states": workbench.FINISHED},
    )


@login_required
@require_GET
def my_disputes(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        raise PermissionDenied
    disputes = workbench.my_disputes(access)
    return render(
        request,
        "web/my_disputes.html",
        {"d": disputes, "week": workbench.sessions_by_day(disputes.sessions)},
    )
