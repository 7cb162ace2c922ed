"""The transition tables of risk assessments and warnings: from which states, to which, who may.

Every action in `fengqiao.risk.actions` locks the row, checks scope and version, and changes
the state only through `apply()`, which applies the table's target and appends the history
entry. Pages and the API offer `allowed(obj, access)` and nothing else. `""` as a source is
the creation of the row.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import NotPermitted, TransitionNotAllowed

from .models import (
    Assessment,
    AssessmentEntry,
    AssessmentState,
    Warning,
    WarningEvent,
    WarningState,
)

A = AssessmentState
W = WarningState


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None
    perm: str
    required: tuple[str, ...] = ()
    offered: bool = True


def _t(name, label, sources, target, perm=Perm.RISK_HANDLE, required=(), offered=True):
    return Transition(name, label, frozenset(sources), target, perm, tuple(required), offered)


ASSESSMENT_TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("assess", _("Assess"), {""}, A.OPEN, offered=False),
        _t("reassess", _("Reassess"), {A.OPEN}, None, required=("level", "measures")),
        _t("close", _("Close (risk removed)"), {A.OPEN}, A.CLOSED, required=("note",)),
    ]
}

OPEN_WARNING = {W.RAISED, W.ACKNOWLEDGED, W.HANDLED}
WARNING_TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("raise", _("Raise"), {""}, W.RAISED, offered=False),
        _t("acknowledge", _("Acknowledge"), {W.RAISED}, W.ACKNOWLEDGED),
        _t(
            "handle",
            _("Record handling"),
            {W.RAISED, W.ACKNOWLEDGED},
            W.HANDLED,
            required=("note",),
        ),
        _t("close", pgettext_lazy("verb", "Close"), OPEN_WARNING, W.CLOSED, required=("note",)),
    ]
}


# -- scope ---------------------------------------------------------------------------------


def assessment_rule(access: Access, perm: str) -> Q:
    """Assessments where the risk lies inside the scope, of the scope's units, or of a case one
    of the scope's units works on (a co-handling unit sees the risk of its case)."""
    from fengqiao.cases.models import Task

    scope = access.scope(perm)
    q = scope.q(path="region_path", grid="grid_id", unit="responsible_unit_id")
    if scope.unit_ids:
        q |= Q(
            case_id__in=Task.objects.filter(unit_id__in=sorted(scope.unit_ids)).values("case_id")
        )
    return q


def warning_rule(access: Access, perm: str) -> Q:
    return access.scope(perm).q(path="region_path", grid="grid_id", unit="target_unit_id")


def rule_rule(access: Access, perm: str) -> Q:
    return access.scope(perm).q(path="region__path")


# -- the check and the one primitive -------------------------------------------------------


def _table(obj: Any) -> dict[str, Transition]:
    return ASSESSMENT_TRANSITIONS if isinstance(obj, Assessment) else WARNING_TRANSITIONS


def check(obj: Assessment | Warning, name: str, access: Access) -> Transition:
    """NotPermitted unless `access` holds the row's capability over `obj`; TransitionNotAllowed
    unless its state is a source. (Visibility is checked when the row is found.)"""
    t = _table(obj)[name]
    if not access.holds(obj, t.perm):
        raise NotPermitted(
            "", "permission", gettext("You may not do “%(action)s” here.") % {"action": t.label}
        )
    if obj.state not in t.sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            gettext("Something that is %(state)s cannot be given the action “%(action)s”.")
            % {"state": obj.get_state_display(), "action": t.label},
        )
    return t


def apply(
    obj: Assessment | Warning,
    name: str,
    actor: Any,
    *,
    note: str = "",
    data: dict | None = None,
    level: str = "",
) -> AssessmentEntry | WarningEvent:
    """Apply transition `name` to the locked `obj`: the table's target, the version, the
    history entry. The one place an assessment's or a warning's state changes."""
    t = _table(obj)[name]
    before = "" if obj.pk is None else obj.state
    if before not in t.sources:
        raise TransitionNotAllowed("state", "transition", gettext("Not allowed in this state."))
    if t.target is not None:
        obj.state = t.target
    if before:
        obj.version += 1
    obj.save()
    user = actor if getattr(actor, "is_authenticated", False) else None
    common = dict(
        actor=user, action=name, from_state=before, to_state=obj.state, note=note, data=data or {}
    )
    if isinstance(obj, Assessment):
        return AssessmentEntry.objects.create(assessment=obj, level=level or obj.level, **common)
    return WarningEvent.objects.create(warning=obj, **common)


def apply_new(
    warnings: Sequence[Warning], name: str, actor: Any, *, data: Sequence[dict]
) -> list[WarningEvent]:
    """`apply` for warnings not saved yet, all by creation transition `name`: the table's
    target, then the warnings in one INSERT and their first history entries (data[i] for
    warnings[i]) in another. Each warning's history chain starts here: no head look-up."""
    from fengqiao.core import chain

    t = WARNING_TRANSITIONS[name]
    if "" not in t.sources or any(w.pk is not None for w in warnings):
        raise TransitionNotAllowed("state", "transition", gettext("Not allowed in this state."))
    if not warnings:
        return []
    for w in warnings:
        if t.target is not None:
            w.state = t.target
    Warning.objects.bulk_create(warnings)
    user = actor if getattr(actor, "is_authenticated", False) else None
    events: list[Any] = []
    for w, d in zip(warnings, data, strict=True):
        chain.mark_new_chain(w)
        events.append(
            WarningEvent(
                warning=w, actor=user, action=name, from_state="", to_state=w.state, data=d
            )
        )
    chain.create_all(WarningEvent, events)
    return events


def allowed(obj: Assessment | Warning, access: Access) -> list[Transition]:
    table = _table(obj)
    held: dict[str, bool] = {}
    result = []
    for t in table.values():
        if not t.offered or obj.state not in t.sources:
            continue
        if t.perm not in held:
            held[t.perm] = access.holds(obj, t.perm)
        if held[t.perm]:
            result.append(t)
    return result
