"""Judicial confirmation of the agreement (art. 33): the joint application within 30 days of
the agreement taking effect, and the court's result."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.actions.base import pk_of, require
from fengqiao.cases.errors import InvalidInput

from ..errors import MediationNotFound
from ..models import Agreement, JudicialConfirmation
from ..workflow import transition
from .base import begin


def record_judicial_confirmation(
    actor: Any,
    agreement: Agreement | int,
    *,
    applied_at: date,
    court: str,
    result: str = JudicialConfirmation.Result.PENDING,
    result_at: date | None = None,
    note: str = "",
) -> JudicialConfirmation:
    """The parties' joint application for judicial confirmation (art. 33), due within 30 days
    of the agreement taking effect, and the court's result (recorded again when it comes)."""
    try:
        mediation_id = Agreement.objects.values_list("mediation_id", flat=True).get(
            pk=pk_of(agreement)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    with transaction.atomic():
        m, _a = begin(actor, mediation_id, "confirmation")
        agreement = Agreement.objects.get(pk=pk_of(agreement))
        if not isinstance(applied_at, date):
            raise InvalidInput("applied_at", "invalid", _("Enter a date."))
        due = agreement.confirmation_due
        start_day = timezone.localtime(agreement.effective_at).date()
        if applied_at < start_day:
            raise InvalidInput(
                "applied_at", "early", _("The application comes after the agreement takes effect.")
            )
        if applied_at > due:
            raise InvalidInput(
                "applied_at",
                "late",
                _(
                    "The joint application was due by %(due)s (30 days after the agreement took "
                    "effect, art. 33)."
                )
                % {"due": due.isoformat()},
            )
        require("court", court, _("Name the court."))
        if result not in JudicialConfirmation.Result.values:
            raise InvalidInput("result", "choice", _("Choose the result."))
        if result != JudicialConfirmation.Result.PENDING and not isinstance(result_at, date):
            raise InvalidInput("result_at", "required", _("When did the court decide?"))
        if result_at is not None and result_at < applied_at:
            raise InvalidInput("result_at", "early", _("The decision comes after the application."))
        jc, _created = JudicialConfirmation.objects.update_or_create(
            agreement=agreement,
            defaults={"applied_at": applied_at, "court": court, "result": result,
                      "result_at": result_at, "note": note},
        )  # fmt: skip
        transition(m, "confirmation", actor, data={"result": result})
    return jc


def confirmation_days_left(agreement: Agreement, today: date | None = None) -> int | None:
    due = agreement.confirmation_due
    if due is None:
        return None
    return (due - (today or timezone.localdate())).days
