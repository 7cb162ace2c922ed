"""Who sees what, and the one table of letter and task transitions.

Seeing (registered with `register_scope`, so `access.visible(qs, VIEW)` scopes every query):
- the group's heads, deputy heads and office, and whoever holds the statistics capability over
  the group's district (leaders), see everything of the group;
- a member unit's liaisons see their own unit's letter, tasks, reports and scores.
Doing: each transition names who may make it, by the post the actor holds in the group (data):
`office` (平安办: drafts letters, reviews reports, assesses), `signer` (a head, deputy head or the
office, recording the group's signature), `liaison` (the member unit's liaison).
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

from .models import GroupMember, LeadingGroup, MemberUnit, Post, TaskState

# Every staff role holds it; the rules below decide which rows.
VIEW = Perm.ORG_VIEW
OFFICE, SIGNER, LIAISON = "office", "signer", "liaison"


class NotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", gettext("No such record, or it is outside your area."))


# -- seeing --------------------------------------------------------------------------------


def overseen_groups(access: Access):
    """Ids of the groups whose every record the user sees."""
    uid = getattr(access.user, "pk", None)
    if uid is None:
        return LeadingGroup.objects.none().values("pk")
    q = Q(members__user_id=uid)
    if access.has_perm(Perm.STATS_VIEW):
        scope = access.scope(Perm.STATS_VIEW)
        if scope.region_paths:
            q |= scope.q(path="region__path")
    return LeadingGroup.objects.filter(q).values("pk")


def liaison_units(access: Access):
    uid = getattr(access.user, "pk", None)
    if uid is None:
        return MemberUnit.objects.none().values("pk")
    return MemberUnit.objects.filter(liaisons__id=uid).values("pk")


def rule(group: str, member_unit: str | None):
    """The scope rule of a model whose group is reached by `group` and member unit by
    `member_unit` (None: liaisons see no row of it)."""

    def scoped(access: Access, perm: str) -> Q:
        if getattr(access.user, "pk", None) is None:
            return NOTHING
        q = Q(**{f"{group}__in": overseen_groups(access)})
        if member_unit is not None:
            q |= Q(**{f"{member_unit}__in": liaison_units(access)})
        return q

    return scoped


def liaison_groups_rule(access: Access, perm: str) -> Q:
    if getattr(access.user, "pk", None) is None:
        return NOTHING
    mine = MemberUnit.objects.filter(liaisons__id=access.user.pk).values("group_id")
    return Q(pk__in=overseen_groups(access)) | Q(pk__in=mine)


def score_rule(access: Access, perm: str) -> Q:
    """The group's overseers see every score; a liaison its own unit's, once frozen."""
    if getattr(access.user, "pk", None) is None:
        return NOTHING
    mine = MemberUnit.objects.filter(liaisons__id=access.user.pk)
    return Q(run__scheme__group__in=overseen_groups(access)) | Q(
        run__scheme__group__in=mine.values("group_id"),
        run__scheme__subject_kind="unit",
        run__frozen_at__isnull=False,
        unit__in=mine.values("unit_id"),
    )


def run_rule(access: Access, perm: str) -> Q:
    """Runs of the group's overseers; frozen unit runs for a liaison (to read its own score)."""
    if getattr(access.user, "pk", None) is None:
        return NOTHING
    mine = MemberUnit.objects.filter(liaisons__id=access.user.pk).values("group_id")
    return Q(scheme__group__in=overseen_groups(access)) | Q(
        scheme__group__in=mine, scheme__subject_kind="unit", frozen_at__isnull=False
    )


def register_scopes() -> None:
    from fengqiao.accounts.access import register_scope

    from . import models as m

    register_scope(m.LeadingGroup, liaison_groups_rule)
    register_scope(m.MemberUnit, rule("group", "pk"))
    register_scope(m.Letter, rule("member_unit__group", "member_unit"))
    register_scope(m.LetterTask, rule("letter__member_unit__group", "letter__member_unit"))
    register_scope(
        m.ProgressReport, rule("task__letter__member_unit__group", "task__letter__member_unit")
    )
    register_scope(
        m.Evidence,
        rule("report__task__letter__member_unit__group", "report__task__letter__member_unit"),
    )
    register_scope(m.Scheme, rule("group", None))
    register_scope(m.Run, run_rule)
    register_scope(m.Score, score_rule)
    register_scope(m.Occurrence, rule("rule__scheme__group", None))
    register_scope(m.ReviewScore, rule("indicator__scheme__group", None))


# -- doing ---------------------------------------------------------------------------------


def posts_of(user: Any, group_id: int) -> set[str]:
    uid = getattr(user, "pk", None)
    if uid is None or not getattr(user, "is_active", False):
        return set()
    held = set(
        GroupMember.objects.filter(group_id=group_id, user_id=uid).values_list("post", flat=True)
    )
    out = set()
    if Post.OFFICE in held:
        out.add(OFFICE)
    if held:
        out.add(SIGNER)
    return out


def capacities(user: Any, member_unit: MemberUnit) -> set[str]:
    """What `user` may act as on `member_unit`'s letter."""
    out = posts_of(user, member_unit.group_id)
    if member_unit.liaisons.filter(pk=getattr(user, "pk", None)).exists():
        out.add(LIAISON)
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


DRAFT, SIGNED = "draft", "signed"
T = TaskState
REPORTABLE = {T.OPEN, T.IN_PROGRESS, T.RETURNED}

LETTER_TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("edit", _("Edit the letter and its tasks"), {DRAFT}, None, [OFFICE]),
    _t("sign_group", _("Record the group's signature"), {DRAFT}, None, [SIGNER]),
    _t("sign_unit", _("Record the unit's signature"), {DRAFT}, None, [LIAISON, OFFICE]),
    _t("in_force", _("Signed by both sides"), {DRAFT}, SIGNED, [SIGNER, LIAISON, OFFICE]),
]}  # fmt: skip

TASK_TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("report", _("Report progress"), REPORTABLE, T.SUBMITTED, [LIAISON]),
    _t("accept_done", _("Accept: task done"), {T.SUBMITTED}, T.DONE, [OFFICE]),
    _t("accept_progress", _("Accept the progress"), {T.SUBMITTED}, T.IN_PROGRESS, [OFFICE]),
    _t("return", _("Return with a reason"), {T.SUBMITTED}, T.RETURNED, [OFFICE]),
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


# How the history of a letter names its entries.
EVENT_LABELS = {
    "create": _("letter drafted"),
    "task_added": _("task added"),
    "sign_group": _("the group signed"),
    "sign_unit": _("the unit signed"),
    "report": _("progress reported"),
    "accept_done": _("accepted: task done"),
    "accept_progress": _("progress accepted"),
    "return": _("report returned"),
}
