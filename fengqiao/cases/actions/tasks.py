"""The units' tasks on a dispatched case: acknowledge, start, complete, waive.

A task action is checked on the case's table row (scope, version, state) and, for the unit's
own steps, on the unit: only someone acting for the task's unit may acknowledge, start or
complete it. The lead task moves the case (rows "acknowledge_lead_task", "start_lead_task").
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import begin, now, pk_of, require, transition, user_or_none
from fengqiao.cases.errors import CaseNotFound, InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, CaseState, Note, Task
from fengqiao.cases.workflow import acts_for_unit
from fengqiao.org.models import GridWorker


def begin_task(
    actor: Any, task: Task | int, name: str, expected_version: int | None
) -> tuple[Task, Case, Access]:
    """Lock the task's case and the task; check the table row and the actor's unit."""
    try:
        task = Task.objects.select_related("unit__region").get(pk=pk_of(task))
    except Task.DoesNotExist:
        raise CaseNotFound() from None
    case, access = begin(actor, task.case_id, name, expected_version)
    task = Task.objects.select_for_update().select_related("unit__region").get(pk=task.pk)
    if not task.active:
        raise TransitionNotAllowed(
            "task", "inactive", _("This task belongs to an earlier round of handling.")
        )
    assigned = task.assignee_id is not None and task.assignee_id == getattr(actor, "pk", None)
    if name in ("waive_task", "assign_task"):
        pass  # the coordinating center, or the unit itself (checked by the action)
    elif not (assigned or acts_for_unit(access, task.unit, Perm.CASE_HANDLE)):
        raise NotPermitted(
            "task", "unit", _("Only %(unit)s can do this on its task.") % {"unit": task.unit}
        )
    return task, case, access


def _task_data(task: Task) -> dict[str, int]:
    return {"task": task.pk, "unit": task.unit_id}


def acknowledge_task(actor: Any, task: Task | int, *, expected_version: int) -> Task:
    """The unit confirms it has the task (签收); the lead's acknowledgement moves the case on."""
    with transaction.atomic():
        task, case, access = begin_task(actor, task, "acknowledge_task", expected_version)
        if task.state != Task.State.DISPATCHED:
            raise TransitionNotAllowed("task", "state", _("This task was already acknowledged."))
        task.state = Task.State.ACKNOWLEDGED
        task.acknowledged_at = now()
        task.save()
        lead_moves = task.role == Task.Role.LEAD and case.state == CaseState.DISPATCHED
        name = "acknowledge_lead_task" if lead_moves else "acknowledge_task"
        transition(actor, case, name, access=access, data=_task_data(task))
    return task


def start_task(actor: Any, task: Task | int, *, expected_version: int) -> Task:
    """The unit starts work on its task; the lead starting puts the case in progress."""
    with transaction.atomic():
        task, case, access = begin_task(actor, task, "start_task", expected_version)
        if task.state not in (Task.State.DISPATCHED, Task.State.ACKNOWLEDGED):
            raise TransitionNotAllowed(
                "task", "state", _("This task is already under way or finished.")
            )
        at = now()
        task.acknowledged_at = task.acknowledged_at or at
        task.state, task.started_at = Task.State.IN_PROGRESS, at
        task.save()
        name = "start_lead_task" if task.role == Task.Role.LEAD else "start_task"
        transition(actor, case, name, access=access, data=_task_data(task))
    return task


def complete_task(actor: Any, task: Task | int, *, result: str, expected_version: int) -> Task:
    """The unit records what it did. The lead's result is the case's proposed outcome."""
    with transaction.atomic():
        task, case, access = begin_task(actor, task, "complete_task", expected_version)
        require("result", result, _("Describe what was done."))
        if task.finished:
            raise TransitionNotAllowed("task", "state", _("This task is already finished."))
        at = now()
        task.acknowledged_at = task.acknowledged_at or at
        task.state, task.completed_at, task.result = Task.State.DONE, at, result
        task.save()
        Note.objects.create(case=case, task=task, author=user_or_none(actor), text=result)
        transition(actor, case, "complete_task", access=access, note=result, data=_task_data(task))
    return task


def assign_task(actor: Any, task: Task | int, *, assignee: Any, expected_version: int) -> Task:
    """The unit (a service station) hands its task to one of its active grid workers, who then
    acknowledges, starts and completes it; `assignee` None takes it back."""
    with transaction.atomic():
        task, case, access = begin_task(actor, task, "assign_task", expected_version)
        if not acts_for_unit(access, task.unit, Perm.CASE_HANDLE):
            raise NotPermitted(
                "task", "unit", _("Only %(unit)s can do this on its task.") % {"unit": task.unit}
            )
        if task.finished:
            raise TransitionNotAllowed("task", "state", _("This task is already finished."))
        user_id = pk_of(assignee) if assignee is not None else None
        if (
            user_id is not None
            and not GridWorker.objects.filter(
                user_id=user_id, station_id=task.unit_id, active=True, user__is_active=True
            ).exists()
        ):
            raise InvalidInput(
                "assignee", "not_member", _("Choose an active grid worker of %(unit)s.")
                % {"unit": task.unit},
            )  # fmt: skip
        task.assignee_id = user_id
        task.save(update_fields=["assignee"])
        transition(actor, case, "assign_task", access=access,
                   data={**_task_data(task), "assignee": user_id})  # fmt: skip
    return task


def waive_task(actor: Any, task: Task | int, *, reason: str, expected_version: int) -> Task:
    """The coordinating center releases a co-handling unit from its task."""
    with transaction.atomic():
        task, case, access = begin_task(actor, task, "waive_task", expected_version)
        require("reason", reason, _("Give a reason."))
        if task.role == Task.Role.LEAD:
            raise TransitionNotAllowed(
                "task", "lead", _("The lead task cannot be waived; return or re-dispatch the case.")
            )
        if task.finished:
            raise TransitionNotAllowed("task", "state", _("This task is already finished."))
        task.state, task.waive_reason, task.completed_at = Task.State.WAIVED, reason, now()
        task.save()
        transition(actor, case, "waive_task", access=access, note=reason, data={"task": task.pk})
    return task
