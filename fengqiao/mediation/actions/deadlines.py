"""The one-month time limit: its extension (once, with the parties' consent) and the sweep that
flags open mediations past it."""

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import actions as case_services
from fengqiao.cases.actions.base import now as clock
from fengqiao.cases.actions.base import require
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import InboxItem, SupervisionLevel
from fengqiao.org.models import Unit
from fengqiao.workcalendar import calendar as wc

from ..models import OPEN_STATES, Mediation, MediationEvent
from ..workflow import transition
from .base import begin


def extend_time_limit(
    actor: Any,
    mediation: Mediation | int,
    *,
    new_due: date,
    consent: str,
    expected_version: int | None = None,
) -> Mediation:
    """Extend the one-month limit once, the parties having agreed (`consent`: who agreed and
    how). The new date is recorded with the limit it replaces; a mediation flagged overdue whose
    new limit lies ahead is no longer overdue."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "extend", expected_version)
        if not isinstance(new_due, date) or isinstance(new_due, datetime):
            raise InvalidInput("new_due", "invalid", _("Enter a date."))
        require("consent", consent, _("Record how the parties agreed to the extension."))
        old = timezone.localtime(m.due)
        if new_due <= old.date():
            raise InvalidInput(
                "new_due",
                "not_later",
                _("The new time limit comes after the present one (%(due)s).")
                % {"due": old.date().isoformat()},
            )
        m.original_due = m.due
        m.due = timezone.make_aware(datetime.combine(new_due, max(old.time(), time(17, 0))))
        m.extension_consent = consent
        if m.is_overdue and m.due > clock():
            m.is_overdue = False
        transition(m, "extend", actor, note=consent, data={
            "from": m.original_due.isoformat(), "to": m.due.isoformat()})  # fmt: skip
    return m


# The same counts as the cases' deadline sweep (the limit raises cards through it).
TimeLimitReport = case_services.SweepReport


def _sweep_event(m: Mediation, action: str, data: dict) -> None:
    # No version bump and no state change: the clock ticking must not make a mediator's open
    # form stale.
    MediationEvent.objects.create(
        mediation=m, action=action, from_state=m.state, to_state=m.state, data=data
    )


def sweep_time_limits(now: datetime | None = None) -> TimeLimitReport:
    """The mediation's one-month time limit (`Mediation.due`, working days from acceptance,
    perhaps extended once) run as a case deadline: an open mediation past it is marked overdue
    and its case gets a yellow card, then a red one CASE_RED_CARD_AFTER_WORKING_DAYS working
    days later (through cases.actions.flag_mediation_overdue: the supervisor's inbox, the
    case's history); the committee is warned once per mediation and due date when less than one
    working day is left.

    Ended mediations (agreed, failed, refused, withdrawn) are never flagged; while its case is
    suspended, the mediation is not swept either (the case's clocks stop). Idempotent: a second
    run changes nothing more.
    """
    at = now or clock()
    swept_cases = case_services.SWEPT_STATES
    report = TimeLimitReport()
    late = (
        Mediation.objects.filter(state__in=OPEN_STATES, due__lt=at, case__state__in=swept_cases)
        .exclude(is_overdue=True, case__supervision_level=SupervisionLevel.RED)
        .order_by("pk")
    )
    for pk in late.values_list("pk", flat=True):
        with transaction.atomic():
            # Mediation first, then the case: the lock order of every mediation action.
            m = Mediation.objects.select_for_update().get(pk=pk)
            if m.state not in OPEN_STATES or m.due is None or m.due >= at:
                continue
            changes = case_services.flag_mediation_overdue(
                m.case_id,
                due=m.due,
                reference=m.number,
                unit=Unit.objects.get(pk=m.committee_id),
                newly_overdue=not m.is_overdue,
                now=at,
            )
            if not changes:
                continue
            if "mediation_overdue" in changes:
                m.is_overdue = True
                m.save(update_fields=["is_overdue"])
                report.overdue += 1
            report.yellow += "yellow" in changes
            report.red += "red" in changes
            action = "overdue" if "mediation_overdue" in changes else "supervision"
            _sweep_event(m, action, {"changes": changes, "due": m.due.isoformat()})

    # Time limit near: less than one working day left, warned once per mediation and due date.
    soon = Mediation.objects.filter(
        state__in=OPEN_STATES,
        is_overdue=False,
        due__gte=at,
        due__lte=wc.add_working_days(at, 1),
        case__state__in=swept_cases,
    ).order_by("pk")
    for pk in soon.values_list("pk", flat=True):
        with transaction.atomic():
            m = Mediation.objects.select_for_update().get(pk=pk)
            if m.state not in OPEN_STATES or m.due is None or m.due < at:
                continue
            # The key the once-only check looks for: stable whatever the language of the run.
            key = f"{m.number} {m.due.isoformat()}"
            near = InboxItem.objects.filter(
                case_id=m.case_id, kind=InboxItem.Kind.DEADLINE_NEAR, text=key
            )
            if near.exists():
                continue
            InboxItem.objects.create(
                case_id=m.case_id, unit_id=m.committee_id, kind=InboxItem.Kind.DEADLINE_NEAR,
                text=key,
            )  # fmt: skip
            _sweep_event(m, "deadline_near", {"due": m.due.isoformat()})
            report.near += 1
    return report
