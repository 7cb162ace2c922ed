"""The agreement (art. 28–30): written (signatures of the parties and the mediator, the
committee's seal) or oral (recorded in the oral-agreement register); it takes effect, the
mediation ends agreed and the case is resolved."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import actions as case_services
from fengqiao.cases.actions.base import moment, pk_of, require
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Case, Party
from fengqiao.cases.workflow import FINISHED

from ..errors import MediationNotFound
from ..models import Agreement, Mediation, PerformanceItem, Signature
from ..workflow import transition
from .base import begin, case_step, case_version, finish_case_task, party_of

WRITTEN_CONTENTS = (
    "parties_facts",
    "main_facts",
    "disputed_points",
    "responsibilities",
    "performance_method",
)


def record_agreement(
    actor: Any,
    mediation: Mediation | int,
    *,
    form: str,
    agreed_items: str,
    parties_facts: str = "",
    main_facts: str = "",
    disputed_points: str = "",
    responsibilities: str = "",
    performance_method: str = "",
    items: Sequence[Mapping[str, Any]] = (),
    recorded_at: datetime | None = None,
) -> Agreement:
    """A written agreement (takes effect with every signature and the seal, art. 29) or an
    oral one (takes effect when recorded, art. 30). `items`: obligor (party), what, due_date."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "agreement")
        if form not in Agreement.Form.values:
            raise InvalidInput("form", "choice", _("Choose written or oral."))
        require("agreed_items", agreed_items, _("Write down what was agreed."))
        given = {
            "parties_facts": parties_facts,
            "main_facts": main_facts,
            "disputed_points": disputed_points,
            "responsibilities": responsibilities,
            "performance_method": performance_method,
        }
        if form == Agreement.Form.WRITTEN:
            for name in WRITTEN_CONTENTS:
                require(name, given[name], _("A written agreement must state this (art. 29)."))
        cleaned = []
        for i, item in enumerate(items):
            p = party_of(m, item.get("obligor"), f"items.{i}.obligor")
            require(f"items.{i}.what", item.get("what"), _("What must be done?"))
            due = item.get("due_date")
            if isinstance(due, str):
                try:
                    due = date.fromisoformat(due)
                except ValueError:
                    due = None
            if not isinstance(due, date):
                raise InvalidInput(f"items.{i}.due_date", "invalid", _("Enter a date."))
            cleaned.append((p, item["what"], due))
        agreement = Agreement.objects.create(
            mediation=m,
            form=form,
            agreed_items=agreed_items,
            copies=m.case.parties.count() + 1,
            mediator=m.lead_mediator,
            created_at=moment(None, "created_at"),
            **given,
        )
        for p, what, due in cleaned:
            PerformanceItem.objects.create(agreement=agreement, obligor=p, what=what, due_date=due)
        transition(m, "agreement", actor, data={"form": form})
        if form == Agreement.Form.ORAL:
            agreement.recorded_at = moment(recorded_at, "recorded_at")
            agreement.save()
            take_effect(m, agreement, actor, agreement.recorded_at)
    return agreement


def missing_signatures(agreement: Agreement) -> list[str]:
    """Who has still to sign, seal or thumbprint (written agreements)."""
    if agreement.form == Agreement.Form.ORAL:
        return []
    signed = set(agreement.signatures.values_list("party_id", flat=True))
    missing = [p.name for p in agreement.mediation.case.parties.all() if p.pk not in signed]
    if agreement.mediator_signed_at is None:
        missing.append(str(_("the mediator")))
    if agreement.seal_at is None:
        missing.append(str(_("the committee's seal")))
    return missing


def take_effect(m: Mediation, agreement: Agreement, actor: Any, at: datetime) -> None:
    """The agreement is in effect: the mediation ends agreed, the case is resolved."""
    agreement.effective_at = at
    agreement.save()
    m.ended_at = at
    transition(m, "effective", actor, data={"effective_at": at.isoformat()})
    outcome = _("Mediation agreement %(number)s in effect: %(items)s") % {
        "number": m.number,
        "items": agreement.agreed_items[:500],
    }
    finish_case_task(m, actor, outcome)
    case = Case.objects.get(pk=m.case_id)
    if case.state not in FINISHED:
        case_step(m, actor, "resolve", lambda: case_services.resolve(
            actor, case.pk, outcome=outcome, success=True,
            expected_version=case_version(case.pk)))  # fmt: skip


def sign(
    actor: Any,
    agreement: Agreement | int,
    *,
    who: str,
    party: Party | int | None = None,
    method: str = Signature.Method.SIGNED,
    at: datetime | None = None,
) -> Agreement:
    """Record one signature: who = "party" (signed, sealed or thumbprinted), "mediator" or
    "seal" (the committee's seal). The agreement takes effect when all are present."""
    try:
        mediation_id = Agreement.objects.values_list("mediation_id", flat=True).get(
            pk=pk_of(agreement)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    with transaction.atomic():
        m, _a = begin(actor, mediation_id, "sign")
        agreement = Agreement.objects.select_for_update().get(pk=pk_of(agreement))
        if agreement.form != Agreement.Form.WRITTEN:
            raise InvalidInput("who", "oral", _("An oral agreement is not signed."))
        when = moment(at, "at")
        if who == "party":
            p = party_of(m, party)
            if method not in Signature.Method.values:
                raise InvalidInput("method", "choice", _("Signed, sealed or thumbprinted?"))
            if Signature.objects.filter(agreement=agreement, party=p).exists():
                raise InvalidInput("party", "duplicate", _("This party has already signed."))
            Signature.objects.create(agreement=agreement, party=p, method=method, at=when)
            data = {"party": p.pk, "method": method}
        elif who == "mediator":
            if agreement.mediator_signed_at:
                raise InvalidInput("who", "duplicate", _("The mediator has already signed."))
            agreement.mediator_signed_at = when
            agreement.mediator = agreement.mediator or m.lead_mediator
            data = {}
        elif who == "seal":
            if agreement.seal_at:
                raise InvalidInput("who", "duplicate", _("The seal is already on it."))
            agreement.seal_at = when
            data = {}
        else:
            raise InvalidInput("who", "choice", _("Choose a party, the mediator or the seal."))
        agreement.save()
        transition(m, "sign", actor, data=data, event=f"sign_{who}")
        if not missing_signatures(agreement):
            times = [agreement.mediator_signed_at, agreement.seal_at]
            times += list(agreement.signatures.values_list("at", flat=True))
            take_effect(m, agreement, actor, max(times))
    return agreement


def oral_agreements(mediations) -> list[Agreement]:
    """The oral-agreement register (口头协议登记): oral agreements of `mediations` (a scoped
    queryset), oldest first, with what the register shows."""
    return list(
        Agreement.objects.filter(mediation__in=mediations, form=Agreement.Form.ORAL)
        .select_related("mediation__committee", "mediation__case", "mediator__user")
        .prefetch_related("items__obligor")
        .order_by("recorded_at", "id")
    )
