"""Who sees what, and the one table of a question's transitions.

Seeing (registered with `register_scope`, so `access.visible(qs, VIEW)` scopes every query):
the lawyers and staff of a point see the questions held by that point and by every point in its
region's subtree (a room: its community; a station: its street; the centre: the district);
whoever holds the statistics capability (leaders) sees the questions of their regions, read
only. The resident reaches their own question by its secret link or code and phone digits.
Doing: each transition names who may make it: `lawyer` (a legal adviser of a point covering the
question), `staff` (lawyer or staff of such a point), `resident`, `system` (the sweep).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import NOTHING, Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError, NotPermitted, TransitionNotAllowed

from .models import Lawyer, Question, QuestionState, ServicePoint

VIEW = Perm.ORG_VIEW  # every staff role holds it; the rules below decide which rows
LAWYER, STAFF, RESIDENT, SYSTEM = "lawyer", "staff", "resident", "system"


class NotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", gettext("No such record, or it is outside your area."))


# -- seeing --------------------------------------------------------------------------------


def my_points(user: Any) -> list[ServicePoint]:
    """The points the user works at (as a lawyer or as staff), active ones only."""
    uid = getattr(user, "pk", None)
    if uid is None or not getattr(user, "is_active", False):
        return []
    return list(
        ServicePoint.objects.filter(
            Q(staff__id=uid) | Q(lawyers__user_id=uid, lawyers__active=True)
        )
        .filter(active=True)
        .select_related("region")
        .distinct()
    )


def _paths(user: Any) -> list[str]:
    return [p.region.path for p in my_points(user)]


def works_in_network(access: Access) -> bool:
    return bool(my_points(access.user))


def may_open(access: Access) -> bool:
    """May the user open the legal-services pages at all (navigation)."""
    # The role check is in memory; the network's points cost a query (every page's menu).
    return access.has_perm(Perm.STATS_VIEW) or works_in_network(access)


def _by_paths(paths: list[str], lookup: str) -> Q:
    q = NOTHING
    for p in paths:
        q |= Q(**{f"{lookup}__startswith": p})
    return q


def _rule(lookup: str):
    def scoped(access: Access, perm: str) -> Q:
        if getattr(access.user, "pk", None) is None:
            return NOTHING
        q = _by_paths(_paths(access.user), lookup)
        if access.has_perm(Perm.STATS_VIEW):
            scope = access.scope(Perm.STATS_VIEW)
            if scope.region_paths:
                q |= scope.q(path=lookup)
        return q

    return scoped


def _rules() -> dict[type, Any]:
    from . import models as m

    return {
        m.Question: _rule("point__region__path"),
        m.ServicePoint: _rule("region__path"),
        m.Lawyer: _rule("point__region__path"),
        m.Referral: _rule("question__point__region__path"),
    }


def register_scopes() -> None:
    """`access.visible(qs, VIEW)`: the rows the user sees by their work in the network (no
    role needed: a lawyer's account may hold none) or their statistics capability."""
    from fengqiao.accounts.access import register_scope

    for model, rule in _rules().items():
        register_scope(model, rule, role_needed=False)


# -- doing ---------------------------------------------------------------------------------


def covering_points(user: Any, question: Question) -> list[ServicePoint]:
    path = question.point.region.path
    return [p for p in my_points(user) if path.startswith(p.region.path)]


def lawyer_for(user: Any, question: Question) -> Lawyer | None:
    """The user's legal-adviser record at a point covering the question (the nearest first)."""
    points = covering_points(user, question)
    found = (
        Lawyer.objects.filter(point__in=points, user_id=user.pk, active=True)
        .select_related("point__region")
        .order_by("-point__region__level")
        .first()
        if points
        else None
    )
    return found


def capacities(user: Any, question: Question) -> set[str]:
    if not covering_points(user, question):
        return set()
    out = {STAFF}
    if lawyer_for(user, question) is not None:
        out.add(LAWYER)
    return out


def sees_phone(user: Any, question: Question) -> bool:
    """The resident's phone in full: only for the lawyers and staff of the point holding the
    question (they may call back); masked for everyone else."""
    uid = getattr(user, "pk", None)
    return any(p.pk == question.point_id for p in my_points(user)) if uid else False


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None
    who: tuple[str, ...]


def _t(name, label, sources, target, who) -> Transition:
    return Transition(name, label, frozenset(sources), target, tuple(who))


S = QuestionState
WAITING = {S.OPEN, S.FOLLOW_UP}
LIVE = {S.OPEN, S.ANSWERED, S.FOLLOW_UP}

TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("answer", _("Answer"), WAITING, S.ANSWERED, [LAWYER]),
    _t("follow_up", _("Ask a follow-up"), {S.ANSWERED}, S.FOLLOW_UP, [RESIDENT]),
    _t("rate", _("Rate the answer"), {S.ANSWERED}, S.CLOSED, [RESIDENT]),
    _t("note", _("Internal note"), {*LIVE, S.CLOSED, S.REFERRED}, None, [STAFF]),
    _t("refer_aid", _("Refer to legal aid"), LIVE, S.REFERRED, [STAFF]),
    _t("refer_mediation", _("Refer to people's mediation"), LIVE, S.REFERRED, [STAFF]),
    _t("escalate", _("Escalate to the next level"), WAITING, None, [SYSTEM]),
]}  # fmt: skip


def check(t: Transition, state: str, held: set[str]) -> None:
    if not held & set(t.who):
        raise NotPermitted(
            "", "permission", gettext("You may not do “%(action)s” here.") % {"action": t.label}
        )
    if state not in t.sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            gettext("A question in this state cannot be given the action “%(action)s”.")
            % {"action": t.label},
        )


def allowed(state: str, held: set[str]) -> set[str]:
    return {n for n, t in TRANSITIONS.items() if state in t.sources and held & set(t.who)}


EVENT_LABELS = {
    "ask": _("question asked"),
    "answer": _("answer given"),
    "follow_up": _("follow-up asked"),
    "rate": _("answer rated"),
    "note": _("internal note"),
    "refer_aid": _("referred to legal aid"),
    "refer_mediation": _("referred to people's mediation"),
    "escalate": _("escalated to the next level"),
}
# What the resident's tracking page shows of the history (never notes).
PUBLIC_EVENTS = {"ask", "answer", "follow_up", "rate", "refer_aid", "refer_mediation", "escalate"}
