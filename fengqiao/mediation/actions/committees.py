"""A committee's mediators: members (委员, 3 to 9, art. 8), hired full-time mediators and
volunteers (mediators of the committee who are not members); conflicts and suggestions."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import pk_of
from fengqiao.cases.errors import CaseNotFound, InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, Category
from fengqiao.core import audit
from fengqiao.core.validators import normalize_phone, validate_citizen_id, validate_person_phone
from fengqiao.org.models import EmploymentType, Unit, UnitKind

from ..models import OPEN_STATES, ConflictDeclaration, Mediator, MediatorPost, Specialty

MIN_MEMBERS, MAX_MEMBERS = 3, 9  # art. 8


def acts_for_committee(access: Access, committee: Unit) -> bool:
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return False
    scope = access.scope(Perm.MEDIATION_HANDLE)
    return committee.pk in scope.unit_ids or scope.covers_path(committee.region.path)


def may_manage(access: Access, committee: Unit) -> bool:
    """May `access` add and remove the committee's mediators."""
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
            .get(pk=pk_of(committee), kind=UnitKind.MEDIATION_COMMITTEE)
        )
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            "committee", "not_committee", _("Choose a people's mediation committee.")
        ) from None
    if not may_manage(access, unit):
        raise NotPermitted("committee", "permission", _("You may not manage this committee."))
    return unit


def active_mediators(committee: Unit) -> QuerySet:
    """Everyone who mediates for the committee now: members, hired mediators, volunteers."""
    return Mediator.objects.filter(committee=committee, active=True)


def members(committee: Unit) -> QuerySet:
    """The committee's members (委员): the ones the 3–9 rule counts."""
    return active_mediators(committee).filter(post=MediatorPost.MEMBER)


NOT_COUNTED = gettext_lazy("Hired full-time mediators and volunteers are not counted.")
# A leaving mediator's entry records why ("reason": text), beside the model's fields.
AUDIT_KEYS = {"reason": gettext_lazy("reason")}


def _identity(id_number: str, phone: str) -> tuple[str, str]:
    """The mediator's ID number and phone, checked like a party's (fengqiao.core.validators)."""
    id_number, phone = id_number.strip().upper(), normalize_phone(phone)
    for name, value, check in (("id_number", id_number, validate_citizen_id),
                               ("phone", phone, validate_person_phone)):  # fmt: skip
        if value:
            try:
                check(value)
            except ValidationError as e:
                raise InvalidInput(name, e.code or "invalid", " ".join(e.messages)) from None
    return id_number, phone


def add_mediator(
    actor: Any,
    committee: Unit | int,
    *,
    user: Any,
    employment_type: str = EmploymentType.PART_TIME,
    post: str = MediatorPost.MEMBER,
    specialties: Sequence[Specialty | str] = (),
    id_number: str = "",
    phone: str = "",
    conflicts: Sequence[Mapping[str, str]] = (),
) -> Mediator:
    """A new mediator of the committee. A member (委员) is refused when the committee already
    has nine (art. 8); hired full-time mediators and volunteers are not counted."""
    with transaction.atomic():
        unit = _lock_committee(actor, committee)
        if post not in MediatorPost.values:
            raise InvalidInput(
                "post", "choice", _("Choose: committee member, hired mediator or volunteer.")
            )
        if employment_type not in EmploymentType.values:
            raise InvalidInput("employment_type", "choice", _("Choose full-time or part-time."))
        if post == MediatorPost.HIRED and employment_type != EmploymentType.FULL_TIME:
            raise InvalidInput(
                "employment_type", "hired_full_time", _("A hired mediator works full-time.")
            )
        if post == MediatorPost.MEMBER:
            count = members(unit).count()
            if count >= MAX_MEMBERS:
                message = _(
                    "%(committee)s already has %(n)d members; a people's mediation committee "
                    "has 3 to 9 members (People's Mediation Law art. 8)."
                ) % {"committee": unit.name, "n": count}
                raise InvalidInput("committee", "too_many", f"{message} {NOT_COUNTED}")
        if active_mediators(unit).filter(user=user).exists():
            raise InvalidInput("user", "duplicate", _("This person already mediates here."))
        id_number, phone = _identity(id_number, phone)
        mediator = Mediator.objects.create(
            user=user,
            committee=unit,
            employment_type=employment_type,
            post=post,
            id_number=id_number,
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
        audit.record(
            actor, "create", mediator, {"committee": [None, unit.pk], "post": [None, post]}
        )
    return mediator


def remove_mediator(actor: Any, mediator: Mediator | int, *, reason: str = "") -> Mediator:
    """A mediator leaves; a member only while the committee keeps at least three (art. 8)."""
    with transaction.atomic():
        try:
            committee_id = Mediator.objects.values_list("committee_id", flat=True).get(
                pk=pk_of(mediator)
            )
        except (Mediator.DoesNotExist, ValueError, TypeError):
            raise InvalidInput("mediator", "not_found", _("No such mediator.")) from None
        unit = _lock_committee(actor, committee_id)
        mediator = Mediator.objects.select_for_update().get(pk=pk_of(mediator))
        if not mediator.active:
            raise InvalidInput("mediator", "inactive", _("This mediator has already left."))
        count = members(unit).count()
        if mediator.is_member and count <= MIN_MEMBERS:
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
        audit.record(actor, "update", mediator, {"active": [True, False], "reason": reason})
    return mediator


def check_constituted(unit: Unit) -> None:
    """TransitionNotAllowed unless the committee has 3 to 9 members (art. 8)."""
    n = members(unit).count()
    if not MIN_MEMBERS <= n <= MAX_MEMBERS:
        message = _(
            "%(committee)s has %(n)d members; a people's mediation committee has 3 to 9 "
            "members (People's Mediation Law art. 8)."
        ) % {"committee": unit.name, "n": n}
        raise TransitionNotAllowed("committee", "size", f"{message} {NOT_COUNTED}")


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
    ids = case.category.ancestor_ids if case.category_id else []
    return set(Category.objects.filter(pk__in=ids).values_list("code", flat=True))


def suggest_assignment(actor: Any, case: Case | int, limit: int = 10) -> list[Suggestion]:
    """Committees covering the case's place and their mediators, best first: the closest
    committee (community before street), a matching specialty, then the lightest workload.
    Conflicted mediators are left out."""
    access = access_for(actor)
    case = Case.objects.select_related("category", "community").filter(pk=pk_of(case)).first()
    if case is None or not access.holds(case, Perm.CASE_VIEW):
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
        mediators = active_mediators(unit).select_related("user")
        for m in mediators.prefetch_related("specialties", "conflicts"):
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
