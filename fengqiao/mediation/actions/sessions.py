"""Before and during the sessions: the notice of rights and duties, investigations, planned and
held sessions, a violence risk reported to the police."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fengqiao.cases import actions as case_services
from fengqiao.cases import notifications
from fengqiao.cases.actions.base import moment, now, pk_of, require
from fengqiao.cases.actions.base import user_or_none as user_of
from fengqiao.cases.errors import InvalidInput, TransitionNotAllowed
from fengqiao.cases.models import RISK_RANK, Attachment, Case, InboxItem, Party, RiskLevel
from fengqiao.cases.workflow import FINISHED
from fengqiao.org.models import Unit

from ..models import Investigation, Mediation, RightsNotice, Session, ViolenceReport
from ..workflow import transition
from .base import begin, case_step, case_version, party_of


def deliver_notice(
    actor: Any,
    mediation: Mediation | int,
    *,
    party: Party | int,
    method: str,
    delivered_at: datetime | None = None,
) -> RightsNotice:
    """The notice of rights and duties told to one party (art. 23–24): who told it, when, how.
    Every party has it before a session is held."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "notice")
        p = party_of(m, party)
        if method not in RightsNotice.Method.values:
            raise InvalidInput("method", "choice", _("Choose how the notice was delivered."))
        if RightsNotice.objects.filter(mediation=m, party=p).exists():
            raise InvalidInput("party", "duplicate", _("This party already has the notice."))
        notice = RightsNotice.objects.create(
            mediation=m,
            party=p,
            method=method,
            delivered_at=moment(delivered_at, "delivered_at"),
            delivered_by=user_of(actor),
        )
        transition(m, "notice", actor, data={"party": p.pk, "method": method})
    return notice


def parties_without_notice(m: Mediation) -> list[Party]:
    told = RightsNotice.objects.filter(mediation=m).values("party_id")
    return list(Party.objects.filter(case_id=m.case_id).exclude(pk__in=told).order_by("id"))


def _require_notices(m: Mediation) -> None:
    missing = parties_without_notice(m)
    if missing:
        raise TransitionNotAllowed(
            "notice",
            "not_told",
            _(
                "Tell every party their rights and duties before a session is held (People's "
                "Mediation Law art. 23–24). Not yet told: %(names)s."
            )
            % {"names": "、".join(p.name for p in missing)},
        )


def record_investigation(
    actor: Any,
    mediation: Mediation | int,
    *,
    place: str,
    findings: str,
    persons: str = "",
    at: datetime | None = None,
) -> Investigation:
    with transaction.atomic():
        m, _a = begin(actor, mediation, "investigation")
        require("place", place, _("Where was the investigation?"))
        require("findings", findings, _("Record what was found."))
        inv = Investigation.objects.create(
            mediation=m,
            at=moment(at, "at"),
            place=place,
            findings=findings,
            persons=persons[:200],
            investigator=actor,
        )
        transition(m, "investigation", actor, data={"investigation": inv.pk})
    return inv


def _require_lead(m: Mediation) -> None:
    if m.lead_mediator_id is None:
        raise TransitionNotAllowed(
            "mediators", "none", _("Assign the mediators before the first session.")
        )


def plan_session(
    actor: Any,
    mediation: Mediation | int,
    *,
    at: datetime,
    place: str,
    participants: str = "",
) -> Session:
    """Set the date and place of a coming session (shown on the mediators' workbench); it is
    held when its minutes are recorded (record_session with `planned`)."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "plan_session")
        _require_lead(m)
        require("at", at, _("When will the session take place?"))
        when = moment(at, "at", future_ok=True)
        if when <= now():
            raise InvalidInput("at", "past", _("A planned session lies in the future."))
        require("place", place, _("Where will the session take place?"))
        session = Session.objects.create(
            mediation=m, at=when, place=place, participants=participants,
            recorded_by=user_of(actor),
        )  # fmt: skip
        transition(m, "plan_session", actor, data={"session": session.pk, "at": when.isoformat()})
    return session


def planned_sessions(m: Mediation) -> QuerySet:
    return m.sessions.filter(minutes="")


def record_session(
    actor: Any,
    mediation: Mediation | int,
    *,
    place: str,
    participants: str,
    minutes: str,
    at: datetime | None = None,
    evidence: Sequence[Attachment | int] = (),
    evidence_note: str = "",
    planned: Session | int | None = None,
) -> Session:
    """One mediation session (as many as it takes); `planned`: the planned session this one is
    (its time, unless given, is the planned time once that has come, else now). Every party
    must have been told their rights and duties first."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "session")
        _require_lead(m)
        _require_notices(m)
        require("place", place, _("Where was the session held?"))
        require("participants", participants, _("Who took part?"))
        require("minutes", minutes, _("Record the minutes."))
        ids = [pk_of(e) for e in evidence]
        files = list(Attachment.objects.filter(pk__in=ids, case_id=m.case_id))
        if len(files) != len(set(ids)):
            raise InvalidInput("evidence", "other_case", _("Evidence must be files of this case."))
        session = None
        if planned is not None:
            try:
                planned_id = pk_of(planned)
            except (TypeError, ValueError):
                planned_id = None
            session = planned_sessions(m).select_for_update().filter(pk=planned_id).first()
            if session is None:
                raise InvalidInput(
                    "planned", "not_planned", _("Choose a planned session of this mediation.")
                )
        if session is None:
            session = Session(mediation=m)
        if at is not None:
            session.at = moment(at, "at")
        elif session.pk is None or session.at > now():
            session.at = now()
        session.place, session.participants, session.minutes = place, participants, minutes
        session.evidence_note, session.recorded_by = evidence_note, user_of(actor)
        session.save()
        session.evidence.set(files)
        transition(m, "session", actor, data={"session": session.pk})
    return session


def _police_unit(case: Case) -> Unit | None:
    """The police unit closest to the case's place (a station before the district bureau)."""
    ids = [int(x) for x in (case.region_path or "").strip("/").split("/") if x]
    units = Unit.objects.filter(region_id__in=ids, sector__code="police", active=True)
    return units.select_related("region").order_by("-region__level", "id").first()


def report_violence_risk(actor: Any, mediation: Mediation | int, *, note: str) -> ViolenceReport:
    """One action (art. 25): the local police unit gets it in its inbox, the case's risk
    level goes up to high and the mediation carries a warning."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "violence")
        require("note", note, _("Describe the risk."))
        case = Case.objects.get(pk=m.case_id)
        police = _police_unit(case)
        report = ViolenceReport.objects.create(
            mediation=m, police_unit=police, at=now(), by=actor, note=note
        )
        text = _("Dispute may turn violent (%(number)s): %(note)s") % {
            "number": m.number,
            "note": note,
        }
        if police is not None:
            InboxItem.objects.create(
                case=case, unit=police, kind=InboxItem.Kind.DISPATCHED, text=text[:200]
            )
            notifications.queue(
                notifications.Recipient(police.name, "", police.phone),
                _("Violence risk reported by %(c)s") % {"c": m.committee.name},
                text,
            )
        m.violence_warning = True
        if RISK_RANK[case.risk_level] < RISK_RANK[RiskLevel.HIGH] and case.state not in FINISHED:
            case_step(m, actor, "update_details", lambda: case_services.update_details(
                actor, case.pk, changes={"risk_level": RiskLevel.HIGH},
                expected_version=case_version(case.pk)))  # fmt: skip
        transition(m, "violence", actor, note=note,
                   data={"police_unit": police.pk if police else None})  # fmt: skip
    return report
