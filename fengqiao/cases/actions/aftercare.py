"""After a case is resolved: follow-up visits by staff, the public tracking page's status, and
the reporter's own rating."""

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fengqiao.cases.actions.base import begin, history, inbox, lock, now, transition, user_or_none
from fengqiao.cases.actions.closing import reopen_locked
from fengqiao.cases.attachments import public_attachments
from fengqiao.cases.errors import CaseNotFound, InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import (
    Case,
    CaseHistory,
    CaseState,
    FollowUpVisit,
    InboxItem,
    Satisfaction,
)
from fengqiao.cases.workflow import check_transition


def record_visit(
    actor: Any,
    case: Case | int,
    *,
    method: str,
    satisfaction: str,
    note: str = "",
    reopen_case: bool = False,
    expected_version: int,
) -> FollowUpVisit:
    """A follow-up visit (phone or in person). An unsatisfied reporter can have the case
    reopened (`reopen_case=True`), in the same transaction."""
    with transaction.atomic():
        case, access = begin(actor, case, "record_visit", expected_version)
        if method not in (FollowUpVisit.Method.PHONE, FollowUpVisit.Method.IN_PERSON):
            raise InvalidInput("method", "choice", _("Choose phone or in person."))
        if satisfaction not in Satisfaction.values:
            raise InvalidInput("satisfaction", "choice", _("Choose how satisfied the reporter is."))
        reopening = reopen_case and satisfaction == Satisfaction.UNSATISFIED
        if reopening:
            check_transition(case, "reopen", access)
        visit = FollowUpVisit.objects.create(
            case=case, method=method, visited_at=now(), by=user_or_none(actor),
            satisfaction=satisfaction, note=note, reopened=reopening,
        )  # fmt: skip
        transition(
            actor,
            case,
            "record_visit",
            access=access,
            note=note,
            data={"visit": visit.pk, "satisfaction": satisfaction},
            bump=not reopening,
        )
        if reopening:
            reopen_locked(case, actor, access, note or _("The reporter is not satisfied."))
    return visit


def public_case(tracking_number: str, phone_last4: str) -> Case:
    tracking_number = (tracking_number or "").strip()
    phone_last4 = (phone_last4 or "").strip()
    case = Case.objects.filter(tracking_number=tracking_number).select_related("category").first()
    if (
        case is None
        or len(phone_last4) != 4
        or not case.reporter_phone
        or not case.reporter_phone.endswith(phone_last4)
    ):
        raise CaseNotFound()
    return case


def public_status(tracking_number: str, phone_last4: str) -> dict[str, Any]:
    """What the public tracking page shows: no personal data of anyone, and of each timeline
    entry only its public reply (never the internal note)."""
    case = public_case(tracking_number, phone_last4)
    entries = Q(case=case)
    if case.merged_into_id:  # the report's own entries up to its merge, then the other case's
        entries |= Q(case_id=case.merged_into_id) & ~Q(action="intake")
        case = case.merged_into or case
    timeline = [
        {
            "at": h.at,
            "action": h.action,
            "state": h.to_state,
            "note": h.public_reply,
        }
        for h in CaseHistory.objects.filter(entries, public=True).order_by("at", "id")
    ]
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_display": case.get_state_display(),
        "category": case.category.name,
        "created_at": case.created_at,
        "handle_due": case.handle_due,
        "outcome": case.outcome if case.state in (CaseState.RESOLVED, CaseState.CLOSED) else "",
        "timeline": timeline,
        "attachments": public_attachments(case),
        "can_rate": case.state in (CaseState.RESOLVED, CaseState.CLOSED)
        and not case.visits.filter(method=FollowUpVisit.Method.ONLINE).exists(),
    }


def rate_by_reporter(
    tracking_number: str, phone_last4: str, *, satisfaction: str, note: str = ""
) -> FollowUpVisit:
    """The reporter's own rating from the public tracking page (once per case). An unsatisfied
    rating goes to the handling unit's inbox; staff decide whether to reopen."""
    if satisfaction not in Satisfaction.values:
        raise InvalidInput("satisfaction", "choice", _("Choose how satisfied you are."))
    with transaction.atomic():
        case = lock(public_case(tracking_number, phone_last4))
        if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
            raise TransitionNotAllowed(
                "state", "not_finished", _("You can rate once the case is resolved.")
            )
        if case.visits.filter(method=FollowUpVisit.Method.ONLINE).exists():
            raise TransitionNotAllowed(
                "satisfaction", "already", _("You have already rated this case.")
            )
        visit = FollowUpVisit.objects.create(
            case=case,
            method=FollowUpVisit.Method.ONLINE,
            visited_at=now(),
            satisfaction=satisfaction,
            note=note[:2000],
        )
        if satisfaction == Satisfaction.UNSATISFIED:
            inbox(case, InboxItem.Kind.UNSATISFIED, unit=case.handling_unit, text=note)
        history(case, None, "rating", case.state, note=note, data={"satisfaction": satisfaction})
    return visit
