"""Registration, acceptance (受理) and assignment of mediators."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import now, pk_of, require
from fengqiao.cases.actions.base import user_or_none as user_of
from fengqiao.cases.errors import CaseNotFound, InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, CaseKind, Category, OtherRoute
from fengqiao.cases.workflow import FINISHED
from fengqiao.org.models import Unit, UnitKind
from fengqiao.workcalendar import calendar as wc

from ..models import Mediation, Mediator, ReferralSource, StartMode
from ..workflow import transition
from .base import begin, start_case_task
from .committees import acts_for_committee, check_constituted, conflicts_of
from .numbers import allocate_number, time_limit_days


def check_civil_dispute(case: Case) -> None:
    """People's mediation takes civil disputes (民间纠纷) only: a case whose category (or one
    above it) is flagged otherwise is refused with the route the parties take instead."""
    if not case.category_id:
        return
    path = Category.objects.filter(pk=case.category_id).values_list("path", flat=True).first()
    chain = [int(x) for x in (path or "").strip("/").split("/") if x] or [case.category_id]
    flagged = list(Category.objects.filter(pk__in=chain, civil_dispute=False))
    if not flagged:
        return
    # The nearest flagged category (the case's own first) names the route.
    flagged.sort(key=lambda c: chain.index(c.pk) if c.pk in chain else -1, reverse=True)
    route = next((c.other_route for c in flagged if c.other_route), "")
    label = (
        OtherRoute(route).label
        if route
        else _("litigation, arbitration or administrative handling")
    )
    raise InvalidInput(
        "case",
        "not_civil_dispute",
        _(
            "“%(category)s” is not a civil dispute (民间纠纷); people's mediation does not take "
            "it. Tell the parties to go to: %(route)s."
        )
        % {"category": flagged[0].name, "route": label},
    )


def start(
    actor: Any,
    case: Case | int,
    *,
    committee: Unit | int,
    mode: str,
    referral_source: str = "",
    referral_reference: str = "",
    application_text: str = "",
    summary: str = "",
) -> Mediation:
    """Register a mediation of a dispute case: on a party's application, on the committee's own
    initiative, or handed over by the police, a court or a department (art. 17)."""
    if mode not in StartMode.values:
        raise InvalidInput(
            "mode", "choice", _("Choose: application, own initiative or handed over.")
        )
    if mode == StartMode.REFERRAL and referral_source not in (
        ReferralSource.POLICE,
        ReferralSource.COURT,
        ReferralSource.DEPARTMENT,
    ):
        raise InvalidInput(
            "referral_source",
            "required",
            _("Say who handed the dispute over: police, court or a department."),
        )
    if mode != StartMode.REFERRAL:
        referral_source = ""
    if mode == StartMode.APPLICATION:
        require("application_text", application_text, _("Write down what the party applies for."))
    with transaction.atomic():
        access = access_for(actor)
        try:
            unit = Unit.objects.select_related("region").get(
                pk=pk_of(committee), kind=UnitKind.MEDIATION_COMMITTEE, active=True
            )
        except (Unit.DoesNotExist, ValueError, TypeError):
            raise InvalidInput(
                "committee", "not_committee", _("Choose a people's mediation committee.")
            ) from None
        if not acts_for_committee(access, unit):
            raise NotPermitted(
                "committee", "permission", _("You may not mediate for this committee.")
            )
        try:
            case = Case.objects.select_for_update().get(pk=pk_of(case))
        except (Case.DoesNotExist, ValueError, TypeError):
            raise CaseNotFound() from None
        if not access.holds(case, Perm.CASE_VIEW):
            raise CaseNotFound()
        if case.kind != CaseKind.DISPUTE:
            raise InvalidInput("case", "not_dispute", _("Only a dispute can be mediated."))
        check_civil_dispute(case)
        if case.state in FINISHED:
            raise TransitionNotAllowed(
                "case", "finished", _("This case is finished; it cannot be mediated now.")
            )
        if Mediation.objects.filter(case=case).exists():
            raise TransitionNotAllowed("case", "duplicate", _("This case already has a mediation."))
        check_constituted(unit)
        at = now()
        m = Mediation(
            case=case,
            committee=unit,
            number=allocate_number(unit, timezone.localtime(at).year),
            start_mode=mode,
            referral_source=referral_source,
            referral_reference=referral_reference[:100],
            application_text=application_text,
            summary=summary or case.description or case.title,
            state="",
            registered_at=at,
            registered_by=user_of(actor),
            version=0,
        )
        transition(m, "register", actor, data={"mode": mode, "number": m.number})
    return m


def accept(
    actor: Any, mediation: Mediation | int, *, expected_version: int | None = None
) -> Mediation:
    """Accept (受理): the one-month time limit starts, counted in working days."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "accept", expected_version)
        m.accepted_at = now()
        m.due = wc.add_working_days(m.accepted_at, time_limit_days(m.committee))
        transition(m, "accept", actor, data={"due": m.due.isoformat()})
        start_case_task(m, actor)
    return m


def assign(
    actor: Any,
    mediation: Mediation | int,
    *,
    mediators: Sequence[Mediator | int],
    lead: Mediator | int,
    expected_version: int | None = None,
) -> Mediation:
    """Name the mediators (one of them the lead). A party, or someone related to one, is refused."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "assign", expected_version)
        ids = {pk_of(x) for x in mediators} | {pk_of(lead)}
        chosen = list(
            Mediator.objects.filter(pk__in=ids, committee=m.committee, active=True)
            .select_related("user")
            .prefetch_related("conflicts")
        )
        if len(chosen) != len(ids):
            raise InvalidInput(
                "mediators", "not_member", _("Choose active mediators of this committee.")
            )
        case = m.case
        for mediator in chosen:
            reasons = conflicts_of(mediator, case)
            if reasons:
                raise InvalidInput(
                    "mediators",
                    "conflict",
                    _("%(reasons)s A mediator may not mediate a dispute they are part of.")
                    % {"reasons": " ".join(reasons)},
                )
        # Saved by transition(); the m2m needs the row, which exists.
        m.mediators.set(chosen)
        m.lead_mediator_id = pk_of(lead)
        transition(m, "assign", actor, data={"mediators": sorted(ids), "lead": pk_of(lead)})
    return m
