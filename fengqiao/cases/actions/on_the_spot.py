"""Report and resolve on the spot (就地化解): a grid worker settles a matter where it arose and
records it in one step. The case is registered and resolved in one transaction, through the
table's row "resolve_on_the_spot" (registered → resolved), so the figures count it as resolved
and concluded the moment it is reported."""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import routing
from fengqiao.cases.actions.base import notify_reporters, now, require, transition
from fengqiao.cases.actions.input import clean_case_data
from fengqiao.cases.actions.registration import IntakeResult, channel_of, create_case
from fengqiao.cases.errors import NotPermitted
from fengqiao.cases.models import Case, Channel, Party
from fengqiao.core import chain


def resolve_on_the_spot(
    actor: Any,
    data: Mapping[str, Any],
    channel: Channel | str,
    *,
    outcome: str,
    respond: Callable[[Case, list[Party]], Any] | None = None,
) -> IntakeResult:
    """Register the case reported by `actor` and resolve it with `outcome` (what was done).

    The same validation as `intake` (InvalidInput names every bad field, nothing is saved);
    `outcome` is required. Only staff who may report cases may use it, and the resolution is
    theirs: no unit has a task on the case. The reporter given (a resident the worker met) is
    told the tracking number and the outcome in one notice."""
    access = access_for(actor)
    if not access.has_perm(Perm.CASE_REPORT):
        raise NotPermitted("", "permission", _("You may not report cases."))
    outcome = (outcome or "").strip()
    require("outcome", outcome, _("Describe what was done on the spot."))
    channel = channel_of(channel)
    cleaned = clean_case_data(data, public=False)
    at = now()
    with transaction.atomic(), chain.batched_anchors():
        case, duplicates, parties = create_case(actor, cleaned, channel, at)
        case.accepted_at = case.resolved_at = at
        case.outcome, case.outcome_success = outcome, True
        case.needs_triage = False
        routing.compute_deadlines(case)
        transition(actor, case, "resolve_on_the_spot", access=access, data={"success": True},
                   public_reply=outcome)  # fmt: skip
        notify_reporters(
            case,
            _("Your report %(number)s was resolved") % {"number": case.tracking_number},
            outcome,
        )
        answer = respond(case, parties) if respond is not None else None
    return IntakeResult(case, duplicates, answer)
