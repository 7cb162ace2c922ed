"""Every change of a risk assessment or a warning: one function each.

Each runs in one transaction: lock the row (select_for_update), check scope, version and the
transition table (`workflow`), change it through `workflow.apply` (state + history), write the
audit entry, and queue side effects (notifications) on commit.
"""

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import Perm
from fengqiao.cases import notifications
from fengqiao.cases.errors import ConflictError, FieldError, InvalidInput, NotPermitted
from fengqiao.cases.models import Case, Party
from fengqiao.core import audit
from fengqiao.core.background import enqueue_with_transaction
from fengqiao.core.validators import is_valid_citizen_id
from fengqiao.org.models import Unit
from fengqiao.territory.models import Grid, Region

from . import workflow
from .errors import NotFound
from .models import (
    LEVEL_RANK,
    OPEN_WARNING_STATES,
    WARNING_LEVELS,
    Assessment,
    Level,
    RiskFactor,
    TargetKind,
    Warning,
    WarningRule,
)

MAX_FACTOR_SCORE = 5


def person_hash(id_number: str) -> str:
    """The keyed hash by which a person is found by exact ID number (never the number itself)."""
    key = hashlib.sha256(("fengqiao.risk.person:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


# -- reading ---------------------------------------------------------------------------------


def visible_assessments(actor: Any, perm: str = Perm.RISK_VIEW) -> QuerySet[Assessment]:
    return access_for(actor).visible(Assessment.objects.all(), perm)


def visible_warnings(actor: Any, perm: str = Perm.RISK_VIEW) -> QuerySet[Warning]:
    return access_for(actor).visible(Warning.objects.all(), perm)


def get_assessment(actor: Any, pk: Any) -> Assessment:
    qs = Assessment.objects.select_related("responsible_unit", "case")
    return access_for(actor).get(qs, pk, Perm.RISK_VIEW, missing=NotFound)


def get_warning(actor: Any, pk: Any) -> Warning:
    qs = Warning.objects.select_related("rule", "target_unit", "case")
    return access_for(actor).get(qs, pk, Perm.RISK_VIEW, missing=NotFound)


def _lock(model: type[Assessment] | type[Warning], actor: Any, pk: Any) -> Any:
    """The row, locked, if `actor` may see it (else NotFound: they learn nothing)."""
    return access_for(actor).select_for_update(
        model.objects.all(), pk, Perm.RISK_VIEW, missing=NotFound
    )


def _check_version(obj: Any, expected: Any) -> None:
    if expected is not None and str(expected) != str(obj.version):
        raise ConflictError(
            "version", "stale", _("This was changed by someone else; reload to see the change.")
        )


# -- validation ------------------------------------------------------------------------------


def _text(data: dict, name: str, errors: list[FieldError], max_length: int, required=False) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(name, "invalid", _("Enter text.")))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(FieldError(name, "required", _("This field is required.")))
    elif len(value) > max_length:
        errors.append(
            FieldError(name, "max_length", _("At most %(n)d characters.") % {"n": max_length})
        )
    return value


def _level(data: dict, errors: list[FieldError]) -> str:
    value = data.get("level")
    if value not in Level.values:
        errors.append(
            FieldError("level", "invalid_choice", _("Choose low, medium, high or major."))
        )
        return ""
    return str(value)


def clean_factors(value: Any, errors: list[FieldError]) -> list[dict]:
    """[{code, score 1–5, note}] of active factors, each once."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > 50:
        errors.append(FieldError("factors", "invalid", _("Give a list of factors.")))
        return []
    known = {f.code: f for f in RiskFactor.objects.filter(active=True)}
    found: list[dict] = []
    for item in value:
        code = item.get("code") if isinstance(item, dict) else None
        factor = known.get(code) if isinstance(code, str) else None
        if factor is None:
            errors.append(FieldError("factors", "does_not_exist", _("Unknown risk factor.")))
            return []
        score = item.get("score", 1)
        if (
            isinstance(score, bool)
            or not isinstance(score, int)
            or not 1 <= score <= MAX_FACTOR_SCORE
        ):
            errors.append(FieldError("factors", "score", _("A factor's score is 1 to 5.")))
            return []
        note = item.get("note", "")
        if not isinstance(note, str) or len(note) > 300:
            errors.append(
                FieldError(
                    "factors", "note", _("A factor's note is text of at most 300 characters.")
                )
            )
            return []
        if any(f["code"] == code for f in found):
            errors.append(FieldError("factors", "duplicate", _("Each factor once.")))
            return []
        found.append({"code": code, "name": factor.name, "score": score, "note": note.strip()})
    return found


def _review_date(data: dict, errors: list[FieldError]) -> date | None:
    value = data.get("review_date")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date) or isinstance(value, datetime):
        errors.append(FieldError("review_date", "invalid", _("Enter a date (YYYY-MM-DD).")))
        return None
    if value < timezone.localdate():
        errors.append(
            FieldError("review_date", "past", _("The review date cannot be in the past."))
        )
        return None
    return value


def _unit(access: Access, value: Any, errors: list[FieldError]) -> Unit | None:
    unit = None
    if isinstance(value, Unit):
        value = value.pk
    if (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    ):
        unit = access.units(Perm.ORG_VIEW).filter(pk=int(value), active=True).first()
    if unit is None:
        errors.append(
            FieldError("responsible_unit", "not_found_in_scope", _("Choose a unit in your area."))
        )
    return unit


def _pk(value: Any) -> int | None:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _place_of(access: Access, data: dict, kind: str, errors: list[FieldError]) -> dict[str, Any]:
    """What the assessment is of, and where it lies (region, path, grid)."""
    out: dict[str, Any] = {"case": None, "party": None, "grid": None, "region": None}
    case_id = _pk(data.get("case"))
    party_id = _pk(data.get("party"))
    if kind == TargetKind.PERSON and party_id is not None:
        party = Party.objects.filter(pk=party_id).select_related("case").first()
        if party is None or not access.holds(party.case, Perm.CASE_VIEW):
            errors.append(
                FieldError("party", "not_found_in_scope", _("No such person in your cases."))
            )
            return out
        out["party"], case_id = party, party.case_id
    if case_id is not None or kind == TargetKind.CASE:
        case = Case.objects.filter(pk=case_id).first() if case_id is not None else None
        if case is None or not access.holds(case, Perm.CASE_VIEW):
            errors.append(FieldError("case", "not_found_in_scope", _("No such case in your area.")))
            return out
        out["case"] = case
        region_id = case.community_id or case.street_id or case.district_id
        out["region"] = Region.objects.filter(pk=region_id or 0).first()
        out["grid"] = case.grid
        out["region_path"] = case.region_path
        if out["region"] is None:
            errors.append(FieldError("case", "no_place", _("This case has no place.")))
        return out
    lon, lat = data.get("lon"), data.get("lat")
    if lon is not None or lat is not None:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
            errors.append(
                FieldError("lon", "invalid", _("Give longitude and latitude as numbers."))
            )
            return out
        from fengqiao.territory.locate import get_locator

        assert lon is not None and lat is not None
        grid_id = get_locator().locate(float(lon), float(lat))
        out["grid"] = (
            Grid.objects.filter(pk=grid_id).select_related("community").first() if grid_id else None
        )
        if out["grid"] is not None:
            out["region"] = out["grid"].community
    if out["region"] is None:
        code = data.get("region")
        region = None
        if isinstance(code, str) and code.strip():
            region = access.regions(Perm.RISK_HANDLE).filter(code=code.strip()).first()
        if region is None:
            errors.append(
                FieldError(
                    "region",
                    "not_found_in_scope",
                    _("Give a region code in your area, or a point inside a grid."),
                )
            )
            return out
        out["region"] = region
    out["region_path"] = out["region"].path
    return out


def _covers(access: Access, perm: str, a: Assessment) -> bool:
    """The scope rule of `workflow.assessment_rule` for a row not saved yet."""
    scope = access.scope(perm)
    if scope.covers_path(a.region_path) or (a.grid_id in scope.grid_ids):
        return True
    if a.responsible_unit_id in scope.unit_ids:
        return True
    case = a.case
    return case is not None and case.tasks.filter(unit_id__in=sorted(scope.unit_ids)).exists()


# -- assessments -----------------------------------------------------------------------------


def create_assessment(actor: Any, data: dict) -> Assessment:
    """Assess a case, a person, a place or a planned project. Bad input → InvalidInput naming
    every bad field; nothing saved."""
    access = access_for(actor)
    if not access.has_perm(Perm.RISK_HANDLE):
        raise NotPermitted("", "permission", _("You may not assess risks."))
    errors: list[FieldError] = []
    kind = data.get("target_kind")
    if kind not in TargetKind.values:
        raise InvalidInput("target_kind", "invalid_choice", _("Choose what is assessed."))
    title = _text(data, "title", errors, 200, required=True)
    measures = _text(data, "measures", errors, 4000, required=True)
    level = _level(data, errors)
    factors = clean_factors(data.get("factors"), errors)
    review = _review_date(data, errors)
    unit = _unit(access, data.get("responsible_unit"), errors)
    person_name = _text(data, "person_name", errors, 100)
    id_number = _text(data, "person_id_number", errors, 40)
    place_name = _text(data, "place_name", errors, 200)
    project_name = _text(data, "project_name", errors, 200)
    place = _place_of(access, data, kind, errors)
    if kind == TargetKind.PERSON and not (place["party"] or person_name):
        errors.append(
            FieldError(
                "person_name", "required", _("Name the person, or choose a party of a case.")
            )
        )
    if kind == TargetKind.PLACE and not place_name:
        errors.append(FieldError("place_name", "required", _("This field is required.")))
    if kind == TargetKind.PROJECT and not project_name:
        errors.append(FieldError("project_name", "required", _("This field is required.")))
    if id_number and not is_valid_citizen_id(id_number):
        errors.append(
            FieldError("person_id_number", "invalid", _("Not a valid citizen ID number."))
        )
    if errors:
        raise InvalidInput.many(errors)
    party = place["party"]
    assert review is not None
    now = timezone.now()
    a = Assessment(
        target_kind=kind,
        title=title,
        case=place["case"],
        party=party,
        person_name=person_name or (party.name if party else ""),
        person_id_hash=person_hash(id_number or (party.id_number if party else ""))
        if (id_number or (party and party.id_number))
        else "",
        place_name=place_name,
        lon=data.get("lon") if place["grid"] is not None and place["case"] is None else None,
        lat=data.get("lat") if place["grid"] is not None and place["case"] is None else None,
        project_name=project_name,
        region=place["region"],
        region_path=place["region_path"],
        grid=place["grid"],
        factors=factors,
        level=level,
        measures=measures,
        responsible_unit=unit,
        review_date=review,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        assessed_at=now,
    )
    if not _covers(access, Perm.RISK_HANDLE, a):
        raise NotPermitted("", "scope", _("This lies outside your area."))
    with transaction.atomic():
        workflow.apply(a, "assess", actor, data={"factors": factors, "review_date": str(review)})
        audit.record(actor, "create", a, audit.diff({}, audit.snapshot(a)))
        _follow_level(actor, a, None)
    return a


def reassess(actor: Any, assessment: Any, data: dict, expected_version: Any = None) -> Assessment:
    """A new level, factors, measures and review date; the old ones stay in the history."""
    errors: list[FieldError] = []
    level = _level(data, errors)
    measures = _text(data, "measures", errors, 4000, required=True)
    factors = clean_factors(data.get("factors"), errors)
    review = _review_date(data, errors)
    note = _text(data, "note", errors, 2000)
    if errors:
        raise InvalidInput.many(errors)
    access = access_for(actor)
    with transaction.atomic():
        a = _lock(Assessment, actor, assessment)
        workflow.check(a, "reassess", access)
        _check_version(a, expected_version)
        before = audit.snapshot(a)
        old_level = a.level
        a.level, a.measures, a.factors, a.review_date = level, measures, factors, review
        a.assessed_at = timezone.now()
        workflow.apply(
            a,
            "reassess",
            actor,
            note=note,
            data={"from_level": old_level, "factors": factors, "review_date": str(review)},
        )
        audit.record(actor, "update", a, audit.diff(before, audit.snapshot(a)))
        _follow_level(actor, a, old_level)
    return a


def close_assessment(
    actor: Any, assessment: Any, note: str, expected_version: Any = None
) -> Assessment:
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("note", "required", _("Say why the risk is removed."))
    access = access_for(actor)
    with transaction.atomic():
        a = _lock(Assessment, actor, assessment)
        workflow.check(a, "close", access)
        _check_version(a, expected_version)
        workflow.apply(a, "close", actor, note=note.strip()[:2000])
        audit.record(actor, "update", a, {"state": ["open", "closed"]})
        for w in Warning.objects.select_for_update().filter(
            assessment=a, state__in=OPEN_WARNING_STATES
        ):
            _move_warning(
                actor,
                w,
                "close",
                _("The assessment was closed: %(note)s") % {"note": note.strip()[:500]},
            )
    return a


def _follow_level(actor: Any, a: Assessment, old_level: str | None) -> None:
    """An assessment at a high level raises one warning to its responsible unit; lowered below
    that, its open warnings close (by the same actor, recorded)."""
    open_ones = Warning.objects.select_for_update().filter(
        assessment=a, state__in=OPEN_WARNING_STATES
    )
    if a.level in WARNING_LEVELS:
        if not open_ones.exists():
            raise_warning(
                kind="assessment",
                level=a.level,
                title=_("Risk assessed %(level)s: %(title)s")
                % {"level": a.get_level_display(), "title": a.title},
                evidence={
                    "assessment": a.pk,
                    "level": a.level,
                    "factors": [f["code"] for f in a.factors],
                },
                case=a.case,
                assessment=a,
                region_path=a.region_path,
                grid=a.grid,
                target_unit=a.responsible_unit,
                dedupe_key=f"assessment:{a.pk}",
                actor=actor,
            )
    elif old_level is not None and LEVEL_RANK[old_level] > LEVEL_RANK[a.level]:
        for w in open_ones:
            _move_warning(
                actor,
                w,
                "close",
                _("The assessment was lowered to %(level)s.") % {"level": a.get_level_display()},
            )


# -- warnings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewWarning:
    """One warning to raise: what raised it, the evidence, where, for whom. The same rule
    raises one open warning per `dedupe_key` (a case, a grid and week …)."""

    kind: str
    level: str
    title: str
    evidence: dict
    rule: WarningRule | None = None
    case: Case | None = None
    assessment: Assessment | None = None
    region_path: str = ""
    grid: Grid | None = None
    target_unit: Unit | None = None
    dedupe_key: str = ""


def _already_open(items: Sequence[NewWarning]) -> set[tuple[int | None, str]]:
    """(rule id, dedupe key) of the items that have an open warning already: one query."""
    keyed = [(w.rule.pk if w.rule else None, w.dedupe_key[:100]) for w in items if w.dedupe_key]
    if not keyed:
        return set()
    match = Q()
    for rule_id, key in set(keyed):
        match |= Q(rule_id=rule_id, dedupe_key=key)
    return set(
        Warning.objects.filter(match, state__in=OPEN_WARNING_STATES).values_list(
            "rule_id", "dedupe_key"
        )
    )


def raise_warnings(
    items: Sequence[NewWarning], *, actor: Any = None, new_subject: bool = False
) -> list[Warning]:
    """Raise the warnings of one event (an intake, a sweep) together, in order, but those whose
    rule already has an open one for the same subject. `new_subject`: the subjects were created
    in this transaction (an intake), so no warning can name them yet and the look-up is
    skipped. One INSERT each for the warnings, their history and their audit rows, one task
    for the notices (enqueued with the transaction). Call inside a transaction."""
    seen = set() if new_subject else _already_open(items)
    now = timezone.now()
    warnings: list[Warning] = []
    for item in items:
        key = (item.rule.pk if item.rule else None, item.dedupe_key[:100])
        if item.dedupe_key and key in seen:
            continue
        if item.dedupe_key:
            seen.add(key)  # the same rule and subject twice in one batch: once
        warnings.append(
            Warning(
                rule=item.rule,
                kind=item.kind,
                level=item.level,
                title=item.title[:200],
                evidence=item.evidence,
                case=item.case,
                assessment=item.assessment,
                region_path=item.region_path,
                grid=item.grid,
                target_unit=item.target_unit,
                dedupe_key=item.dedupe_key[:100],
                raised_at=now,
            )
        )
    if not warnings:
        return []
    workflow.apply_new(warnings, "raise", actor, data=[{"evidence": w.evidence} for w in warnings])
    audit.record_many(
        actor, "create", [(w, {"level": [None, w.level], "kind": [None, w.kind]}) for w in warnings]
    )
    from .tasks import notify_warnings_task

    # The fan-out (the units' staff, one notification each) runs in the background: the
    # request that raised the warnings, often an intake, does not wait for it.
    enqueue_with_transaction(
        notify_warnings_task, [w.pk for w in warnings], translation.get_language() or ""
    )
    return warnings


def raise_warning(
    *,
    kind: str,
    level: str,
    title: str,
    evidence: dict,
    rule: WarningRule | None = None,
    case: Case | None = None,
    assessment: Assessment | None = None,
    region_path: str = "",
    grid: Grid | None = None,
    target_unit: Unit | None = None,
    dedupe_key: str = "",
    actor: Any = None,
    new_subject: bool = False,
) -> Warning | None:
    """One warning (`raise_warnings` of one): None when the same rule already has an open
    warning for the same subject."""
    item = NewWarning(
        kind, level, title, evidence, rule, case, assessment, region_path, grid, target_unit,
        dedupe_key,
    )  # fmt: skip
    raised = raise_warnings([item], actor=actor, new_subject=new_subject)
    return raised[0] if raised else None


def raise_manual(actor: Any, data: dict) -> Warning:
    """A warning raised by hand (a screening finding, a visit): level, title, where, for whom."""
    access = access_for(actor)
    if not access.has_perm(Perm.RISK_HANDLE) and not access.has_perm(Perm.SCREENING_RECORD):
        raise NotPermitted("", "permission", _("You may not raise warnings."))
    errors: list[FieldError] = []
    level = _level(data, errors)
    title = _text(data, "title", errors, 200, required=True)
    note = _text(data, "note", errors, 2000)
    grid = data.get("grid")
    if not isinstance(grid, Grid) or not access.holds(grid, Perm.TERRITORY_VIEW):
        errors.append(FieldError("grid", "invalid", _("Choose a grid in your area.")))
    if errors:
        raise InvalidInput.many(errors)
    unit = data.get("target_unit")
    assert isinstance(grid, Grid)
    with transaction.atomic():
        w = raise_warning(
            kind="manual",
            level=level,
            title=title,
            evidence={"note": note, **(data.get("evidence") or {})},
            region_path=grid.community.path,
            grid=grid,
            target_unit=unit if isinstance(unit, Unit) else None,
            actor=actor,
        )
    assert w is not None  # no dedupe key: never a duplicate
    return w


def _move_warning(actor: Any, w: Warning, name: str, note: str) -> None:
    at = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    if name == "acknowledge":
        w.acknowledged_at, w.acknowledged_by = at, user
    elif name == "handle":
        w.handled_at, w.handled_by = at, user
    elif name == "close":
        w.closed_at, w.closed_by = at, user
    before = w.state
    workflow.apply(w, name, actor, note=note)
    audit.record(actor, "update", w, {"state": [before, w.state]})


def move_warning(
    actor: Any, warning: Any, name: str, note: str = "", expected_version: Any = None
) -> Warning:
    """acknowledge / handle / close a warning, by the table."""
    if name not in workflow.WARNING_TRANSITIONS or not workflow.WARNING_TRANSITIONS[name].offered:
        raise InvalidInput("action", "invalid_choice", _("Unknown action."))
    t = workflow.WARNING_TRANSITIONS[name]
    note = note.strip() if isinstance(note, str) else ""
    if "note" in t.required and not note:
        raise InvalidInput("note", "required", _("This field is required."))
    if len(note) > 2000:
        raise InvalidInput("note", "max_length", _("At most %(n)d characters.") % {"n": 2000})
    access = access_for(actor)
    with transaction.atomic():
        w = _lock(Warning, actor, warning)
        workflow.check(w, name, access)
        _check_version(w, expected_version)
        _move_warning(actor, w, name, note)
    return w


def notify_warnings(warning_ids: Sequence[int]) -> None:
    """Tell the staff of the warnings' target units (on commit of the raise)."""
    warnings = list(
        Warning.objects.filter(pk__in=sorted(warning_ids), target_unit__isnull=False).order_by("id")
    )
    if not warnings:
        return
    staff: dict[int, list[notifications.Recipient]] = {}
    assignments = RoleAssignment.objects.filter(
        active=True,
        scope_type=ScopeType.UNIT,
        unit_id__in=sorted({w.target_unit_id for w in warnings if w.target_unit_id}),
        user__is_active=True,
    ).select_related("user")
    for ra in assignments:
        r = notifications.Recipient(ra.user.get_full_name(), ra.user.email, "")
        if r.reachable and ra.unit_id is not None:
            staff.setdefault(ra.unit_id, []).append(r)
    for w in warnings:
        for r in staff.get(w.target_unit_id or 0, []):
            notifications.queue(
                r,
                _("Warning (%(level)s): %(title)s")
                % {"level": w.get_level_display(), "title": w.title},
                _("A warning was raised for your unit. Open the warnings page to acknowledge it."),
            )


def notify_warning(warning_id: int) -> None:
    """Tell the staff of the warning's target unit (on commit of the raise)."""
    notify_warnings([warning_id])
