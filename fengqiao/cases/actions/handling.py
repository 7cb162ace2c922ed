"""Handling by the unit itself: start, progress notes, suspend and resume, resolve."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import routing
from fengqiao.cases.actions.base import (
    begin,
    notify_reporters,
    now,
    public_reply_text,
    require,
    transition,
    user_or_none,
)
from fengqiao.cases.errors import InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import Case, Note, SupervisionCard, Task


def start(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """The handling unit starts work itself (no dispatch needed)."""
    with transaction.atomic():
        case, access = begin(actor, case, "start", expected_version)
        reply = public_reply_text(case, public_reply)
        transition(actor, case, "start", access=access, note=note, public_reply=reply)
    return case


def add_progress(
    actor: Any,
    case: Case | int,
    *,
    text: str,
    task: Task | None = None,
    public: bool = False,
    expected_version: int | None = None,
) -> Note:
    """A progress or investigation note. Notes only add, so the version check is optional."""
    with transaction.atomic():
        case, access = begin(actor, case, "add_progress", expected_version)
        require("text", text, _("Write the note."))
        if task is not None and task.case_id != case.pk:
            raise InvalidInput("task", "other_case", _("This task belongs to another case."))
        note = Note.objects.create(
            case=case, task=task, author=user_or_none(actor), text=text, public=public
        )
        transition(
            actor,
            case,
            "add_progress",
            access=access,
            note=text,
            data={"note": note.pk},
            public=public,
            public_reply=text if public else "",
        )
    return note


def suspend(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Stop the clock (waiting for a party, a court …). `reason` is internal."""
    with transaction.atomic():
        case, access = begin(actor, case, "suspend", expected_version)
        require("reason", reason, _("Give a reason."))
        case.resume_state, case.suspended_at = case.state, now()
        reply = public_reply_text(case, public_reply)
        transition(actor, case, "suspend", access=access, note=reason, public_reply=reply)
    return case


def resume(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """Restart the clock; the deadlines move out by the working time the pause covered.
    The case goes back to the state it was suspended in (the table's target)."""
    with transaction.atomic():
        case, access = begin(actor, case, "resume", expected_version)
        at = now()
        paused_at = case.suspended_at or at  # set by suspend, the only way into this state
        case.pauses = [*case.pauses, [paused_at.isoformat(), at.isoformat()]]
        case.suspended_at = None
        routing.compute_deadlines(case)
        if case.handle_due and case.handle_due > at:
            case.is_overdue = False
        data = {"handle_due": case.handle_due.isoformat() if case.handle_due else None}
        reply = public_reply_text(case, public_reply)
        transition(actor, case, "resume", access=access, note=note, data=data, public_reply=reply)
    return case


def resolve(
    actor: Any,
    case: Case | int,
    *,
    outcome: str = "",
    success: bool | None = True,
    expected_version: int,
    note: str = "",
    public_reply: str = "",
) -> Case:
    """Record the outcome (the resolution: what was done, shown to the public). With tasks: the
    lead task must be done (its result is the default outcome) and every co-handling task done
    or waived. `note` is internal; `public_reply` (default: the outcome) is what the public
    timeline and Open311 say about this step."""
    with transaction.atomic():
        case, access = begin(actor, case, "resolve", expected_version)
        tasks = list(case.tasks.filter(active=True))
        lead = next((t for t in tasks if t.role == Task.Role.LEAD), None)
        if lead is not None:
            if lead.state != Task.State.DONE:
                raise TransitionNotAllowed(
                    "tasks", "lead_open", _("The lead unit has not recorded its outcome yet.")
                )
            open_co = [t.unit.name for t in tasks if t.role == Task.Role.CO and not t.finished]
            if open_co:
                raise TransitionNotAllowed(
                    "tasks", "co_open",
                    _("Co-handling tasks are still open: %(units)s.") % {"units": "、".join(open_co)},
                )  # fmt: skip
            outcome = outcome or lead.result
        require("outcome", outcome, _("Describe the outcome."))
        at = now()
        case.outcome, case.outcome_success, case.resolved_at = outcome, success, at
        routing.compute_deadlines(case)
        SupervisionCard.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=at)
        reply = public_reply_text(case, public_reply, notify=False)
        transition(actor, case, "resolve", access=access, note=note, data={"success": success},
                   public_reply=reply or outcome)  # fmt: skip
        notify_reporters(
            case,
            _("Your report %(number)s was resolved") % {"number": case.tracking_number},
            f"{outcome}\n{reply}" if reply and reply != outcome else outcome,
        )
    return case
