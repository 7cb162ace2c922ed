"""One entry point from the UI and the API to the transition actions: `perform`.

It only adapts arguments (a task, an extension or a diversion named by id, a case named by its
tracking number); the service checks permission, state, version and input.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import actions
from fengqiao.cases.errors import CaseNotFound, InvalidInput
from fengqiao.cases.models import Case, Diversion, Extension, Task
from fengqiao.cases.workflow import TRANSITIONS

TASK_ACTIONS = ("acknowledge_task", "start_task", "complete_task", "waive_task", "assign_task")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _own(model: type[Task | Extension | Diversion], value: Any, case: Case, field: str) -> Any:
    """A task/extension/diversion of this case (never of another case)."""
    obj = model.objects.filter(pk=_pk(value), case_id=case.pk).first() if value else None
    if obj is None:
        raise InvalidInput(field, "invalid", _("Choose one of this case's entries."))
    return obj


def perform(actor: Any, case: Case, name: str, data: Mapping[str, Any]) -> Any:
    """Run transition `name` on `case` with `data` (already parsed by a form or serializer)."""
    if name not in TRANSITIONS:
        raise CaseNotFound()
    kw = dict(data)
    if name in TASK_ACTIONS:
        task = _own(Task, kw.pop("task", None), case, "task")
        return getattr(actions, name)(actor, task, **kw)
    if name == "decide_extension":
        ext = _own(Extension, kw.pop("extension", None), case, "extension")
        return actions.decide_extension(actor, ext, **kw)
    if name == "update_diversion":
        div = _own(Diversion, kw.pop("diversion", None), case, "diversion")
        return actions.update_diversion(actor, div, **kw)
    if name == "merge":
        number = (kw.pop("into", "") or "").strip()
        target = (
            access_for(actor)
            .visible(Case.objects.all(), Perm.CASE_VIEW)
            .filter(tracking_number=number)
            .first()
            if number
            else None
        )
        if target is None:
            raise InvalidInput("into", "not_found", _("No such case, or it is outside your area."))
        return actions.merge(actor, case, into=target, **kw)
    if name == "add_attachment":
        upload = kw.pop("file")
        return actions.add_attachment(actor, case, upload, **kw)
    if name == "update_details" and "changes" not in kw:
        # The API sends the fields flat; the action takes them as `changes`.
        version = kw.pop("expected_version", None)
        kw = {"changes": kw, "expected_version": version}
    if name == "dispatch":
        kw["co_units"] = list(kw.get("co_units") or [])
        assignee = kw.pop("assignee", None)
        if assignee is not None:
            # A station dispatching to one of its grid workers: its task, then the hand-over,
            # both or neither (each through its own action).
            with transaction.atomic():
                case = actions.dispatch(actor, case, **kw)
                lead = case.tasks.get(active=True, role=Task.Role.LEAD)
                actions.assign_task(actor, lead, assignee=assignee, expected_version=case.version)
            return case
    if name == "add_progress" and kw.get("task") is not None:
        kw["task"] = _own(Task, kw["task"], case, "task")
    return getattr(actions, name)(actor, case, **kw)
