"""Who sees what, and the one table of event and task transitions.

Seeing (registered with `register_scope`, so `access.visible(qs, VIEW)` scopes every query):
- staff see the events (and plans) of their region subtree;
- the leader and members of any body of an event (command, office, group, task force) see it;
- a grid worker sees the events that gave a task to one of their grids.
Doing, by capacity on the event:
- `command`: leaders and centre staff over the event's region (the supervision capability,
  `Perm.CASE_SUPERVISE`), and the leader and members of its command and office;
- `member`: the leader and members of any body, grid workers of a grid with a task (check in);
- `assignee` (of one task): its group's leader and members, or the grid's workers.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import NOTHING, Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError, NotPermitted, TransitionNotAllowed

from .models import Body, BodyKind, Event, EventState, Plan, Task, TaskState

VIEW = Perm.ORG_VIEW  # every staff role holds it; the rules below decide which rows
COMMAND_PERM = Perm.CASE_SUPERVISE  # leaders and centre staff
COMMAND, MEMBER, ASSIGNEE = "command", "member", "assignee"


class NotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", gettext("No such record, or it is outside your area."))


# -- seeing --------------------------------------------------------------------------------


def _uid(access: Access) -> Any:
    user = access.user
    if not getattr(user, "is_active", False):
        return None
    return getattr(user, "pk", None)


def event_q(access: Access, perm: str) -> Q:
    uid = _uid(access)
    if uid is None:
        return NOTHING
    scope = access.scope(perm)
    q = Q(pk__in=Body.objects.filter(Q(leader_id=uid) | Q(members__id=uid)).values("event_id"))
    if scope.region_paths:
        q |= scope.q(path="region__path")
    if scope.grid_ids:
        q |= Q(pk__in=Task.objects.filter(grid_id__in=sorted(scope.grid_ids)).values("event_id"))
    return q


def _child(field: str):
    def rule(access: Access, perm: str) -> Q:
        if _uid(access) is None:
            return NOTHING
        return Q(**{f"{field}__in": Event.objects.filter(event_q(access, perm)).values("pk")})

    return rule


def task_q(access: Access, perm: str) -> Q:
    """The tasks of the events seen through the region or a body; a grid worker who sees an
    event only through their grids' tasks sees those tasks, not the other grids'."""
    uid = _uid(access)
    if uid is None:
        return NOTHING
    scope = access.scope(perm)
    seen = Q(pk__in=Body.objects.filter(Q(leader_id=uid) | Q(members__id=uid)).values("event_id"))
    if scope.region_paths:
        seen |= scope.q(path="region__path")
    q = Q(event__in=Event.objects.filter(seen).values("pk"))
    if scope.grid_ids:
        q |= Q(grid_id__in=sorted(scope.grid_ids))
    return q


def plan_q(access: Access, perm: str) -> Q:
    if _uid(access) is None:
        return NOTHING
    scope = access.scope(perm)
    q = Q(pk__in=Event.objects.filter(event_q(access, perm)).values("plan_id"))
    if scope.region_paths:
        q |= scope.q(path="region__path")
    return q


def drill_q(access: Access, perm: str) -> Q:
    if _uid(access) is None:
        return NOTHING
    return Q(plan__in=Plan.objects.filter(plan_q(access, perm)).values("pk"))


def register_scopes() -> None:
    from fengqiao.accounts.access import register_scope

    from . import models as m

    register_scope(m.Event, event_q)
    register_scope(m.Body, _child("event"))
    register_scope(m.Task, task_q)
    register_scope(m.CheckIn, _child("event"))
    register_scope(m.EventLog, _child("event"))
    register_scope(m.Plan, plan_q)
    register_scope(m.Drill, drill_q)


# -- doing ---------------------------------------------------------------------------------


def commands_region(user: Any, path: str) -> bool:
    """May `user` command (set up events, keep plans) over the region at `path`?"""
    if not getattr(user, "is_active", False):
        return False
    access = access_for(user)
    return access.has_perm(COMMAND_PERM) and access.scope(COMMAND_PERM).covers_path(path)


def _bodies_of(user: Any, event: Event) -> list[Body]:
    uid = getattr(user, "pk", None)
    if uid is None or not getattr(user, "is_active", False):
        return []
    return list(event.bodies.filter(Q(leader_id=uid) | Q(members__id=uid)).distinct())


def grid_ids(user: Any) -> frozenset[int]:
    if not getattr(user, "is_active", False):
        return frozenset()
    return access_for(user).scope(VIEW).grid_ids


def capacities(user: Any, event: Event) -> set[str]:
    """What `user` may act as on `event`."""
    out: set[str] = set()
    bodies = _bodies_of(user, event)
    if bodies:
        out.add(MEMBER)
    if commands_region(user, event.region.path) or any(
        b.kind in (BodyKind.COMMAND, BodyKind.OFFICE) for b in bodies
    ):
        out |= {COMMAND, MEMBER}
    mine = grid_ids(user)
    if mine and event.tasks.filter(grid_id__in=sorted(mine)).exists():
        out.add(MEMBER)
    return out


def task_capacities(user: Any, task: Task) -> set[str]:
    out = capacities(user, task.event)
    uid = getattr(user, "pk", None)
    if task.body_id is not None:
        b = task.body
        if b is not None and (b.leader_id == uid or b.members.filter(pk=uid).exists()):
            out.add(ASSIGNEE)
    elif task.grid_id in grid_ids(user):
        out.add(ASSIGNEE)
    return out


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None
    who: tuple[str, ...]


def _t(name, label, sources, target, who) -> Transition:
    return Transition(name, label, frozenset(sources), target, tuple(who))


E, T = EventState, TaskState

EVENT_TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("edit", _("Set up the structure"), {E.DRAFT, E.ACTIVE}, None, [COMMAND]),
    _t("activate", _("Activate"), {E.DRAFT}, E.ACTIVE, [COMMAND]),
    _t("assign", _("Give a task"), {E.ACTIVE}, None, [COMMAND]),
    _t("check_in", _("Check in"), {E.ACTIVE}, None, [MEMBER, COMMAND]),
    _t("stand_down", _("Stand down"), {E.ACTIVE}, E.STOOD_DOWN, [COMMAND]),
]}  # fmt: skip

TASK_TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("accept", _("Accept the task"), {T.ASSIGNED}, T.ACCEPTED, [ASSIGNEE]),
    _t("complete", _("Report the task done"), {T.ACCEPTED}, T.DONE, [ASSIGNEE]),
]}  # fmt: skip


def check(t: Transition, state: str, held: set[str], what: str) -> None:
    if not held & set(t.who):
        raise NotPermitted(
            "", "permission", gettext("You may not do “%(action)s” here.") % {"action": t.label}
        )
    if state not in t.sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            gettext("A %(what)s in this state cannot be given the action “%(action)s”.")
            % {"what": what, "action": t.label},
        )


def allowed(table: dict[str, Transition], state: str, held: set[str]) -> set[str]:
    return {n for n, t in table.items() if state in t.sources and held & set(t.who)}


# How the history of an event names its entries.
LOG_LABELS = {
    "create": _("event set up"),
    "body_added": _("part of the structure added"),
    "activate": _("activated"),
    "stand_down": _("stood down"),
    "campaign_linked": _("screening campaign linked"),
    "case_linked": _("incident linked"),
    "assign": _("task given"),
    "accept": _("task accepted"),
    "complete": _("task done"),
}
