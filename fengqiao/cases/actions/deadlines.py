"""Deadlines: extensions asked and decided, supervision cards raised by hand, and the sweep
that marks overdue cases and raises cards by itself (also for late mediations)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import routing
from fengqiao.cases.actions.base import (
    begin,
    history,
    inbox,
    lock,
    now,
    pk_of,
    require,
    supervisor_unit,
    transition,
    user_or_none,
)
from fengqiao.cases.errors import CaseNotFound, InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import (
    Case,
    CaseState,
    Extension,
    InboxItem,
    SupervisionCard,
    SupervisionLevel,
    Task,
)
from fengqiao.cases.workflow import OPEN
from fengqiao.org.models import Unit

MAX_EXTENSION_DAYS = 30


def request_extension(
    actor: Any, case: Case | int, *, days: int, reason: str, expected_version: int
) -> Extension:
    """Ask for more working days, before the deadline has passed."""
    with transaction.atomic():
        case, access = begin(actor, case, "request_extension", expected_version)
        require("reason", reason, _("Give the reason for the extension."))
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidInput(
                "days",
                "range",
                _("Ask for 1 to %(max)d working days.") % {"max": MAX_EXTENSION_DAYS},
            )
        if case.handle_due is None or case.handle_due <= now():
            raise TransitionNotAllowed(
                "days", "expired", _("An extension must be requested before the deadline.")
            )
        if case.extensions.filter(status=Extension.Status.PENDING).exists():
            raise TransitionNotAllowed(
                "days", "pending", _("An extension request is already waiting for a decision.")
            )
        ext = Extension.objects.create(
            case=case, days=days, reason=reason, requested_by=user_or_none(actor),
            requested_at=now(),
        )  # fmt: skip
        inbox(case, InboxItem.Kind.EXTENSION, unit=supervisor_unit(case), text=reason)
        transition(
            actor,
            case,
            "request_extension",
            access=access,
            note=reason,
            data={"extension": ext.pk, "days": days},
        )
    return ext


def decide_extension(
    actor: Any, extension: Extension | int, *, approve: bool, note: str = "", expected_version: int
) -> Extension:
    """Approve (the handle deadline moves out by the days asked) or reject a request."""
    ext = Extension.objects.filter(pk=pk_of(extension)).first()
    if ext is None:
        raise CaseNotFound()
    with transaction.atomic():
        case, access = begin(actor, ext.case_id, "decide_extension", expected_version)
        ext = Extension.objects.select_for_update().get(pk=ext.pk)
        if ext.status != Extension.Status.PENDING:
            raise TransitionNotAllowed(
                "extension", "decided", _("This request was already decided.")
            )
        ext.status = Extension.Status.APPROVED if approve else Extension.Status.REJECTED
        ext.decided_by, ext.decided_at, ext.decision_note = user_or_none(actor), now(), note
        ext.save()
        if approve:
            case.extension_days += ext.days
            routing.compute_deadlines(case)
            if case.handle_due and case.handle_due > now():
                case.is_overdue = False
        name = "approve_extension" if approve else "reject_extension"
        transition(actor, case, name, access=access, note=note, data={"extension": ext.pk})
    return ext


def approve_extension(
    actor: Any, extension: Extension | int, *, note: str = "", expected_version: int
) -> Extension:
    return decide_extension(
        actor, extension, approve=True, note=note, expected_version=expected_version
    )


def reject_extension(
    actor: Any, extension: Extension | int, *, note: str = "", expected_version: int
) -> Extension:
    return decide_extension(
        actor, extension, approve=False, note=note, expected_version=expected_version
    )


def raise_card(
    case: Case, level: str, reason: str, actor: Any, now: datetime
) -> SupervisionCard | None:
    if case.supervision_level == SupervisionLevel.RED or case.supervision_level == level:
        return None
    card, created = SupervisionCard.objects.get_or_create(
        case=case,
        level=level,
        resolved_at=None,
        defaults={
            "raised_at": now,
            "raised_by": user_or_none(actor),
            "reason": reason,
            "to_unit": case.handling_unit,
        },
    )
    case.supervision_level = level
    inbox(case, InboxItem.Kind.SUPERVISION, unit=case.handling_unit, text=reason)
    inbox(case, InboxItem.Kind.SUPERVISION, unit=supervisor_unit(case), text=reason)
    return card if created else None


def raise_supervision(
    actor: Any, case: Case | int, *, level: str, reason: str, expected_version: int
) -> SupervisionCard:
    """A supervisor chases a case by hand with a yellow or red card."""
    with transaction.atomic():
        case, access = begin(actor, case, "raise_supervision", expected_version)
        require("reason", reason, _("Give the reason."))
        if level not in (SupervisionLevel.YELLOW, SupervisionLevel.RED):
            raise InvalidInput("level", "choice", _("Choose a yellow or a red card."))
        if case.supervision_level == SupervisionLevel.RED or case.supervision_level == level:
            raise TransitionNotAllowed("level", "already", _("The case already carries this card."))
        card = raise_card(case, level, reason, actor, now())
        assert card is not None  # refused above when the case already carries this card
        transition(
            actor, case, "raise_supervision", access=access, note=reason, data={"level": level}
        )
    return card


@dataclass
class SweepReport:
    overdue: int = 0
    yellow: int = 0
    red: int = 0
    near: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"overdue": self.overdue, "yellow": self.yellow, "red": self.red, "near": self.near}


SWEPT_STATES = OPEN - {CaseState.SUSPENDED}


def sweep_deadlines(now: datetime | None = None) -> SweepReport:
    """Mark overdue cases, raise a yellow card at the handle deadline and a red one when the
    case is still open CASE_RED_CARD_AFTER_WORKING_DAYS working days later, and warn units a
    working day before a deadline. Idempotent: running it twice changes nothing more.

    Sweep changes do not bump the version: they touch no field a person edits, and a
    clerk's form should not go stale because the clock ticked.
    """
    from fengqiao.workcalendar.calendar import WorkCalendar

    now = now or timezone.now()
    cal = WorkCalendar.load()
    red_after = settings.CASE_RED_CARD_AFTER_WORKING_DAYS
    report = SweepReport()
    late = Case.objects.filter(state__in=SWEPT_STATES, handle_due__lt=now).exclude(
        is_overdue=True, supervision_level=SupervisionLevel.RED
    )
    for case_id in late.values_list("id", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.state not in SWEPT_STATES or not case.handle_due or case.handle_due >= now:
                continue
            changes = []
            if not case.is_overdue:
                case.is_overdue = True
                report.overdue += 1
                changes.append("overdue")
                inbox(case, InboxItem.Kind.OVERDUE, unit=case.handling_unit, text=case.title)
            if case.supervision_level == SupervisionLevel.NONE:
                raise_card(case, SupervisionLevel.YELLOW, _("Deadline passed"), None, now)
                report.yellow += 1
                changes.append("yellow")
            if (
                case.supervision_level == SupervisionLevel.YELLOW
                and cal.add_working_days(case.handle_due, red_after) < now
            ):
                raise_card(
                    case,
                    SupervisionLevel.RED,
                    _("Still open %(n)d working days after the deadline") % {"n": red_after},
                    None,
                    now,
                )
                report.red += 1
                changes.append("red")
            if changes:
                history(
                    case, None, "deadline_sweep", case.state, data={"changes": changes}, bump=False
                )
    # Deadline near: less than one working day left, warned once per case and deadline.
    soon = Case.objects.filter(
        state__in=SWEPT_STATES,
        is_overdue=False,
        handle_due__gte=now,
        handle_due__lte=cal.add_working_days(now, 1),
    )
    for case in soon.select_related("handling_unit"):
        due = case.handle_due.isoformat() if case.handle_due else ""
        if case.inbox_items.filter(kind=InboxItem.Kind.DEADLINE_NEAR, text=due).exists():
            continue
        with transaction.atomic():
            inbox(
                case,
                InboxItem.Kind.DEADLINE_NEAR,
                unit=case.handling_unit,
                text=due,
            )
            for task in case.tasks.filter(active=True).exclude(
                state__in=[Task.State.DONE, Task.State.WAIVED]
            ):
                if task.unit_id != case.handling_unit_id:
                    inbox(
                        case,
                        InboxItem.Kind.DEADLINE_NEAR,
                        unit=task.unit,
                        text=due,
                    )
            report.near += 1
    return report


def flag_mediation_overdue(
    case: Case | int,
    *,
    due: datetime,
    reference: str,
    unit: Unit | None = None,
    newly_overdue: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """The case's people's mediation ran past its time limit (`due`): raise a yellow card on
    the case, and a red one when it is still running CASE_RED_CARD_AFTER_WORKING_DAYS working
    days after `due`, as sweep_deadlines does for the handle deadline. The mediation sweep
    (fengqiao.mediation.actions.sweep_time_limits) calls this holding the mediation's row lock,
    after checking that the mediation is still open; `unit` is the committee being chased,
    `newly_overdue` says the mediation has just been marked overdue (its committee is told).

    Locks the case row. Idempotent: a card the case already holds (from its own deadline, this
    sweep or a supervisor) is never raised again. A suspended or finished case is left alone.
    Writes a "deadline_sweep" history entry without a version bump when something changed.
    The case's own `is_overdue` is not touched: it means the handle deadline was missed and
    feeds the on-time rate; the mediation keeps its own mark.

    Returns the changes: some of "mediation_overdue", "yellow", "red", in that order.
    """
    from fengqiao.workcalendar.calendar import WorkCalendar

    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        if case.state not in SWEPT_STATES or due >= now:
            return []
        changes = []
        if newly_overdue:
            changes.append("mediation_overdue")
            text = _("Mediation %(n)s passed its time limit") % {"n": reference}
            inbox(case, InboxItem.Kind.OVERDUE, unit=unit, text=text)
        if case.supervision_level == SupervisionLevel.NONE:
            reason = _("Mediation %(n)s passed its time limit") % {"n": reference}
            mediation_card(case, SupervisionLevel.YELLOW, reason, unit, now)
            changes.append("yellow")
        red_after = settings.CASE_RED_CARD_AFTER_WORKING_DAYS
        if (
            case.supervision_level == SupervisionLevel.YELLOW
            and WorkCalendar.load().add_working_days(due, red_after) < now
        ):
            reason = _("Mediation %(n)s still running %(d)d working days after its time limit") % {
                "n": reference,
                "d": red_after,
            }
            mediation_card(case, SupervisionLevel.RED, reason, unit, now)
            changes.append("red")
        if changes:
            data = {"changes": changes, "mediation": reference, "due": due.isoformat()}
            history(case, None, "deadline_sweep", case.state, data=data, bump=False)
    return changes


def mediation_card(case: Case, level: str, reason: str, unit: Unit | None, now: datetime) -> None:
    """A card through _raise_card (handling unit and supervisor told), addressed to the
    committee whose mediation is late, which hears of it too."""
    card = raise_card(case, level, reason, None, now)
    if card is not None and unit is not None and unit.pk != case.handling_unit_id:
        card.to_unit = unit
        card.save(update_fields=["to_unit"])
        inbox(case, InboxItem.Kind.SUPERVISION, unit=unit, text=reason)
