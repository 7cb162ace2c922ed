"""Visits to key persons: the due list, recording a visit, the overdue sweep.

A visit that finds a risk can register a case in the same step (through the cases intake);
apps above this one (risk) offer more follow-ups through `register_followup`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import notifications
from fengqiao.cases.errors import FieldError, InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.org.models import Unit
from fengqiao.registry.models import KeyPerson, Resident, Visit, VisitEscalation, VisitMethod
from fengqiao.registry.services import RecordNotFound

# (key person, resident, due date, station) of the overdue sweep.
Overdue = tuple[int, int, date | None, int | None]

# Days before the due date a visit shows as "due soon" on the worker's list.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Followup:
    """An offer shown after a visit that found a risk ("create a risk assessment")."""

    code: str
    label: str
    # (actor, visit) → URL of the page that continues the work.
    url: Callable[[Any, Visit], str]


_followups: list[Followup] = []


def register_followup(followup: Followup) -> None:
    """Let a higher app offer a follow-up to a risky visit (call in its AppConfig.ready)."""
    if all(f.code != followup.code for f in _followups):
        _followups.append(followup)


def followups() -> list[Followup]:
    return list(_followups)


@dataclass(frozen=True)
class DueRow:
    key_person: KeyPerson
    due_on: date | None
    state: str  # "overdue" | "due" | "soon"

    @property
    def days_late(self) -> int:
        return (timezone.localdate() - self.due_on).days if self.due_on else 0


def state_of(due: date | None, on_date: date) -> str:
    if due is None:
        return ""
    if due < on_date:
        return "overdue"
    if due == on_date:
        return "due"
    if due <= on_date + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return ""


def due_queryset(access: Access, on_date: date) -> QuerySet[KeyPerson]:
    """Active key persons visible for visiting whose visit falls due within DUE_SOON_DAYS."""
    qs = access.visible(KeyPerson.objects.filter(active=True), Perm.REGISTRY_VISIT)
    return qs.filter(next_visit_due__lte=on_date + timedelta(days=DUE_SOON_DAYS))


def visits_due_for(user: Any, on_date: date | None = None) -> list[DueRow]:
    """The visits a grid worker (or station) should make, most overdue first. For the phone's
    今日 page: a grid worker sees the key persons they are responsible for."""
    on_date = on_date or timezone.localdate()
    access = access_for(user)
    if not access.has_perm(Perm.REGISTRY_VISIT):
        return []
    qs = due_queryset(access, on_date)
    worker = getattr(user, "grid_worker", None)
    if worker is not None and not access.has_perm(Perm.SENSITIVE_VIEW):
        qs = qs.filter(responsible=worker)
    rows = qs.select_related("resident", "kind", "grid").order_by("next_visit_due", "id")[:200]
    return [DueRow(kp, kp.next_visit_due, state_of(kp.next_visit_due, on_date)) for kp in rows]


def _clean(data: Mapping[str, Any], kp: KeyPerson) -> dict[str, Any]:
    errors: list[FieldError] = []
    findings = str(data.get("findings") or "").strip()
    if not findings:
        errors.append(FieldError("findings", "required", _("Write what you found.")))
    elif len(findings) > 4000 or "\x00" in findings:
        errors.append(FieldError("findings", "invalid", _("At most 4000 characters.")))
    method = data.get("method") or VisitMethod.HOME
    if method not in VisitMethod.values:
        errors.append(FieldError("method", "choice", _("Choose how you visited.")))
    visited_on = data.get("visited_on") or timezone.localdate()
    if not isinstance(visited_on, date):
        try:
            visited_on = date.fromisoformat(str(visited_on))
        except ValueError:
            errors.append(FieldError("visited_on", "invalid", _("Enter a date as YYYY-MM-DD.")))
            visited_on = None
    if isinstance(visited_on, date) and visited_on > timezone.localdate():
        errors.append(FieldError("visited_on", "future", _("This cannot lie in the future.")))
    if isinstance(visited_on, date) and visited_on < kp.started_on - timedelta(days=366):
        errors.append(FieldError("visited_on", "invalid", _("This date is too early.")))
    level = data.get("risk_level_after")
    if level in (None, ""):
        level = None
    else:
        try:
            level = int(str(level))
        except ValueError:
            level = -1
        if not 0 <= level <= 5:
            errors.append(
                FieldError("risk_level_after", "invalid", _("Choose a level from 0 to 5."))
            )
    risk_found = data.get("risk_found") in (True, "true", "on", "1", 1)
    case_data = data.get("case")
    if case_data and not risk_found:
        errors.append(
            FieldError(
                "case", "invalid", _("A case is created only for a visit that found a risk.")
            )
        )
    if errors:
        raise InvalidInput.many(errors)
    met = data.get("met_in_person")
    return {
        "findings": findings,
        "method": method,
        "visited_on": visited_on,
        "risk_level_after": level,
        "risk_found": risk_found,
        "met_in_person": met not in (False, "false", "0", 0, "off"),
        "case": case_data if isinstance(case_data, Mapping) else None,
    }


def record_visit(actor: Any, key_person: KeyPerson | int, data: Mapping[str, Any]) -> Visit:
    """Record a visit (registry.visit over the key person's grid); reschedule the next one,
    close an open escalation and, if `data["case"]` is given for a visit that found a risk,
    register that case (cases intake, channel 网格员巡查) in the same transaction."""
    access = access_for(actor)
    if not access.has_perm(Perm.REGISTRY_VISIT):
        raise NotPermitted("", "permission", _("You may not record visits."))
    with transaction.atomic():
        kp = access.select_for_update(
            KeyPerson.objects.all(), key_person, Perm.REGISTRY_VISIT, missing=RecordNotFound
        )
        if not kp.active:
            raise RecordNotFound()
        clean = _clean(data, kp)
        case_data = clean.pop("case")
        visit = Visit.objects.create(key_person=kp, visitor=_user(actor), **clean)
        if case_data is not None:
            visit.case = _register_case(actor, kp, visit, case_data)
            visit.save(update_fields=["case"])
        before = audit.snapshot(kp)
        if clean["risk_level_after"] is not None and kp.kind.has_risk_levels:
            kp.risk_level = clean["risk_level_after"]
        if kp.last_visit_on is None or visit.visited_on >= kp.last_visit_on:
            kp.last_visit_on = visit.visited_on
            kp.next_visit_due = kp.schedule_from(visit.visited_on)
        kp.version += 1
        kp.save()
        VisitEscalation.objects.filter(key_person=kp, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        audit.record(actor, "create", visit, {"findings": [None, "…"]})
        audit.record(actor, "update", kp, audit.diff(before, audit.snapshot(kp)))
    return visit


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _register_case(actor: Any, kp: KeyPerson, visit: Visit, data: Mapping[str, Any]) -> Any:
    from fengqiao.cases.actions import intake

    resident = kp.resident
    description = str(data.get("description") or "").strip() or visit.findings
    payload = {
        "category": data.get("category"),
        "title": str(data.get("title") or "").strip()
        or _("Visit to %(name)s found a risk") % {"name": resident.name},
        "description": description,
        "address": resident.current_address or resident.registered_address,
        "risk_level": data.get("risk_level") or "",
        "parties": [
            {
                "name": resident.name,
                "id_type": _party_id_type(resident),
                "id_number": resident.id_number,
                "role": "other",
            }
        ],
    }
    try:
        return intake(actor, payload, "grid_patrol").case
    except InvalidInput as e:
        # The case's fields are nested under "case." so the form shows them in place.
        raise InvalidInput.many(
            [
                FieldError(f"case.{x.field}" if x.field else "case", x.code, x.message)
                for x in e.errors
            ]
        ) from None


def _party_id_type(resident: Any) -> str:
    if not resident.id_number_ct:
        return ""
    return {"resident_id": "citizen_id", "passport": "passport"}.get(resident.id_type, "other")


def sweep_overdue(on_date: date | None = None) -> int:
    """Escalate each visit overdue since a due date to the worker's station (once per due
    date): an escalation row (the history) and a notification to the station. Idempotent.

    Reads plain values, not model rows (50,000 key persons with their residents, kinds and
    workers as model instances cost most of the sweep's time)."""
    on_date = on_date or timezone.localdate()
    overdue = (
        KeyPerson.objects.filter(active=True, next_visit_due__lt=on_date)
        .exclude(escalated_due=F("next_visit_due"))
        .values_list("pk", "resident_id", "next_visit_due", "responsible__station_id")
    )
    count = 0
    batch: list[Overdue] = []
    for row in overdue.iterator(chunk_size=2000):
        batch.append(row)
        if len(batch) >= 2000:
            count += _escalate(batch)
            batch = []
    if batch:
        count += _escalate(batch)
    return count


def _station_recipients(station: Any) -> list[notifications.Recipient]:
    """The station's phone and its active staff's e-mail addresses."""
    from django.contrib.auth import get_user_model

    found = [notifications.Recipient(station.name, "", station.phone)]
    for name, email in (
        get_user_model()
        .objects.filter(unit=station, is_active=True)
        .exclude(email="")
        .values_list("name", "email")
    ):
        found.append(notifications.Recipient(name, email, ""))
    return [r for r in found if r.reachable]


def _escalate(batch: list[Overdue]) -> int:
    """One batch of (key person, resident, due date, station id) rows."""
    with transaction.atomic():
        rows = [
            VisitEscalation(key_person_id=kp, due_on=due, station_id=station)
            for kp, _resident, due, station in batch
            if due is not None
        ]
        VisitEscalation.objects.bulk_create(rows, ignore_conflicts=True)
        # One UPDATE (bulk_update's CASE over 2,000 rows cost a minute over 50,000 rows).
        KeyPerson.objects.filter(pk__in=[row[0] for row in batch]).update(
            escalated_due=F("next_visit_due")
        )
        by_station: dict[int, list[int]] = {}
        for _kp, resident, _due, station in batch:
            if station is not None:
                by_station.setdefault(station, []).append(resident)
        if not by_station:
            return len(rows)
        named = {pk for people in by_station.values() for pk in people[:10]}
        names = dict(Resident.objects.filter(pk__in=named).values_list("pk", "name"))
        for unit in Unit.objects.filter(pk__in=by_station).order_by("pk"):
            people = by_station[unit.pk]
            listed = "、".join(names.get(pk, "") for pk in people[:10])
            body = _("%(n)d visits are overdue: %(names)s") % {"n": len(people), "names": listed}
            for recipient in _station_recipients(unit):
                notifications.queue(recipient, _("Overdue visits to key persons"), body)
    return len(rows)
