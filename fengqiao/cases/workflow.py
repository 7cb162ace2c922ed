"""The one table of case transitions: from which states, to which state, who may, what is needed.

Every action in `fengqiao.cases.actions` checks its row with `actions.base.begin` and makes it
with `actions.base.transition`, which sets the row's `target` and writes the history entry: no
action sets a state of its own. `target=None` means the action leaves the case's state alone;
`RESUMED` means the state the case was suspended in. Rows with `offered=False` are not offered
by the UI: they are the variants an action picks by its input (a lead task's acknowledgement
and start move the case; a decided extension is approved or rejected).
The UI shows `allowed_actions(case, access)` and nothing else.

"reopened" behaves like "accepted": every action open to an accepted case is open to it.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access, Scope
from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import Perm, Role
from fengqiao.cases.errors import CaseNotFound, NotPermitted, TransitionNotAllowed
from fengqiao.cases.models import Case, CaseState, Task

if TYPE_CHECKING:
    from fengqiao.org.models import Unit

S = CaseState

# States in which a unit works on the case.
WORKING = frozenset({S.ACCEPTED, S.REOPENED})
HANDLING = WORKING | {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS}
# Waiting at a center or station for someone to take it on.
WAITING = frozenset({S.REGISTERED, S.RETURNED, S.ESCALATED})
OPEN = HANDLING | WAITING | {S.SUSPENDED}
FINISHED = frozenset({S.RESOLVED, S.CLOSED, S.DIVERTED, S.CANCELLED})

REGISTER = (Perm.CASE_REGISTER, Perm.CASE_TRIAGE)
# A mediation committee hands a failed mediation on (People's Mediation Law art. 26) and records
# what it learns (a risk of violence, art. 25) on the disputes it mediates, nothing more.
REGISTER_OR_MEDIATE = (*REGISTER, Perm.MEDIATION_HANDLE)


# The target of resume: back to the state the case was suspended in.
RESUMED = "<resume_state>"


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None
    perms: tuple[str, ...]  # any one of them, held over the case
    required: tuple[str, ...] = ()
    public: bool = False  # is the history entry shown on the public tracking page
    recorded_as: str = ""  # the history entry's action (default: the name)
    offered: bool = True  # offered by the UI (False: a variant an action picks)

    def target_for(self, case: Case) -> str | None:
        """The state `case` goes to (None: it stays where it is)."""
        if self.target == RESUMED:
            return case.resume_state or S.ACCEPTED
        return self.target


def _t(
    name: str,
    label: Any,
    sources: Iterable[str],
    target: str | None,
    perms: str | tuple[str, ...],
    required: tuple[str, ...] = (),
    public: bool = False,
    recorded_as: str = "",
    offered: bool = True,
) -> Transition:
    if isinstance(perms, str):
        perms = (perms,)
    return Transition(
        name, label, frozenset(sources), target, tuple(perms), required, public,
        recorded_as or name, offered,
    )  # fmt: skip


TASK_STATES = {S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS}


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("accept", _("Accept"), WAITING, S.ACCEPTED, REGISTER, public=True),
        _t("dispatch", _("Dispatch"), WORKING | {S.RETURNED}, S.DISPATCHED, Perm.CASE_TRIAGE, ("lead_unit",)),
        _t("acknowledge_task", _("Acknowledge"), TASK_STATES, None, Perm.CASE_HANDLE),
        _t("acknowledge_lead_task", _("Acknowledge"), {S.DISPATCHED}, S.ACKNOWLEDGED, Perm.CASE_HANDLE, recorded_as="acknowledge_task", offered=False),
        _t("start_task", _("Start work"), TASK_STATES, None, Perm.CASE_HANDLE),
        _t("start_lead_task", _("Start work"), TASK_STATES, S.IN_PROGRESS, Perm.CASE_HANDLE, recorded_as="start_task", offered=False),
        _t("complete_task", _("Complete task"), TASK_STATES, None, Perm.CASE_HANDLE, ("result",)),
        _t("assign_task", _("Assign to a grid worker"), TASK_STATES, None, Perm.CASE_HANDLE, ("assignee",), offered=False),
        _t("waive_task", _("Waive task"), TASK_STATES, None, Perm.CASE_TRIAGE, ("reason",)),
        _t("start", _("Start handling"), WORKING | {S.ACKNOWLEDGED}, S.IN_PROGRESS, Perm.CASE_HANDLE, public=True),
        _t("add_progress", _("Add progress note"), OPEN, None, Perm.CASE_HANDLE, ("text",), recorded_as="note"),
        _t("suspend", _("Suspend"), HANDLING, S.SUSPENDED, Perm.CASE_HANDLE, ("reason",), public=True),
        _t("resume", _("Resume"), {S.SUSPENDED}, RESUMED, Perm.CASE_HANDLE, public=True),
        _t("request_extension", _("Request extension"), HANDLING, None, Perm.CASE_HANDLE, ("days", "reason")),
        _t("decide_extension", _("Decide extension"), HANDLING | {S.SUSPENDED}, None, Perm.CASE_SUPERVISE),
        _t("approve_extension", _("Approve extension"), HANDLING | {S.SUSPENDED}, None, Perm.CASE_SUPERVISE, offered=False),
        _t("reject_extension", _("Reject extension"), HANDLING | {S.SUSPENDED}, None, Perm.CASE_SUPERVISE, offered=False),
        _t("resolve", _("Resolve"), WORKING | {S.ACKNOWLEDGED, S.IN_PROGRESS}, S.RESOLVED, Perm.CASE_HANDLE, ("outcome",), public=True),
        # A grid worker's report of a matter settled where it arose (就地化解): created resolved.
        _t("resolve_on_the_spot", _("Resolved on the spot"), {S.REGISTERED}, S.RESOLVED, Perm.CASE_REPORT, ("outcome",), public=True, offered=False),
        _t("close", _("Close"), {S.RESOLVED, S.DIVERTED}, S.CLOSED, REGISTER, ("outcome",), public=True),
        _t("return_case", _("Return"), {S.REGISTERED, S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED}, S.RETURNED, Perm.CASE_HANDLE, ("reason",), recorded_as="return"),
        _t("escalate", _("Escalate"), WAITING | HANDLING - {S.DISPATCHED}, S.ESCALATED, REGISTER, ("reason",), public=True),
        _t("divert", _("Divert"), WAITING | WORKING | {S.IN_PROGRESS}, S.DIVERTED, REGISTER_OR_MEDIATE, ("target",), public=True),
        _t("update_diversion", _("Record diversion progress"), {S.DIVERTED}, None, REGISTER, ("status",)),
        _t("cancel", _("Cancel"), {S.REGISTERED, S.ACCEPTED, S.RETURNED}, S.CANCELLED, REGISTER, ("reason",), public=True),
        _t("merge", _("Merge into another case"), {S.REGISTERED, S.ACCEPTED, S.RETURNED, S.REOPENED}, S.CANCELLED, REGISTER, ("into",), public=True),
        _t("split", _("Split into child cases"), {S.REGISTERED, S.ACCEPTED, S.RETURNED, S.REOPENED}, None, REGISTER, ("children",)),
        _t("reopen", _("Reopen"), {S.RESOLVED, S.CLOSED, S.DIVERTED}, S.REOPENED, (Perm.CASE_VISIT, Perm.CASE_SUPERVISE), ("reason",), public=True),
        _t("record_visit", _("Record follow-up visit"), {S.RESOLVED, S.CLOSED}, None, Perm.CASE_VISIT, ("satisfaction",), recorded_as="visit"),
        _t("raise_supervision", _("Raise supervision card"), OPEN, None, Perm.CASE_SUPERVISE, ("level", "reason"), recorded_as="supervision"),
        _t("update_details", _("Edit details"), OPEN, None, REGISTER_OR_MEDIATE, recorded_as="update"),
        _t("add_attachment", _("Add attachment"), OPEN | {S.RESOLVED, S.CLOSED}, None, (Perm.CASE_REPORT, Perm.CASE_REGISTER, Perm.CASE_HANDLE), recorded_as="attachment"),
    ]
}  # fmt: skip


# -- scope ---------------------------------------------------------------------------------


def case_scope_q(scope: Scope) -> Q:
    """Cases inside `scope`: by place (region subtree, grids) or by unit (handling unit, or a
    task of the unit: a member-unit liaison sees the cases their unit works on)."""
    q = scope.q(path="region_path", grid="grid_id")
    if scope.unit_ids:
        units = sorted(scope.unit_ids)
        q |= Q(handling_unit_id__in=units) | Q(
            pk__in=Task.objects.filter(unit_id__in=units).values("case_id")
        )
    return q


# What the creator of a case keeps wherever the case lies and whoever handles it: seeing it and
# adding to it (attachments). A user keeps them over the cases they reported; a unit over the
# cases its members reported (a police liaison's hand-over, a grid worker's report from outside
# their grid), read as "reported by someone holding a role in the unit now".
CREATOR_PERMS = frozenset({Perm.CASE_VIEW, Perm.CASE_REPORT})
# What the person a unit assigned its task to (a station's grid worker) holds over that case,
# wherever it lies, while the task is current.
ASSIGNEE_PERMS = frozenset({Perm.CASE_VIEW, Perm.CASE_HANDLE})


def case_access_q(access: Access, perm: str) -> Q:
    """Cases `access` holds `perm` over: inside its scope (`case_scope_q`), or, for
    CREATOR_PERMS, reported by its user or by a member of one of its units."""
    scope = access.scope(perm)
    q = case_scope_q(scope)
    if perm in CREATOR_PERMS:
        user_id = getattr(access.user, "pk", None)
        if user_id is not None:
            q |= Q(created_by_id=user_id)
        if scope.unit_ids:
            members = RoleAssignment.objects.filter(
                active=True, scope_type=ScopeType.UNIT, unit_id__in=sorted(scope.unit_ids)
            ).values_list("user_id", flat=True)
            # Read first, as a short list of ids: a subquery OR'ed with the place test keeps
            # PostgreSQL from combining indexes, and it walks every case by date instead
            # (bench/case_list_bench.py: 8 s instead of milliseconds for a grid worker).
            q |= Q(created_by_id__in=sorted(set(members)))
    if perm in ASSIGNEE_PERMS and access.has_role(Role.GRID_WORKER):
        user_id = getattr(access.user, "pk", None)
        if user_id is not None:
            assigned = Task.objects.filter(assignee_id=user_id, active=True).values_list(
                "case_id", flat=True
            )
            q |= Q(pk__in=sorted(set(assigned)))
    return q


def in_scope_known(
    case: Case, access: Access, perm: str, task_unit_ids: Collection[int] = ()
) -> bool:
    """`access.holds(case, perm)` without a query, for a case whose row and task units the caller holds as they
    are in the database and that was reported by this user or by a resident (the case it has
    just created in this transaction: no task of it is assigned to anyone yet). The same rule as `case_access_q`;
    tests/test_cases_intake_fast_paths.py checks the two agree."""
    if not access.has_perm(perm):
        return False
    user_id = getattr(access.user, "pk", None)
    if perm in CREATOR_PERMS and user_id is not None and case.created_by_id == user_id:
        return True
    scope = access.scope(perm)
    if case.region_path and scope.covers_path(case.region_path):
        return True
    if case.grid_id is not None and case.grid_id in scope.grid_ids:
        return True
    units = scope.unit_ids
    return bool(units) and (
        case.handling_unit_id in units or any(u in units for u in task_unit_ids)
    )


def acts_for_unit(access: Access, unit: "Unit", perm: str = Perm.CASE_HANDLE) -> bool:
    """May `access` act for `unit` (its tasks): a unit scope naming it, or a region scope over it."""
    if not access.has_perm(perm):
        return False
    scope = access.scope(perm)
    return unit.pk in scope.unit_ids or scope.covers_path(unit.region.path)


# -- the check -----------------------------------------------------------------------------


def check_access(case: Case, name: str, access: Access) -> Transition:
    """Raise CaseNotFound if `access` cannot see the case at all (it learns nothing about it),
    NotPermitted if it can see it but lacks every capability the transition needs."""
    transition = TRANSITIONS[name]
    allowed = any(access.holds(case, p) for p in transition.perms)
    if not allowed:
        if not access.holds(case, Perm.CASE_VIEW):
            raise CaseNotFound()
        raise NotPermitted(
            "",
            "permission",
            gettext("You may not do “%(action)s” on this case.") % {"action": transition.label},
        )
    return transition


def check_state(case: Case, name: str) -> Transition:
    """Raise TransitionNotAllowed unless the case's state is a source of the transition."""
    transition = TRANSITIONS[name]
    if case.state not in transition.sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            gettext("A case that is %(state)s cannot be given the action “%(action)s”.")
            % {"state": case.get_state_display(), "action": transition.label},
        )
    return transition


def check_transition(case: Case, name: str, access: Access) -> Transition:
    """The transition `name` if `access` may make it on `case` now; else a CaseError.

    Scope and capability first (CaseNotFound / NotPermitted), then the state
    (TransitionNotAllowed). Actions check the expected version in between, so a stale form
    gets a ConflictError rather than a puzzling "not allowed".
    """
    check_access(case, name, access)
    return check_state(case, name)


def allowed_actions(
    case: Case, access: Access, check: Callable[[str], bool] | None = None
) -> list[Transition]:
    """The transitions the UI may offer on `case` to `access` (state and permission both).

    `check(perm)` replaces the scope query when the caller already knows the answer."""
    result = []
    held: dict[str, bool] = {}
    # Most roles hold their capabilities over one and the same scope: ask the database once
    # per distinct scope, not once per capability.
    by_scope: dict[Scope, bool] = {}
    for t in TRANSITIONS.values():
        if not t.offered or case.state not in t.sources:
            continue
        for p in t.perms:
            if p not in held:
                if not access.has_perm(p):
                    held[p] = False
                    continue
                scope = access.scope(p)
                if scope not in by_scope:
                    by_scope[scope] = check(p) if check else access.holds(case, p)
                held[p] = by_scope[scope]
        if any(held[p] for p in t.perms):
            result.append(t)
    return result
