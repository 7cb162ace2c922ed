"""Every change of a legal consultation: one function per action. Each runs in a transaction,
locks the question (select_for_update), checks who may (the transition table of workflow.py),
writes the question's history (QuestionEvent, a hash chain) and the audit trail, and queues the
resident's notification on commit (fengqiao.cases.notifications, public text only). Views, the
API, the demo and the sweep call only these."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.cases import notifications
from fengqiao.cases.errors import CaseError, InvalidInput
from fengqiao.core import audit
from fengqiao.core.validators import normalize_phone, validate_person_phone
from fengqiao.territory.models import Region
from fengqiao.workcalendar import calendar as wc

from .models import (
    AidCaseType,
    Level,
    Message,
    MessageKind,
    Question,
    QuestionEvent,
    QuestionState,
    Referral,
    ReferralKind,
    ServicePoint,
    Topic,
)
from .workflow import (
    RESIDENT,
    SYSTEM,
    TRANSITIONS,
    VIEW,
    NotFound,
    capacities,
    check,
    lawyer_for,
)

TEXT_LIMIT = 5000


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def visible(actor: Any, qs: QuerySet) -> QuerySet:
    """Scoped by the work (workflow rules): a lawyer's or staff's place in the network, or
    the statistics capability; an account needs no role of its own to work at a point."""
    return access_for(actor).visible(qs, VIEW)


def _text(name: str, value: Any, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(name, "required", _("This field is required."))
    if len(text) > limit:
        raise InvalidInput(name, "too_long", _("This text is too long."))
    return text


def _event(q: Question, actor: Any, action: str, before: str, note: str = "",
           data: dict | None = None) -> QuestionEvent:  # fmt: skip
    return QuestionEvent.objects.create(
        question=q, actor=_user(actor), action=action, from_state=before, to_state=q.state,
        note=note, data=data or {},
    )  # fmt: skip


def answer_days() -> int:
    return max(int(settings.LEGAL_ANSWER_WORKING_DAYS), 1)


def _due(start: datetime) -> datetime:
    return wc.add_working_days(start, answer_days())


def _notify(q: Question, subject: str, body: str) -> None:
    """The resident, by the phone they gave: public text only, never notes."""
    notifications.queue(notifications.Recipient(name=q.name, phone=q.phone), subject, body)


# -- routing -------------------------------------------------------------------------------


def community_at(lon: float, lat: float) -> Region | None:
    from fengqiao.territory.locate import locate

    grid = locate(lon, lat)
    return grid.community if grid is not None else None


def route(community: Region | None) -> ServicePoint | None:
    """The room of the community, else the station of its street, else the district centre
    (the nearest centre above it); without a community, the first active centre."""
    points = ServicePoint.objects.filter(active=True).select_related("region")
    if community is not None:
        room = points.filter(level=Level.ROOM, region=community).first()
        if room is not None:
            return room
        if community.parent_id is not None:
            station = points.filter(level=Level.STATION, region_id=community.parent_id).first()
            if station is not None:
                return station
        centres = [
            p for p in points.filter(level=Level.CENTRE) if community.path.startswith(p.region.path)
        ]
        if centres:
            return max(centres, key=lambda p: len(p.region.path))
    return points.filter(level=Level.CENTRE).order_by("id").first()


def _number() -> str:
    return f"FL{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True)
class Asked:
    question: Question
    link: str  # the path of the resident's tracking page (secret token)


def ask(*, topic: Any, text: str, phone: str, name: str = "", community: Any = None,
        lon: float | None = None, lat: float | None = None) -> Asked:  # fmt: skip
    """A resident's question, without an account: validated (every bad field named, nothing
    saved), routed to the room of the community (chosen, or found from the point), else the
    street's station, else the district centre; the resident is sent the tracking link."""
    errors: list[CaseError] = []

    def collect(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except CaseError as e:
            errors.append(e)
            return None

    t = Topic.objects.filter(active=True, pk=topic if isinstance(topic, int) else -1).first()
    if t is None and isinstance(topic, str):
        t = Topic.objects.filter(active=True, code=topic).first()
    if t is None:
        errors.append(InvalidInput("topic", "does_not_exist", _("Choose a topic.")))
    body = collect(_text, "text", text)
    who = collect(_text, "name", name, False, 50)
    tel = normalize_phone(phone if isinstance(phone, str) else "")
    try:
        validate_person_phone(tel)
    except ValidationError as e:
        errors.append(InvalidInput("phone", "invalid", " ".join(e.messages)))
    region = None
    if community not in (None, ""):
        region = Region.objects.filter(
            pk=community if isinstance(community, int) else -1, level=Region.Level.COMMUNITY
        ).first()
        if region is None:
            errors.append(
                InvalidInput("community", "does_not_exist", _("Choose a community or village."))
            )
    if (lon is None) != (lat is None):
        errors.append(InvalidInput("lat", "required", _("Give both longitude and latitude.")))
    elif region is None and lon is not None and lat is not None:
        region = community_at(lon, lat)
    if errors:
        raise InvalidInput("", "", "", errors=[x for e in errors for x in e.errors])
    assert t is not None
    point = route(region)
    if point is None:
        raise InvalidInput(
            "community", "does_not_exist", _("No legal service point serves this place yet.")
        )
    with transaction.atomic():
        at = timezone.now()
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    q = Question.objects.create(
                        number=_number(), topic=t, community=region, lon=lon, lat=lat,
                        text=body, name=who or "", phone=tel, point=point, first_point=point,
                        asked_at=at, due_at=_due(at),
                    )  # fmt: skip
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - a million numbers a day
            raise InvalidInput("", "busy", _("Please try again."))
        _event(q, None, "ask", "", data={"point": point.pk, "level": point.level})
        audit.record(None, "create", q, {"number": q.number, "point": point.pk})
        link = f"/legal/q/{q.token}/"
        _notify(
            q,
            _("Your legal question is registered"),
            _("Tracking code %(number)s. %(point)s will answer it. Follow it here: %(link)s")
            % {"number": q.number, "point": point.name, "link": link},
        )
    return Asked(q, link)


# -- staff actions -------------------------------------------------------------------------


def _lock(actor: Any, question: Question | int) -> Question:
    qs = Question.objects.select_related("point__region")
    return access_for(actor).select_for_update(qs, question, VIEW, missing=NotFound)


def _step(q: Question, name: str, held: set[str]) -> str:
    t = TRANSITIONS[name]
    check(t, q.state, held)
    before = q.state
    if t.target:
        q.state = t.target
    q.version += 1
    return before


@transaction.atomic
def answer(actor: Any, question: Question | int, *, text: str) -> Question:
    q = _lock(actor, question)
    before = _step(q, "answer", capacities(actor, q))
    body = _text("text", text)
    lawyer = lawyer_for(actor, q)
    now = timezone.now()
    Message.objects.create(question=q, kind=MessageKind.ANSWER, text=body, lawyer=lawyer,
                           author=_user(actor), at=now)  # fmt: skip
    if q.first_answered_at is None:
        q.first_answered_at, q.answered_by = now, lawyer
    q.due_at = None
    q.save()
    _event(q, actor, "answer", before, data={"lawyer": lawyer.pk if lawyer else None})
    audit.record(actor, "update", q, {"state": [before, q.state]})
    _notify(
        q,
        _("Your legal question is answered"),
        _("%(number)s: %(text)s") % {"number": q.number, "text": body[:300]},
    )
    return q


@transaction.atomic
def note(actor: Any, question: Question | int, *, text: str) -> Question:
    """An internal note: staff read it; the resident never does."""
    q = _lock(actor, question)
    before = _step(q, "note", capacities(actor, q))
    body = _text("text", text)
    Message.objects.create(question=q, kind=MessageKind.NOTE, text=body, author=_user(actor))
    q.save(update_fields=["version"])
    _event(q, actor, "note", before, note=body)
    return q


@transaction.atomic
def refer_aid(actor: Any, question: Question | int, *, economic_hardship: Any, case_type: Any,
              note: str = "") -> Referral:  # fmt: skip
    """Refer to legal aid, recording the legal-aid law's questions: economic hardship (yes/no)
    and the matter's type (a listed one; some need no economic test)."""
    q = _lock(actor, question)
    held = capacities(actor, q)
    check(TRANSITIONS["refer_aid"], q.state, held)
    if not isinstance(economic_hardship, bool):
        raise InvalidInput("economic_hardship", "required", _("Answer yes or no."))
    ct = AidCaseType.objects.filter(
        active=True, pk=case_type if isinstance(case_type, int) else -1
    ).first()
    if ct is None:
        raise InvalidInput("case_type", "does_not_exist", _("Choose a legal aid case type."))
    text = _text("note", note, False)
    before = _step(q, "refer_aid", held)
    q.due_at = None
    q.save()
    ref = Referral.objects.create(question=q, kind=ReferralKind.LEGAL_AID,
                                  economic_hardship=economic_hardship, case_type=ct, note=text,
                                  by=_user(actor))  # fmt: skip
    _event(q, actor, "refer_aid", before, note=text,
           data={"economic_hardship": economic_hardship, "case_type": ct.code})  # fmt: skip
    audit.record(actor, "create", ref, {"kind": ref.kind, "question": q.pk})
    _notify(
        q,
        _("Your legal question is referred"),
        _("%(number)s is referred to legal aid; the legal aid centre will contact you.")
        % {"number": q.number},
    )
    return ref


@transaction.atomic
def refer_mediation(actor: Any, question: Question | int, *, category: Any, committee: Any = None,
                    note: str = "") -> Referral:  # fmt: skip
    """Refer to people's mediation in one step: the question's facts become a dispute case
    (reported by the resident, through the legal-service channel, routed like every case); with
    a committee the referrer mediates for, the mediation is registered at once (handed over by a
    department, `mediation.actions.start`)."""
    from fengqiao.cases.actions import intake
    from fengqiao.mediation.actions import start
    from fengqiao.mediation.models import ReferralSource, StartMode

    q = _lock(actor, question)
    held = capacities(actor, q)
    check(TRANSITIONS["refer_mediation"], q.state, held)
    text = _text("note", note, False)
    data: dict[str, Any] = {
        "kind": "dispute", "category": category, "title": q.text.strip()[:30],
        "description": q.text, "reporter_name": q.name, "reporter_phone": q.phone,
    }  # fmt: skip
    if q.lon is not None and q.lat is not None:
        data.update(lon=q.lon, lat=q.lat)
    case = intake(None, data, settings.LEGAL_REFERRAL_CHANNEL).case
    mediation = None
    if committee not in (None, ""):
        mediation = start(actor, case, committee=committee, mode=StartMode.REFERRAL,
                          referral_source=ReferralSource.DEPARTMENT,
                          referral_reference=q.number, summary=q.text)  # fmt: skip
    before = _step(q, "refer_mediation", held)
    q.due_at = None
    q.save()
    ref = Referral.objects.create(question=q, kind=ReferralKind.MEDIATION, case=case,
                                  mediation=mediation, note=text, by=_user(actor))  # fmt: skip
    _event(q, actor, "refer_mediation", before, note=text,
           data={"case": case.pk, "mediation": mediation.pk if mediation else None})  # fmt: skip
    audit.record(actor, "create", ref, {"kind": ref.kind, "question": q.pk, "case": case.pk})
    _notify(
        q,
        _("Your legal question is referred"),
        _("%(number)s is referred to people's mediation as dispute %(case)s.")
        % {"number": q.number, "case": case.tracking_number},
    )
    return ref


# -- the resident --------------------------------------------------------------------------


def by_token(token: Any) -> Question:
    if not isinstance(token, str) or not token or len(token) > 40:
        raise NotFound()
    q = Question.objects.filter(token=token).select_related("point", "topic").first()
    if q is None:
        raise NotFound()
    return q


def by_code(number: Any, phone_last4: Any) -> Question:
    """The same answer for a wrong code and wrong digits: it reveals nothing."""
    if not (isinstance(number, str) and isinstance(phone_last4, str)):
        raise NotFound()
    q = Question.objects.filter(number=number.strip().upper()).first()
    if q is None or len(phone_last4) != 4 or not q.phone.endswith(phone_last4):
        raise NotFound()
    return q


def _resident_lock(q: Question) -> Question:
    return Question.objects.select_for_update().select_related("point").get(pk=q.pk)


@transaction.atomic
def follow_up(question: Question, *, text: str) -> Question:
    q = _resident_lock(question)
    before = _step(q, "follow_up", {RESIDENT})
    body = _text("text", text)
    Message.objects.create(question=q, kind=MessageKind.FOLLOW_UP, text=body)
    q.due_at = _due(timezone.now())
    q.save()
    _event(q, None, "follow_up", before)
    return q


@transaction.atomic
def rate(question: Question, *, score: Any, comment: str = "") -> Question:
    q = _resident_lock(question)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("score", "invalid", _("Give 1 to 5 stars."))
    text = _text("comment", comment, False, 500)
    before = _step(q, "rate", {RESIDENT})
    q.rating, q.rating_comment = score, text
    q.save()
    _event(q, None, "rate", before, data={"score": score})
    return q


def public_status(q: Question) -> dict[str, Any]:
    """What the resident sees: the question, answers and follow-ups, the point, the state; never
    internal notes, never who wrote them beyond the lawyer's name."""
    from .workflow import EVENT_LABELS, PUBLIC_EVENTS

    messages = [
        {"kind": m.kind, "kind_display": m.get_kind_display(), "text": m.text, "at": m.at,
         "lawyer": m.lawyer.name if m.lawyer else ""}
        for m in q.messages.exclude(kind=MessageKind.NOTE).select_related("lawyer")
    ]  # fmt: skip
    events = [
        {"action": e.action, "label": str(EVENT_LABELS.get(e.action, e.action)), "at": e.at}
        for e in q.events.filter(action__in=PUBLIC_EVENTS).order_by("at", "id")
    ]
    referral = getattr(q, "referral", None) if q.state == QuestionState.REFERRED else None
    return {
        "number": q.number, "token": q.token, "state": q.state,
        "state_display": q.get_state_display(), "topic": q.topic.name, "text": q.text,
        "point": q.point.name, "point_phone": q.point.phone, "duty_hours": q.point.duty_hours,
        "asked_at": q.asked_at, "messages": messages, "events": events,
        "can_follow_up": q.state == QuestionState.ANSWERED,
        "can_rate": q.state == QuestionState.ANSWERED, "rating": q.rating,
        "rating_comment": q.rating_comment,
        "referral": referral.get_kind_display() if referral else "",
    }  # fmt: skip


# -- escalation ----------------------------------------------------------------------------


@transaction.atomic
def escalate(question: Question | int, *, now: datetime | None = None) -> bool:
    """Hand an unanswered question past its time limit to the next level up (room → station →
    centre); at the centre it stays (and stays overdue). Run by the sweep."""
    q = (
        Question.objects.select_for_update()
        .select_related("point")
        .get(pk=getattr(question, "pk", question))
    )
    now = now or timezone.now()
    if q.state not in (QuestionState.OPEN, QuestionState.FOLLOW_UP) or not q.due_at:
        return False
    if q.due_at > now or q.point.parent_id is None:
        return False
    parent = ServicePoint.objects.get(pk=q.point.parent_id)
    before = _step(q, "escalate", {SYSTEM})
    from_point = q.point_id
    q.point = parent
    q.escalations += 1
    q.due_at = _due(now)
    q.save()
    _event(q, None, "escalate", before, data={"from": from_point, "to": parent.pk})
    audit.record(None, "update", q, {"point": [from_point, parent.pk]})
    return True


def sweep(now: datetime | None = None) -> int:
    """Escalate every question past its time limit; the number escalated."""
    now = now or timezone.now()
    due = Question.objects.filter(
        state__in=[QuestionState.OPEN, QuestionState.FOLLOW_UP],
        due_at__lte=now,
        point__parent__isnull=False,
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if escalate(pk, now=now))
