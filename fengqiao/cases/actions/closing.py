"""Ending a case and opening it again: close, cancel, divert (and its progress), reopen."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.cases import routing
from fengqiao.cases.actions.base import (
    begin,
    inbox,
    notify_reporters,
    now,
    pk_of,
    public_reply_text,
    require,
    transition,
    user_or_none,
)
from fengqiao.cases.errors import CaseNotFound, InvalidInput
from fengqiao.cases.models import Case, Diversion, InboxItem, SupervisionCard, SupervisionLevel


def close(
    actor: Any,
    case: Case | int,
    *,
    outcome: str = "",
    expected_version: int,
    note: str = "",
    public_reply: str = "",
) -> Case:
    """Verify and close (办结). The resolution (`Case.outcome`, public) is kept: a resolved case
    already has it, a diverted case is given it here (`outcome`). The closing note (`note`) is
    internal; `public_reply` is an optional word to the reporter."""
    with transaction.atomic():
        case, access = begin(actor, case, "close", expected_version)
        given = (outcome or "").strip()
        if case.outcome and given and given != case.outcome.strip():
            raise InvalidInput(
                "outcome",
                "resolved",
                _(
                    "This case already has its resolution; write your remark as the closing "
                    "note, or reopen the case to change what was done."
                ),
            )
        resolution = case.outcome or given
        require("outcome", resolution, _("A case is closed with its outcome."))
        reply = public_reply_text(case, public_reply, notify=False)
        if not case.outcome:  # a diverted case: its resolution is given now, and is public
            reply = reply or resolution
        at = now()
        case.outcome, case.closed_at = resolution, at
        SupervisionCard.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=at)
        transition(actor, case, "close", access=access, note=note, public_reply=reply)
        body = _("Outcome: %(outcome)s. You can rate the handling online.") % {
            "outcome": resolution
        }
        notify_reporters(
            case,
            _("Your report %(number)s was closed") % {"number": case.tracking_number},
            f"{body}\n{reply}" if reply and reply != resolution else body,
        )
    return case


def cancel(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Cancel a case that needs no handling (not a case, a prank …), with a reason (internal)."""
    with transaction.atomic():
        case, access = begin(actor, case, "cancel", expected_version)
        require("reason", reason, _("Give the reason for cancelling."))
        reply = public_reply_text(case, public_reply)
        transition(actor, case, "cancel", access=access, note=reason, public_reply=reply)
    return case


def divert(
    actor: Any,
    case: Case | int,
    *,
    target: str,
    reference: str = "",
    note: str = "",
    expected_version: int,
    public_reply: str = "",
) -> Diversion:
    """Hand the case to a court, letters and visits, the police or arbitration; the hand-off
    is tracked (update_diversion) and the case can be closed or reopened from there."""
    with transaction.atomic():
        case, access = begin(actor, case, "divert", expected_version)
        if target not in Diversion.Target.values:
            raise InvalidInput(
                "target",
                "choice",
                _("Choose where the case goes: court, letters and visits, police or arbitration."),
            )
        diversion = Diversion.objects.create(
            case=case, target=target, reference=reference[:100], created_by=user_or_none(actor)
        )
        transition(
            actor,
            case,
            "divert",
            access=access,
            note=note,
            data={"diversion": diversion.pk, "target": target},
            public_reply=public_reply_text(case, public_reply),
        )
    return diversion


def update_diversion(
    actor: Any,
    diversion: Diversion | int,
    *,
    status: str,
    result: str = "",
    reference: str | None = None,
    expected_version: int,
) -> Diversion:
    """Record what the receiving body did with a diverted case."""
    found = Diversion.objects.filter(pk=pk_of(diversion)).first()
    if found is None:
        raise CaseNotFound()
    diversion = found
    with transaction.atomic():
        case, access = begin(actor, diversion.case_id, "update_diversion", expected_version)
        if status not in Diversion.Status.values:
            raise InvalidInput("status", "choice", _("Unknown status."))
        diversion.status, diversion.result = status, result or diversion.result
        if reference is not None:
            diversion.reference = reference[:100]
        diversion.save()
        transition(
            actor,
            case,
            "update_diversion",
            access=access,
            note=result,
            data={"diversion": diversion.pk, "status": status},
        )
    return diversion


def reopen(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Open a resolved, closed or diverted case again; the clock restarts now. `reason` is
    internal."""
    with transaction.atomic():
        case, access = begin(actor, case, "reopen", expected_version)
        reopen_locked(case, actor, access, reason, public_reply)
    return case


def reopen_locked(
    case: Case, actor: Any, access: Access, reason: str, public_reply: str = ""
) -> None:
    """Reopen a case the caller has locked and checked (reopen, and a follow-up visit that
    finds the reporter unsatisfied)."""
    require("reason", reason, _("Give the reason for reopening."))
    at = now()
    case.resolved_at = case.closed_at = None
    case.outcome_success = None
    case.clock_start, case.pauses, case.extension_days = at, [], 0
    case.is_overdue, case.supervision_level = False, SupervisionLevel.NONE
    routing.compute_deadlines(case)
    case.tasks.filter(active=True).update(active=False)
    inbox(case, InboxItem.Kind.REOPENED, unit=case.handling_unit, text=reason)
    reply = public_reply_text(case, public_reply)
    transition(actor, case, "reopen", access=access, note=reason, public_reply=reply)
