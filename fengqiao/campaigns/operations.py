"""Special operations (专项行动): member units report their figures per period, the district
validates each report, corrections keep their history; totals, trends and who has not
reported by the deadline (with a reminder)."""

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import Perm
from fengqiao.cases import notifications
from fengqiao.cases.errors import (
    ConflictError,
    FieldError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from fengqiao.core import audit
from fengqiao.org.models import Unit
from fengqiao.risk.errors import NotFound

from .models import (
    Operation,
    OperationReport,
    Period,
    ReportReminder,
    ReportRevision,
    ReportState,
)

R = ReportState
# name → (sources, target, capability): submit and correct are the unit's, held over the unit;
# validate and reject the organiser's, held over the operation's region.
REPORT_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({""}), R.SUBMITTED, Perm.OPERATION_REPORT),
    "correct": (
        frozenset({R.SUBMITTED, R.VALIDATED, R.REJECTED}),
        R.SUBMITTED,
        Perm.OPERATION_REPORT,
    ),
    "validate": (frozenset({R.SUBMITTED}), R.VALIDATED, Perm.OPERATION_MANAGE),
    "reject": (frozenset({R.SUBMITTED}), R.REJECTED, Perm.OPERATION_MANAGE),
}
# What each step is called where an entry names it (the audit trail's "action" of a report).
STEP_LABELS = {
    "submit": pgettext_lazy("report step", "Submitted"),
    "correct": pgettext_lazy("report step", "Corrected"),
    "validate": pgettext_lazy("report step", "Validated"),
    "reject": pgettext_lazy("report step", "Rejected"),
}


def operation_rule(access: Access, perm: str) -> Q:
    """Operations run inside the scope, or with one of the scope's units as a member."""
    scope = access.scope(perm)
    q = scope.q(path="region__path")
    if scope.unit_ids:
        q |= Q(
            pk__in=Operation.units.through.objects.filter(
                unit_id__in=sorted(scope.unit_ids)
            ).values("operation_id")
        )
    return q


def report_rule(access: Access, perm: str) -> Q:
    return access.scope(perm).q(path="operation__region__path", unit="unit_id")


VIEW_PERMS = (Perm.OPERATION_MANAGE, Perm.OPERATION_REPORT, Perm.STATS_VIEW)


def visible_operations(actor: Any) -> QuerySet[Operation]:
    access = access_for(actor)
    qs = Operation.objects.none()
    for p in VIEW_PERMS:
        qs = qs | access.visible(Operation.objects.all(), p)
    return qs.distinct()


def get_operation(actor: Any, pk: Any) -> Operation:
    try:
        return visible_operations(actor).get(pk=pk)
    except (Operation.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def visible_reports(actor: Any, operation: Operation) -> QuerySet[OperationReport]:
    access = access_for(actor)
    qs = OperationReport.objects.none()
    for p in VIEW_PERMS:
        qs = qs | access.visible(OperationReport.objects.filter(operation=operation), p)
    return qs.distinct()


# -- periods ---------------------------------------------------------------------------------


def period_start(op: Operation, day: date) -> date:
    if op.period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(op: Operation, start: date) -> date:
    if op.period == Period.WEEK:
        return start + timedelta(days=6)
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def periods(op: Operation, until: date) -> list[date]:
    """The starts of the operation's periods from its start up to `until` (or its end)."""
    out: list[date] = []
    p = period_start(op, op.starts_on)
    last = min(until, op.ends_on)
    while p <= last and len(out) < 1000:
        out.append(p)
        p = period_end(op, p) + timedelta(days=1)
    return out


def due_date(op: Operation, start: date) -> date:
    return period_end(op, start) + timedelta(days=op.due_days)


# -- actions ---------------------------------------------------------------------------------


def clean_values(op: Operation, values: Any) -> dict[str, int]:
    """One whole number per indicator, 0 to its plausible maximum; nothing else."""
    if not isinstance(values, dict):
        raise InvalidInput("values", "invalid", _("Give one figure per indicator."))
    indicators = list(op.indicators.all())
    errors: list[FieldError] = []
    known = {i.code for i in indicators}
    for key in values:
        if key not in known:
            errors.append(
                FieldError(
                    "values",
                    "unknown",
                    _("The operation has no indicator %(code)s.") % {"code": str(key)[:40]},
                )
            )
    out: dict[str, int] = {}
    for i in indicators:
        v = values.get(i.code)
        if isinstance(v, bool) or not isinstance(v, int):
            errors.append(
                FieldError(
                    f"values.{i.code}",
                    "required",
                    _("%(name)s: give a whole number.") % {"name": i.name},
                )
            )
        elif not 0 <= v <= i.max_value:
            errors.append(
                FieldError(
                    f"values.{i.code}",
                    "range",
                    _("%(name)s: 0 to %(max)d.") % {"name": i.name, "max": i.max_value},
                )
            )
        else:
            out[i.code] = v
    if errors:
        raise InvalidInput.many(errors)
    return out


def _apply(
    actor: Any, r: OperationReport, name: str, note: str = "", data: dict | None = None
) -> None:
    sources, target, _perm = REPORT_TRANSITIONS[name]
    before = "" if r.pk is None else r.state
    if before not in sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            _("A report that is %(state)s cannot do this.") % {"state": r.get_state_display()},
        )
    r.state = target
    if before:
        r.version += 1
    r.save()
    ReportRevision.objects.create(
        report=r,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=name,
        from_state=before,
        to_state=r.state,
        note=note,
        data=data or {},
    )
    audit.record(
        actor,
        "create" if name == "submit" else "update",
        r,
        {"action": [None, name], **(data or {})},
    )


def submit_report(
    actor: Any, operation: Any, unit: Any, period: Any, values: Any
) -> OperationReport:
    """A member unit's figures for one period (the period's start date, or any day in it)."""
    access = access_for(actor)
    op = get_operation(actor, getattr(operation, "pk", operation))
    unit_id = getattr(unit, "pk", unit)
    if (
        isinstance(unit_id, bool)
        or not isinstance(unit_id, int)
        or not op.units.filter(pk=unit_id).exists()
    ):
        raise InvalidInput(
            "unit", "not_found_in_scope", _("Choose a member unit of this operation.")
        )
    u = Unit.objects.get(pk=unit_id)
    if not access.holds(u, Perm.OPERATION_REPORT):
        raise NotPermitted("unit", "permission", _("You may not report for this unit."))
    if isinstance(period, str):
        try:
            period = date.fromisoformat(period)
        except ValueError:
            period = None
    if (
        not isinstance(period, date)
        or not op.starts_on - timedelta(days=31) <= period <= op.ends_on
    ):
        raise InvalidInput(
            "period", "invalid", _("Give a day of a period of the operation (YYYY-MM-DD).")
        )
    start = period_start(op, period)
    if start > timezone.localdate():
        raise InvalidInput("period", "future", _("This period has not started yet."))
    clean = clean_values(op, values)
    with transaction.atomic():
        if (
            OperationReport.objects.select_for_update()
            .filter(operation=op, unit=u, period_start=start)
            .exists()
        ):
            raise ConflictError(
                "period",
                "exists",
                _("This unit has reported for this period; correct the report instead."),
            )
        r = OperationReport(
            operation=op,
            unit=u,
            period_start=start,
            values=clean,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        _apply(actor, r, "submit", data={"values": clean})
    return r


def _lock(actor: Any, report: Any, name: str, expected_version: Any) -> OperationReport:
    access = access_for(actor)
    perm = REPORT_TRANSITIONS[name][2]
    try:
        r = (
            access.visible(OperationReport.objects.all(), perm)
            .select_for_update()
            .get(pk=getattr(report, "pk", report))
        )
    except (OperationReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if expected_version is not None and str(expected_version) != str(r.version):
        raise ConflictError("version", "stale", _("This was changed by someone else; reload."))
    if perm == Perm.OPERATION_MANAGE and not access.scope(perm).covers_path(
        r.operation.region.path
    ):
        raise NotPermitted("", "permission", _("Only the operation's organisers validate reports."))
    return r


def correct_report(
    actor: Any, report: Any, values: Any, note: Any, expected_version: Any = None
) -> OperationReport:
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("note", "required", _("Say what is corrected and why."))
    with transaction.atomic():
        r = _lock(actor, report, "correct", expected_version)
        clean = clean_values(r.operation, values)
        old = r.values
        r.values, r.submitted_by, r.submitted_at = clean, actor, timezone.now()
        r.validated_by, r.validated_at = None, None
        _apply(actor, r, "correct", note=note.strip()[:1000], data={"old": old, "new": clean})
    return r


def decide_report(
    actor: Any, report: Any, name: str, note: Any = "", expected_version: Any = None
) -> OperationReport:
    if name not in ("validate", "reject"):
        raise InvalidInput("action", "invalid_choice", _("Unknown action."))
    note = note.strip() if isinstance(note, str) else ""
    if name == "reject" and not note:
        raise InvalidInput("note", "required", _("Say why the report is rejected."))
    with transaction.atomic():
        r = _lock(actor, report, name, expected_version)
        if name == "validate":
            r.validated_by, r.validated_at = actor, timezone.now()
        _apply(actor, r, name, note=note[:1000])
    return r


# -- figures ---------------------------------------------------------------------------------


def figures(actor: Any, op: Operation, today: date | None = None) -> dict[str, Any]:
    """Totals of validated reports per indicator, the trend by period and by unit, pending
    reports, and the member units that have not reported a period whose deadline passed."""
    today = today or timezone.localdate()
    indicators = list(op.indicators.all())
    reports = list(visible_reports(actor, op).select_related("unit"))
    valid = [r for r in reports if r.state == R.VALIDATED]
    totals = {i.code: sum(r.values.get(i.code, 0) for r in valid) for i in indicators}
    all_periods = periods(op, today)
    trend = {
        i.code: [
            sum(r.values.get(i.code, 0) for r in valid if r.period_start == p) for p in all_periods
        ]
        for i in indicators
    }
    units = {r.unit_id: r.unit.name for r in reports}
    by_unit = {
        name: {
            i.code: sum(r.values.get(i.code, 0) for r in valid if r.unit_id == uid)
            for i in indicators
        }
        for uid, name in sorted(units.items())
    }
    return {
        "indicators": [{"code": i.code, "name": i.name} for i in indicators],
        "totals": totals,
        "periods": [p.isoformat() for p in all_periods],
        "trend": trend,
        "by_unit": by_unit,
        "pending": sum(1 for r in reports if r.state == R.SUBMITTED),
        "missing": missing_reports(op, today),
    }


def missing_reports(op: Operation, today: date) -> list[dict]:
    """Member units with no report for a period whose deadline has passed."""
    done = set(OperationReport.objects.filter(operation=op).values_list("unit_id", "period_start"))
    out = []
    for p in periods(op, today):
        if due_date(op, p) >= today:
            continue
        for u in op.units.all().order_by("name"):
            if (u.pk, p) not in done:
                out.append(
                    {
                        "unit": u.pk,
                        "unit_name": u.name,
                        "period": p.isoformat(),
                        "due": due_date(op, p).isoformat(),
                    }
                )
    return out


def remind_missing(today: date | None = None) -> int:
    """Remind each unit once per missing period (its liaisons, by the notification channels)."""
    today = today or timezone.localdate()
    sent = 0
    for op in Operation.objects.filter(active=True, starts_on__lte=today):
        for m in missing_reports(op, today):
            with transaction.atomic():
                _reminder, created = ReportReminder.objects.get_or_create(
                    operation=op, unit_id=m["unit"], period_start=date.fromisoformat(m["period"])
                )
                if not created:
                    continue
                sent += 1
                for ra in RoleAssignment.objects.filter(
                    active=True, scope_type=ScopeType.UNIT, unit_id=m["unit"]
                ).select_related("user"):
                    r = notifications.Recipient(ra.user.get_full_name(), ra.user.email, "")
                    if r.reachable:
                        notifications.queue(
                            r,
                            _("Report due: %(op)s") % {"op": op.name},
                            _(
                                "Your unit has not reported its figures for the period from %(p)s (due %(due)s)."
                            )
                            % {"p": m["period"], "due": m["due"]},
                        )
    return sent
