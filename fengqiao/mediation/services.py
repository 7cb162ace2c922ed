"""Mediation services: one function per action. Views and the API call only these.

Every function that changes a mediation:
- runs in `transaction.atomic()` and locks the mediation row (`select_for_update`);
- checks that the actor holds Perm.MEDIATION_HANDLE over the mediation's committee
  (fengqiao.accounts.access); an actor who cannot see the mediation gets MediationNotFound;
- appends a MediationEvent (the cases app keeps its history helper private) and bumps `version`;
- moves the case on through the cases services (acknowledge/start/complete the committee's task,
  resolve when an agreement takes effect, divert to court when mediation fails), so the case's
  own history, deadlines and notifications stay the cases app's business;
- queues side effects (notifications) with `transaction.on_commit` (via cases.notifications).

Errors are the cases app's family (fengqiao.cases.errors.CaseError: field, code, message, status).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import actions as case_services
from fengqiao.cases import notifications
from fengqiao.cases.errors import (
    CaseError,
    CaseNotFound,
    ConflictError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from fengqiao.cases.models import (
    RISK_RANK,
    Attachment,
    Case,
    CaseKind,
    Diversion,
    InboxItem,
    Party,
    RiskLevel,
    SupervisionLevel,
    Task,
)
from fengqiao.cases.workflow import FINISHED, in_scope
from fengqiao.org.models import EmploymentType, Unit, UnitKind
from fengqiao.workcalendar import calendar as wc

from .models import (
    OPEN_STATES,
    Agreement,
    CommitteeSetting,
    ConflictDeclaration,
    DocumentCounter,
    FollowUp,
    Investigation,
    JudicialConfirmation,
    Mediation,
    MediationEvent,
    MediationState,
    Mediator,
    PerformanceItem,
    ReferralSource,
    Refusal,
    RightsNotice,
    Session,
    Signature,
    Specialty,
    StartMode,
    ViolenceReport,
)

S = MediationState
MIN_MEMBERS, MAX_MEMBERS = 3, 9  # art. 8
ROUTES = {
    "arbitration": "仲裁",
    "administrative": "行政途径",
    "court": "诉讼",
}
REMIND_DAYS_BEFORE = 3


class MediationNotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", _("No such mediation, or it is outside your area."))


# -- scope ---------------------------------------------------------------------------------


def committee_q(access: Access, prefix: str = "committee") -> Q:
    """Rows whose committee lies in the actor's MEDIATION_HANDLE scope (its unit, or a region
    subtree the committee sits in)."""
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return Q(pk__in=[])
    scope = access.scope(Perm.MEDIATION_HANDLE)
    return scope.q(path=f"{prefix}__region__path", unit=f"{prefix}_id")


def acts_for_committee(access: Access, committee: Unit) -> bool:
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return False
    scope = access.scope(Perm.MEDIATION_HANDLE)
    return committee.pk in scope.unit_ids or scope.covers_path(committee.region.path)


def visible_mediations(actor: Any, qs: QuerySet | None = None) -> QuerySet:
    access = actor if isinstance(actor, Access) else access_for(actor)
    qs = Mediation.objects.all() if qs is None else qs
    return qs.filter(committee_q(access))


def get_mediation(actor: Any, pk: Any) -> Mediation:
    """The mediation if the actor may see it, else MediationNotFound (404, nothing learnt)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise MediationNotFound() from None
    m = (
        visible_mediations(actor)
        .select_related("case", "committee__region", "lead_mediator__user")
        .filter(pk=pk)
        .first()
    )
    if m is None:
        raise MediationNotFound()
    return m


# -- plumbing ------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _pk(obj: Any) -> int:
    return obj.pk if hasattr(obj, "pk") else int(obj)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require(name: str, value: Any, message: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(name, "required", message)


def _begin(
    actor: Any,
    mediation: Mediation | int,
    states: Iterable[str] | None,
    expected_version: int | None = None,
) -> tuple[Mediation, Access]:
    """Lock the mediation, check scope, version and state. Call inside transaction.atomic()."""
    access = access_for(actor)
    try:
        m = Mediation.objects.select_for_update().get(pk=_pk(mediation))
    except (Mediation.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    # Scope checked apart from the lock: FOR UPDATE over the join would lock the committee too.
    if not Mediation.objects.filter(pk=m.pk).filter(committee_q(access)).exists():
        raise MediationNotFound()
    if expected_version is not None and int(expected_version) != m.version:
        raise ConflictError(
            "version",
            "stale",
            _("This mediation was changed by someone else; reload to see the change."),
        )
    if states is not None and m.state not in set(states):
        raise TransitionNotAllowed(
            "state",
            "transition",
            _("A mediation that is %(state)s cannot do this.") % {"state": m.get_state_display()},
        )
    return m, access


def _event(
    m: Mediation,
    actor: Any,
    action: str,
    before: str,
    *,
    note: str = "",
    data: dict | None = None,
) -> MediationEvent:
    entry = MediationEvent.objects.create(
        mediation=m,
        actor=_user(actor),
        action=action,
        from_state=before,
        to_state=m.state,
        note=note,
        data=data or {},
    )
    m.version += 1
    m.save()
    return entry


def _party(m: Mediation, party: Party | int, name: str = "party") -> Party:
    try:
        return Party.objects.get(pk=_pk(party), case_id=m.case_id)
    except (Party.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(name, "other_case", _("Choose a party of this case.")) from None


def _at(value: datetime | None, name: str, *, future_ok: bool = False) -> datetime:
    if value is None:
        return _now()
    if not isinstance(value, datetime):
        raise InvalidInput(name, "invalid", _("Enter a date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not future_ok and value > _now() + timedelta(minutes=5):
        raise InvalidInput(name, "future", _("This cannot lie in the future."))
    return value


# -- the case side -------------------------------------------------------------------------


def _case_version(case_id: int) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=case_id)


def _committee_task(m: Mediation) -> Task | None:
    return Task.objects.filter(case_id=m.case_id, unit_id=m.committee_id, active=True).first()


def _case_step(m: Mediation, actor: Any, action: str, call) -> bool:
    """Run one cases service; a refusal from the cases app is recorded, not fatal: the
    mediation's own record stays right and the case's handlers see the event."""
    try:
        call()
        return True
    except CaseError as e:
        MediationEvent.objects.create(
            mediation=m,
            actor=_user(actor),
            action="case_not_updated",
            from_state=m.state,
            to_state=m.state,
            note=e.message,
            data={"step": action, "code": e.code},
        )
        return False


def _start_case_task(m: Mediation, actor: Any) -> None:
    task = _committee_task(m)
    if task is None:
        return
    if task.state == Task.State.DISPATCHED:
        _case_step(m, actor, "acknowledge_task", lambda: case_services.acknowledge_task(
            actor, task.pk, expected_version=_case_version(m.case_id)))  # fmt: skip
        task.refresh_from_db()
    if task.state == Task.State.ACKNOWLEDGED:
        _case_step(m, actor, "start_task", lambda: case_services.start_task(
            actor, task.pk, expected_version=_case_version(m.case_id)))  # fmt: skip


def _finish_case_task(m: Mediation, actor: Any, result: str) -> None:
    task = _committee_task(m)
    if task is None or task.finished:
        return
    _case_step(m, actor, "complete_task", lambda: case_services.complete_task(
        actor, task.pk, result=result, expected_version=_case_version(m.case_id)))  # fmt: skip


# -- committees and mediators --------------------------------------------------------------


def _may_manage(access: Access, committee: Unit) -> bool:
    return acts_for_committee(access, committee) or (
        access.has_perm(Perm.ORG_EDIT)
        and access.scope(Perm.ORG_EDIT).covers_path(committee.region.path)
    )


def _lock_committee(actor: Any, committee: Unit | int) -> Unit:
    access = access_for(actor)
    try:
        unit = (
            Unit.objects.select_for_update()
            .select_related("region")
            .get(pk=_pk(committee), kind=UnitKind.MEDIATION_COMMITTEE)
        )
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            "committee", "not_committee", _("Choose a people's mediation committee.")
        ) from None
    if not _may_manage(access, unit):
        raise NotPermitted("committee", "permission", _("You may not manage this committee."))
    return unit


def members(committee: Unit) -> QuerySet:
    return Mediator.objects.filter(committee=committee, active=True)


def add_mediator(
    actor: Any,
    committee: Unit | int,
    *,
    user: Any,
    employment_type: str = EmploymentType.PART_TIME,
    specialties: Sequence[Specialty | str] = (),
    id_number: str = "",
    phone: str = "",
    conflicts: Sequence[Mapping[str, str]] = (),
) -> Mediator:
    """A new member of the committee; a committee has at most nine (art. 8)."""
    with transaction.atomic():
        unit = _lock_committee(actor, committee)
        count = members(unit).count()
        if count >= MAX_MEMBERS:
            raise InvalidInput(
                "committee",
                "too_many",
                _(
                    "%(committee)s already has %(n)d members; a people's mediation committee "
                    "has 3 to 9 members (People's Mediation Law art. 8)."
                )
                % {"committee": unit.name, "n": count},
            )
        if employment_type not in EmploymentType.values:
            raise InvalidInput("employment_type", "choice", _("Choose full-time or part-time."))
        if members(unit).filter(user=user).exists():
            raise InvalidInput("user", "duplicate", _("This person is already a member."))
        mediator = Mediator.objects.create(
            user=user,
            committee=unit,
            employment_type=employment_type,
            id_number=id_number.strip().upper(),
            phone=phone,
            joined_on=timezone.localdate(),
        )
        codes = [s if isinstance(s, str) else s.code for s in specialties]
        found = list(Specialty.objects.filter(code__in=codes))
        if len(found) != len(set(codes)):
            raise InvalidInput("specialties", "unknown", _("Unknown specialty."))
        mediator.specialties.set(found)
        for c in conflicts:
            ConflictDeclaration.objects.create(
                mediator=mediator,
                name=c.get("name", "").strip(),
                id_number=c.get("id_number", "").strip().upper(),
                relation=c.get("relation", ""),
            )
        from fengqiao.core import audit

        audit.record(actor, "create", mediator, {"committee": [None, unit.pk]})
    return mediator


def remove_mediator(actor: Any, mediator: Mediator | int, *, reason: str = "") -> Mediator:
    """A member leaves; the committee keeps at least three (art. 8)."""
    with transaction.atomic():
        try:
            committee_id = Mediator.objects.values_list("committee_id", flat=True).get(
                pk=_pk(mediator)
            )
        except (Mediator.DoesNotExist, ValueError, TypeError):
            raise InvalidInput("mediator", "not_found", _("No such mediator.")) from None
        unit = _lock_committee(actor, committee_id)
        mediator = Mediator.objects.select_for_update().get(pk=_pk(mediator))
        if not mediator.active:
            raise InvalidInput("mediator", "inactive", _("This mediator has already left."))
        count = members(unit).count()
        if count <= MIN_MEMBERS:
            raise InvalidInput(
                "mediator",
                "too_few",
                _(
                    "%(committee)s has only %(n)d members; a people's mediation committee has "
                    "3 to 9 members (People's Mediation Law art. 8). Add a member first."
                )
                % {"committee": unit.name, "n": count},
            )
        mediator.active, mediator.left_on = False, timezone.localdate()
        mediator.save()
        from fengqiao.core import audit

        audit.record(actor, "update", mediator, {"active": [True, False], "reason": reason})
    return mediator


def _check_constituted(unit: Unit) -> None:
    n = members(unit).count()
    if not MIN_MEMBERS <= n <= MAX_MEMBERS:
        raise TransitionNotAllowed(
            "committee",
            "size",
            _(
                "%(committee)s has %(n)d members; a people's mediation committee has 3 to 9 "
                "members (People's Mediation Law art. 8)."
            )
            % {"committee": unit.name, "n": n},
        )


# -- conflicts and suggestions -------------------------------------------------------------


def _norm(s: str) -> str:
    return "".join(s.split()).upper()


def conflicts_of(mediator: Mediator, case: Case) -> list[str]:
    """Why `mediator` may not mediate `case`: they are a party or declared related to one."""
    reasons = []
    own_name, own_id = _norm(mediator.name), _norm(mediator.id_number)
    declared = list(mediator.conflicts.all())
    for p in case.parties.all():
        name, pid = _norm(p.name), _norm(p.id_number)
        if (own_id and pid and own_id == pid) or (own_name and own_name == name):
            reasons.append(_("%(mediator)s is the party %(party)s.") % {
                "mediator": mediator.name, "party": p.name})  # fmt: skip
            continue
        for d in declared:
            if (d.id_number and pid and _norm(d.id_number) == pid) or _norm(d.name) == name:
                reasons.append(
                    _("%(mediator)s declared being related to the party %(party)s (%(rel)s).")
                    % {"mediator": mediator.name, "party": p.name, "rel": d.relation or "—"}
                )
                break
    return reasons


@dataclass
class Suggestion:
    committee: Unit
    mediator: Mediator | None
    score: int
    open_mediations: int
    reasons: list[str] = field(default_factory=list)


def _category_codes(case: Case) -> set[str]:
    from fengqiao.cases.models import Category

    ids = case.category.ancestor_ids if case.category_id else []
    return set(Category.objects.filter(pk__in=ids).values_list("code", flat=True))


def suggest_assignment(actor: Any, case: Case | int, limit: int = 10) -> list[Suggestion]:
    """Committees covering the case's place and their mediators, best first: the closest
    committee (community before street), a matching specialty, then the lightest workload.
    Conflicted mediators are left out."""
    access = access_for(actor)
    case = Case.objects.select_related("category", "community").filter(pk=_pk(case)).first()
    if case is None or not in_scope(case, access, Perm.CASE_VIEW):
        raise CaseNotFound()
    path = case.region_path or ""
    committees = [
        u
        for u in Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True)
        .select_related("region")
        .order_by("-region__level", "id")
        if path.startswith(u.region.path)
    ]
    codes = _category_codes(case)
    # Workload: open mediations a mediator takes part in (as lead or co-mediator).
    open_counts = dict(
        Mediator.objects.filter(active=True)
        .annotate(n=Count("mediations", filter=Q(mediations__state__in=OPEN_STATES)))
        .values_list("pk", "n")
    )
    result: list[Suggestion] = []
    for depth, unit in enumerate(committees):
        territory = max(0, 3 - depth) * 10
        for m in members(unit).select_related("user").prefetch_related("specialties", "conflicts"):
            if conflicts_of(m, case):
                continue
            load = open_counts.get(m.pk, 0)
            matched = [s.name for s in m.specialties.all() if codes & set(s.category_codes)]
            reasons = [_("covers %(place)s") % {"place": unit.region.name}]
            if matched:
                reasons.append(_("specialty: %(s)s") % {"s": "、".join(matched)})
            reasons.append(_("%(n)d open mediations") % {"n": load})
            score = territory + (15 if matched else 0) - load * 2
            result.append(Suggestion(unit, m, score, load, reasons))
    result.sort(key=lambda s: (-s.score, s.open_mediations, s.mediator.pk if s.mediator else 0))
    return result[:limit]


# -- numbers -------------------------------------------------------------------------------


def committee_prefix(committee: Unit) -> str:
    setting = CommitteeSetting.objects.filter(committee=committee).first()
    if setting and setting.doc_prefix:
        return setting.doc_prefix
    if committee.short_name:
        return committee.short_name
    name = committee.name.replace("人民调解委员会", "")
    # Streets and towns drop their suffix (桃西街道 → 桃西); communities and villages keep it, so
    # 桃源社区 does not share 桃源街道's numbers.
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def allocate_number(committee: Unit, year: int) -> str:
    """The next document number of the committee for the year, e.g. 桃西调字〔2026〕第0001号.

    The counter row is locked, so concurrent requests queue; allocated inside the caller's
    transaction, a rolled-back mediation gives its number back (no gaps)."""
    qs = DocumentCounter.objects.select_for_update()
    counter = qs.filter(committee=committee, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(committee=committee, year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent request; lock it below
        counter = qs.get(committee=committee, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{committee_prefix(committee)}调字〔{year}〕第{counter.last:04d}号"


def time_limit_days(committee: Unit) -> int:
    setting = CommitteeSetting.objects.filter(committee=committee).first()
    return setting.time_limit_working_days if setting else 22


# -- procedure -----------------------------------------------------------------------------


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
        _require("application_text", application_text, _("Write down what the party applies for."))
    with transaction.atomic():
        access = access_for(actor)
        try:
            unit = Unit.objects.select_related("region").get(
                pk=_pk(committee), kind=UnitKind.MEDIATION_COMMITTEE, active=True
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
            case = Case.objects.select_for_update().get(pk=_pk(case))
        except (Case.DoesNotExist, ValueError, TypeError):
            raise CaseNotFound() from None
        if not in_scope(case, access, Perm.CASE_VIEW):
            raise CaseNotFound()
        if case.kind != CaseKind.DISPUTE:
            raise InvalidInput("case", "not_dispute", _("Only a dispute can be mediated."))
        if case.state in FINISHED:
            raise TransitionNotAllowed(
                "case", "finished", _("This case is finished; it cannot be mediated now.")
            )
        if Mediation.objects.filter(case=case).exists():
            raise TransitionNotAllowed("case", "duplicate", _("This case already has a mediation."))
        _check_constituted(unit)
        now = _now()
        m = Mediation.objects.create(
            case=case,
            committee=unit,
            number=allocate_number(unit, timezone.localtime(now).year),
            start_mode=mode,
            referral_source=referral_source,
            referral_reference=referral_reference[:100],
            application_text=application_text,
            summary=summary or case.description or case.title,
            registered_at=now,
            registered_by=_user(actor),
            version=0,
        )
        _event(m, actor, "register", "", data={"mode": mode, "number": m.number})
    return m


def accept(
    actor: Any, mediation: Mediation | int, *, expected_version: int | None = None
) -> Mediation:
    """Accept (受理): the one-month time limit starts, counted in working days."""
    with transaction.atomic():
        m, _a = _begin(actor, mediation, [S.REGISTERED], expected_version)
        now = _now()
        before = m.state
        m.state, m.accepted_at = S.ACCEPTED, now
        m.due = wc.add_working_days(now, time_limit_days(m.committee))
        _event(m, actor, "accept", before, data={"due": m.due.isoformat()})
        _start_case_task(m, actor)
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
        m, _a = _begin(actor, mediation, OPEN_STATES, expected_version)
        ids = {_pk(x) for x in mediators} | {_pk(lead)}
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
        m.mediators.set(chosen)
        m.lead_mediator_id = _pk(lead)
        _event(m, actor, "assign", m.state, data={"mediators": sorted(ids), "lead": _pk(lead)})
    return m


def refuse(actor: Any, mediation: Mediation | int, *, party: Party | int, reason: str) -> Refusal:
    """A party clearly refuses: there is no mediation (art. 17); the reason is recorded and the
    committee's task on the case is completed so its handlers take it on."""
    with transaction.atomic():
        m, _a = _begin(actor, mediation, [S.REGISTERED, S.ACCEPTED])
        p = _party(m, party)
        _require("reason", reason, _("Record the reason the party gave."))
        now = _now()
        refusal = Refusal.objects.create(mediation=m, party=p, reason=reason, at=now)
        before = m.state
        m.state, m.ended_at = S.REFUSED, now
        _event(m, actor, "refuse", before, note=reason, data={"party": p.pk})
        _finish_case_task(
            m, actor, _("%(party)s refused mediation: %(reason)s") % {"party": p.name,
                                                                       "reason": reason}
        )  # fmt: skip
    return refusal


def withdraw(actor: Any, mediation: Mediation | int, *, reason: str) -> Mediation:
    with transaction.atomic():
        m, _a = _begin(actor, mediation, OPEN_STATES)
        _require("reason", reason, _("Give the reason."))
        before = m.state
        m.state, m.ended_at = S.WITHDRAWN, _now()
        _event(m, actor, "withdraw", before, note=reason)
        _finish_case_task(m, actor, _("Mediation withdrawn: %(r)s") % {"r": reason})
    return m


def deliver_notice(
    actor: Any,
    mediation: Mediation | int,
    *,
    party: Party | int,
    method: str,
    delivered_at: datetime | None = None,
) -> RightsNotice:
    with transaction.atomic():
        m, _a = _begin(actor, mediation, OPEN_STATES)
        p = _party(m, party)
        if method not in RightsNotice.Method.values:
            raise InvalidInput("method", "choice", _("Choose how the notice was delivered."))
        if RightsNotice.objects.filter(mediation=m, party=p).exists():
            raise InvalidInput("party", "duplicate", _("This party already has the notice."))
        notice = RightsNotice.objects.create(
            mediation=m, party=p, method=method, delivered_at=_at(delivered_at, "delivered_at")
        )
        _event(m, actor, "notice", m.state, data={"party": p.pk, "method": method})
    return notice


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
        m, _a = _begin(actor, mediation, OPEN_STATES)
        _require("place", place, _("Where was the investigation?"))
        _require("findings", findings, _("Record what was found."))
        inv = Investigation.objects.create(
            mediation=m,
            at=_at(at, "at"),
            place=place,
            findings=findings,
            persons=persons[:200],
            investigator=actor,
        )
        _event(m, actor, "investigation", m.state, data={"investigation": inv.pk})
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
        m, _a = _begin(actor, mediation, [S.ACCEPTED, S.IN_SESSION])
        _require_lead(m)
        _require("at", at, _("When will the session take place?"))
        when = _at(at, "at", future_ok=True)
        if when <= _now():
            raise InvalidInput("at", "past", _("A planned session lies in the future."))
        _require("place", place, _("Where will the session take place?"))
        session = Session.objects.create(
            mediation=m, at=when, place=place, participants=participants,
            recorded_by=_user(actor),
        )  # fmt: skip
        _event(m, actor, "session_planned", m.state, data={"session": session.pk,
                                                           "at": when.isoformat()})  # fmt: skip
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
    (its time, unless given, is the planned time once that has come, else now)."""
    with transaction.atomic():
        m, _a = _begin(actor, mediation, [S.ACCEPTED, S.IN_SESSION])
        _require_lead(m)
        _require("place", place, _("Where was the session held?"))
        _require("participants", participants, _("Who took part?"))
        _require("minutes", minutes, _("Record the minutes."))
        ids = [_pk(e) for e in evidence]
        files = list(Attachment.objects.filter(pk__in=ids, case_id=m.case_id))
        if len(files) != len(set(ids)):
            raise InvalidInput("evidence", "other_case", _("Evidence must be files of this case."))
        session = None
        if planned is not None:
            try:
                planned_id = _pk(planned)
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
            session.at = _at(at, "at")
        elif session.pk is None or session.at > _now():
            session.at = _now()
        session.place, session.participants, session.minutes = place, participants, minutes
        session.evidence_note, session.recorded_by = evidence_note, _user(actor)
        session.save()
        session.evidence.set(files)
        before = m.state
        m.state = S.IN_SESSION
        _event(m, actor, "session", before, data={"session": session.pk})
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
        m, _a = _begin(actor, mediation, None)
        _require("note", note, _("Describe the risk."))
        case = Case.objects.get(pk=m.case_id)
        police = _police_unit(case)
        report = ViolenceReport.objects.create(
            mediation=m, police_unit=police, at=_now(), by=actor, note=note
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
            _case_step(m, actor, "update_details", lambda: case_services.update_details(
                actor, case.pk, changes={"risk_level": RiskLevel.HIGH},
                expected_version=_case_version(case.pk)))  # fmt: skip
        _event(m, actor, "violence_risk", m.state, note=note,
               data={"police_unit": police.pk if police else None})  # fmt: skip
    return report


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
        m, _a = _begin(actor, mediation, [S.IN_SESSION])
        if Agreement.objects.filter(mediation=m).exists():
            raise TransitionNotAllowed(
                "agreement", "exists", _("This mediation already has an agreement.")
            )
        if form not in Agreement.Form.values:
            raise InvalidInput("form", "choice", _("Choose written or oral."))
        _require("agreed_items", agreed_items, _("Write down what was agreed."))
        if form == Agreement.Form.WRITTEN:
            for name, value in [
                ("parties_facts", parties_facts),
                ("main_facts", main_facts),
                ("disputed_points", disputed_points),
                ("responsibilities", responsibilities),
                ("performance_method", performance_method),
            ]:
                _require(name, value, _("A written agreement must state this (art. 29)."))
        cleaned = []
        for i, item in enumerate(items):
            p = _party(m, item.get("obligor"), f"items.{i}.obligor")
            _require(f"items.{i}.what", item.get("what"), _("What must be done?"))
            due = item.get("due_date")
            if isinstance(due, str):
                try:
                    due = date.fromisoformat(due)
                except ValueError:
                    due = None
            if not isinstance(due, date):
                raise InvalidInput(f"items.{i}.due_date", "invalid", _("Enter a date."))
            cleaned.append((p, item["what"], due))
        now = _now()
        agreement = Agreement.objects.create(
            mediation=m,
            form=form,
            parties_facts=parties_facts,
            main_facts=main_facts,
            disputed_points=disputed_points,
            responsibilities=responsibilities,
            agreed_items=agreed_items,
            performance_method=performance_method,
            copies=m.case.parties.count() + 1,
            mediator=m.lead_mediator,
            created_at=now,
        )
        for p, what, due in cleaned:
            PerformanceItem.objects.create(agreement=agreement, obligor=p, what=what, due_date=due)
        _event(m, actor, "agreement", m.state, data={"form": form})
        if form == Agreement.Form.ORAL:
            agreement.recorded_at = _at(recorded_at, "recorded_at")
            agreement.save()
            _take_effect(m, agreement, actor, agreement.recorded_at)
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


def _take_effect(m: Mediation, agreement: Agreement, actor: Any, at: datetime) -> None:
    agreement.effective_at = at
    agreement.save()
    before = m.state
    m.state, m.ended_at = S.AGREED, at
    _event(m, actor, "effective", before, data={"effective_at": at.isoformat()})
    outcome = _("Mediation agreement %(number)s in effect: %(items)s") % {
        "number": m.number,
        "items": agreement.agreed_items[:500],
    }
    _finish_case_task(m, actor, outcome)
    case = Case.objects.get(pk=m.case_id)
    if case.state not in FINISHED:
        _case_step(m, actor, "resolve", lambda: case_services.resolve(
            actor, case.pk, outcome=outcome, success=True,
            expected_version=_case_version(case.pk)))  # fmt: skip


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
            pk=_pk(agreement)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    with transaction.atomic():
        m, _a = _begin(actor, mediation_id, [S.IN_SESSION])
        agreement = Agreement.objects.select_for_update().get(pk=_pk(agreement))
        if agreement.form != Agreement.Form.WRITTEN:
            raise InvalidInput("who", "oral", _("An oral agreement is not signed."))
        when = _at(at, "at")
        if who == "party":
            p = _party(m, party)
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
        _event(m, actor, f"sign_{who}", m.state, data=data)
        if not missing_signatures(agreement):
            times = [agreement.mediator_signed_at, agreement.seal_at]
            times += list(agreement.signatures.values_list("at", flat=True))
            _take_effect(m, agreement, actor, max(times))
    return agreement


def _item_for_update(actor: Any, item: PerformanceItem | int) -> tuple[PerformanceItem, Mediation]:
    try:
        mediation_id = PerformanceItem.objects.values_list(
            "agreement__mediation_id", flat=True
        ).get(pk=_pk(item))
    except (PerformanceItem.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    m, _a = _begin(actor, mediation_id, [S.AGREED])
    return PerformanceItem.objects.select_for_update().get(pk=_pk(item)), m


def mark_performance(
    actor: Any,
    item: PerformanceItem | int,
    *,
    proof_note: str = "",
    proof_attachment: Attachment | int | None = None,
    done_at: datetime | None = None,
) -> PerformanceItem:
    """An agreed item was performed; needs proof (a note or a file of the case)."""
    with transaction.atomic():
        item, m = _item_for_update(actor, item)
        if item.done_at is not None:
            raise InvalidInput("item", "done", _("This item is already marked as performed."))
        file = None
        if proof_attachment is not None:
            file = Attachment.objects.filter(pk=_pk(proof_attachment), case_id=m.case_id).first()
            if file is None:
                raise InvalidInput(
                    "proof_attachment", "other_case", _("Choose a file of this case.")
                )
        if not proof_note.strip() and file is None:
            raise InvalidInput("proof_note", "required", _("Describe or attach the proof."))
        item.done_at, item.proof_note, item.proof_attachment = (
            _at(done_at, "done_at"),
            proof_note,
            file,
        )
        item.save()
        _event(m, actor, "performed", m.state, data={"item": item.pk})
    return item


def record_followup(
    actor: Any, mediation: Mediation | int, *, note: str, at: datetime | None = None
) -> FollowUp:
    """The committee's follow-up on performance (art. 31)."""
    with transaction.atomic():
        m, _a = _begin(actor, mediation, [S.AGREED])
        _require("note", note, _("Record what the follow-up found."))
        f = FollowUp.objects.create(mediation=m, at=_at(at, "at"), by=actor, note=note)
        _event(m, actor, "followup", m.state, data={"followup": f.pk})
    return f


def send_performance_reminders(today: date | None = None) -> int:
    """Remind the lead mediator (inbox) and the obliged party (SMS/e-mail if reachable) of items
    due within three days or overdue; at most once a day per item. Returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    qs = PerformanceItem.objects.filter(
        done_at__isnull=True,
        agreement__effective_at__isnull=False,
        due_date__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
    ).filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
    for pk in qs.values_list("pk", flat=True):
        with transaction.atomic():
            item = (
                PerformanceItem.objects.select_for_update(of=("self",))
                .select_related("agreement__mediation__lead_mediator__user", "obligor")
                .get(pk=pk)
            )
            if item.done_at or (item.last_reminded_on and item.last_reminded_on >= today):
                continue
            m = item.agreement.mediation
            overdue = item.due_date < today
            text = (
                _("Overdue since %(d)s: %(what)s") if overdue else _("Due on %(d)s: %(what)s")
            ) % {"d": item.due_date.isoformat(), "what": item.what[:100]}
            if m.lead_mediator is not None:
                InboxItem.objects.create(
                    case_id=m.case_id,
                    user=m.lead_mediator.user,
                    kind=InboxItem.Kind.OVERDUE if overdue else InboxItem.Kind.DEADLINE_NEAR,
                    text=f"{m.number} {text}"[:200],
                )
            notifications.queue(
                notifications.Recipient(item.obligor.name, "", item.obligor.phone),
                _("Mediation agreement %(n)s") % {"n": m.number},
                text,
            )
            item.reminders_sent += 1
            item.last_reminded_on = today
            item.save(update_fields=["reminders_sent", "last_reminded_on"])
            MediationEvent.objects.create(
                mediation=m, action="reminder", from_state=m.state, to_state=m.state,
                data={"item": item.pk},
            )  # fmt: skip
            sent += 1
    return sent


# The same counts as the cases' deadline sweep (the limit raises cards through it).
TimeLimitReport = case_services.SweepReport


def _sweep_event(m: Mediation, action: str, data: dict) -> None:
    # No version bump: the clock ticking must not make a mediator's open form stale.
    MediationEvent.objects.create(
        mediation=m, action=action, from_state=m.state, to_state=m.state, data=data
    )


def sweep_time_limits(now: datetime | None = None) -> TimeLimitReport:
    """The mediation's one-month time limit (`Mediation.due`, working days from acceptance) run
    as a case deadline: an open mediation past it is marked overdue and its case gets a yellow
    card, then a red one CASE_RED_CARD_AFTER_WORKING_DAYS working days later (through
    cases.actions.flag_mediation_overdue: the supervisor's inbox, the case's history); the
    committee is warned once per mediation and due date when less than one working day is left.

    Ended mediations (agreed, failed, refused, withdrawn) are never flagged. The mediation model
    has no pause or extension of its limit; while its case is suspended, the mediation is not
    swept either (the case's clocks stop). Idempotent: a second run changes nothing more.
    """
    now = now or _now()
    swept_cases = case_services.SWEPT_STATES
    report = TimeLimitReport()
    late = (
        Mediation.objects.filter(state__in=OPEN_STATES, due__lt=now, case__state__in=swept_cases)
        .exclude(is_overdue=True, case__supervision_level=SupervisionLevel.RED)
        .order_by("pk")
    )
    for pk in late.values_list("pk", flat=True):
        with transaction.atomic():
            # Mediation first, then the case: the lock order of every mediation service.
            m = Mediation.objects.select_for_update().get(pk=pk)
            if m.state not in OPEN_STATES or m.due is None or m.due >= now:
                continue
            changes = case_services.flag_mediation_overdue(
                m.case_id,
                due=m.due,
                reference=m.number,
                unit=Unit.objects.get(pk=m.committee_id),
                newly_overdue=not m.is_overdue,
                now=now,
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
        due__gte=now,
        due__lte=wc.add_working_days(now, 1),
        case__state__in=swept_cases,
    ).order_by("pk")
    for pk in soon.values_list("pk", flat=True):
        with transaction.atomic():
            m = Mediation.objects.select_for_update().get(pk=pk)
            if m.state not in OPEN_STATES or m.due is None or m.due < now:
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


def record_failure(
    actor: Any,
    mediation: Mediation | int,
    *,
    reason: str,
    routes_told: Sequence[str] = ("arbitration", "administrative", "court"),
    divert_to: str = Diversion.Target.COURT,
) -> Mediation:
    """Mediation failed: it ends, the parties were told of the arbitration, administrative and
    court routes (art. 26), and the case is diverted (to court by default)."""
    with transaction.atomic():
        m, _a = _begin(actor, mediation, [S.ACCEPTED, S.IN_SESSION])
        _require("reason", reason, _("Record why mediation failed."))
        routes = list(dict.fromkeys(routes_told))
        if not routes or set(routes) - set(ROUTES):
            raise InvalidInput(
                "routes_told",
                "required",
                _(
                    "Record which routes the parties were told of: arbitration, administrative, court."
                ),
            )
        if divert_to not in Diversion.Target.values:
            raise InvalidInput("divert_to", "choice", _("Choose where the case goes."))
        before = m.state
        m.state, m.ended_at, m.failure_reason, m.routes_told = S.FAILED, _now(), reason, routes
        _event(m, actor, "fail", before, note=reason, data={"routes": routes})
        told = "、".join(ROUTES[r] for r in routes)
        result = _("Mediation failed: %(reason)s. The parties were told of: %(routes)s.") % {
            "reason": reason,
            "routes": told,
        }
        _finish_case_task(m, actor, result)
        case = Case.objects.get(pk=m.case_id)
        if case.state not in FINISHED:
            _case_step(m, actor, "divert", lambda: case_services.divert(
                actor, case.pk, target=divert_to, reference=m.number, note=result,
                expected_version=_case_version(case.pk)))  # fmt: skip
    return m


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
            pk=_pk(agreement)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    with transaction.atomic():
        m, _a = _begin(actor, mediation_id, [S.AGREED])
        agreement = Agreement.objects.get(pk=_pk(agreement))
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
        _require("court", court, _("Name the court."))
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
        _event(m, actor, "judicial_confirmation", m.state, data={"result": result})
    return jc


# -- reading helpers -----------------------------------------------------------------------


def confirmation_days_left(agreement: Agreement, today: date | None = None) -> int | None:
    due = agreement.confirmation_due
    if due is None:
        return None
    return (due - (today or timezone.localdate())).days


def mediator_of(user: Any) -> QuerySet:
    return Mediator.objects.filter(user=user, active=True)


def workbench(user: Any) -> dict[str, Any]:
    """What a mediator looks at first: their disputes, the next sessions, agreements awaiting
    signatures or performance, confirmations due."""
    mine = (
        visible_mediations(user)
        .filter(Q(mediators__user=user) | Q(lead_mediator__user=user))
        .distinct()
    )
    now = _now()
    open_ = mine.filter(state__in=OPEN_STATES).select_related("case", "committee")
    sessions = (
        Session.objects.filter(mediation__in=mine, at__gte=now, minutes="")
        .select_related("mediation")
        .order_by("at")[:20]
    )
    awaiting_signatures = [
        a
        for a in Agreement.objects.filter(
            mediation__in=mine, form=Agreement.Form.WRITTEN, effective_at__isnull=True
        ).select_related("mediation")
    ]
    open_items = (
        PerformanceItem.objects.filter(agreement__mediation__in=mine, done_at__isnull=True)
        .select_related("agreement__mediation", "obligor")
        .order_by("due_date")
    )
    today = timezone.localdate()
    confirmations = [
        a
        for a in Agreement.objects.filter(
            mediation__in=mine, effective_at__isnull=False, confirmation__isnull=True
        ).select_related("mediation")
        if a.confirmation_due >= today
    ]
    confirmations.sort(key=lambda a: a.confirmation_due)
    return {
        "open": list(open_.order_by("due", "id")),
        "sessions": list(sessions),
        "awaiting_signatures": awaiting_signatures,
        "open_items": list(open_items),
        "confirmations": confirmations,
    }
