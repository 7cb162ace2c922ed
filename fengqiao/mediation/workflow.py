"""The one table of mediation transitions: from which states, to which state, who may.

Every action in `fengqiao.mediation.actions` starts with `begin(actor, mediation, name)` (lock,
scope, capability, version, source state) and changes the state only through
`transition(m, name, actor)`, which applies the table's target and writes the timeline entry.
The mediation page shows `allowed_actions(m, access)` and nothing else. `target=None` means the
action leaves the state alone. `when` is an extra condition on the mediation's records (an
agreement must exist to be signed …) that the page and the action both read.

Registration (`start`) creates the mediation in REGISTERED; it is the only entry not checked
against a source state.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import NotPermitted, TransitionNotAllowed

from .models import OPEN_STATES, Agreement, Mediation, MediationEvent, MediationState

S = MediationState

OPEN = frozenset(OPEN_STATES)
# Accepted and not ended: sessions are held, the parties may end it, it may fail.
ACTIVE = frozenset({S.ACCEPTED, S.IN_SESSION})
ENDED = frozenset({S.AGREED, S.FAILED, S.REFUSED, S.WITHDRAWN})
ANY = OPEN | ENDED

HANDLE = (Perm.MEDIATION_HANDLE,)
SUPERVISE = (Perm.MEDIATION_SUPERVISE,)


def _agreement(m: Mediation) -> Agreement | None:
    return Agreement.objects.filter(mediation_id=m.pk).first()


def _no_agreement(m: Mediation) -> bool:
    return _agreement(m) is None


def _unsigned_agreement(m: Mediation) -> bool:
    a = _agreement(m)
    return a is not None and a.effective_at is None


def _not_extended(m: Mediation) -> bool:
    return m.original_due is None and m.due is not None


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None
    perms: tuple[str, ...]  # any one of them, held over the mediation's committee
    when: Callable[[Mediation], bool] | None = None
    # Shown among the page's action forms (False: done from elsewhere or by another action).
    form: bool = True
    event: str = ""  # the timeline entry's action, when it differs from `name`
    why_not: Promise | None = None  # the refusal when `when` does not hold


def _t(
    name, label, sources, target, perms=HANDLE, when=None, form=True, event="", why_not=None
) -> Transition:
    return Transition(
        name, label, frozenset(sources), target, tuple(perms), when, form, event or name, why_not
    )


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("register", _("Register"), {""}, S.REGISTERED, form=False),
        _t("accept", _("Accept"), {S.REGISTERED}, S.ACCEPTED),
        _t("assign", _("Assign mediators"), OPEN, None),
        _t("notice", _("Deliver notice of rights and duties"), OPEN, None),
        _t("investigation", _("Record investigation"), OPEN, None),
        _t("violence", _("Report violence risk to the police"), ANY, None, event="violence_risk"),
        _t("extend", _("Extend the time limit with the parties' consent"), ACTIVE, None, when=_not_extended,
           why_not=_("The time limit can be extended once only.")),
        _t("refuse", _("A party refuses mediation"), {S.REGISTERED, S.ACCEPTED}, S.REFUSED),
        _t("plan_session", _("Plan a session"), ACTIVE, None, event="session_planned"),
        _t("session", _("Record session"), ACTIVE, S.IN_SESSION),
        _t("agreement", _("Record agreement"), {S.IN_SESSION}, None, when=_no_agreement,
           why_not=_("This mediation already has an agreement.")),
        _t("sign", _("Record signature or seal"), {S.IN_SESSION}, None, when=_unsigned_agreement,
           why_not=_("There is no agreement awaiting signatures.")),
        _t("effective", _("Agreement takes effect"), {S.IN_SESSION}, S.AGREED, form=False),
        _t("failure", _("Mediation failed"), ACTIVE, S.FAILED, event="fail"),
        _t("terminate", _("A party ends the mediation"), ACTIVE, S.FAILED),
        _t("performance", _("Mark performed"), {S.AGREED}, None, form=False, event="performed"),
        _t("followup", _("Record follow-up"), {S.AGREED}, None),
        _t("confirmation", _("Record judicial confirmation"), {S.AGREED}, None, event="judicial_confirmation"),
        _t("withdraw", _("Withdraw"), OPEN, S.WITHDRAWN),
        # The judicial office's review or guidance (司法所): any state, the supervisor only.
        _t("review", _("Record review or guidance"), ANY, None, perms=SUPERVISE, form=False),
    ]
}  # fmt: skip


# -- scope ---------------------------------------------------------------------------------


def committee_q(access: Access, prefix: str = "committee", perm: str = Perm.MEDIATION_HANDLE) -> Q:
    """Rows whose committee lies in the actor's `perm` scope (its unit, or a region subtree the
    committee sits in)."""
    if not access.has_perm(perm):
        return Q(pk__in=[])
    return access.scope(perm).q(path=f"{prefix}__region__path", unit=f"{prefix}_id")


def mediation_rule(access: Access, perm: str) -> Q:
    """The scope rule of mediations (registered with accounts.access: `access.visible`,
    `access.holds`): the mediation's committee lies in the `perm` scope."""
    return committee_q(access, perm=perm)


def readable_q(access: Access, prefix: str = "committee") -> Q:
    """Rows of the committees the actor mediates for or, as a judicial office, supervises."""
    return committee_q(access, prefix) | committee_q(access, prefix, Perm.MEDIATION_SUPERVISE)


def holds(m: Mediation, access: Access, perm: str) -> bool:
    """Does `access` hold `perm` over the mediation's committee."""
    return access.holds(m, perm)


# -- the check -----------------------------------------------------------------------------


def check_access(m: Mediation, name: str, access: Access) -> Transition:
    """NotPermitted unless `access` holds one of the transition's capabilities over the
    committee. (Visibility, MediationNotFound, is checked before, when the row is found.)"""
    t = TRANSITIONS[name]
    if not any(holds(m, access, p) for p in t.perms):
        raise NotPermitted(
            "",
            "permission",
            gettext("You may not do “%(action)s” on this mediation.") % {"action": t.label},
        )
    return t


def check_state(m: Mediation, name: str) -> Transition:
    """TransitionNotAllowed unless the state is a source of the transition and its condition
    on the mediation's records holds."""
    t = TRANSITIONS[name]
    if m.state in t.sources and t.when is not None and not t.when(m) and t.why_not:
        raise TransitionNotAllowed(name, "condition", str(t.why_not))
    if m.state not in t.sources or (t.when is not None and not t.when(m)):
        raise TransitionNotAllowed(
            "state",
            "transition",
            gettext("A mediation that is %(state)s cannot be given the action “%(action)s”.")
            % {"state": m.get_state_display(), "action": t.label},
        )
    return t


def transition(
    m: Mediation,
    name: str,
    actor,
    *,
    note: str = "",
    data: dict | None = None,
    event: str = "",
) -> MediationEvent:
    """Apply transition `name` to the locked mediation: check the source state, set the table's
    target (if any), bump the version, save, and append the timeline entry (action `event`, or
    the table's). The one place a mediation's state changes; the caller has checked scope and
    capability (`begin`)."""
    t = TRANSITIONS[name]
    if m.state not in t.sources:
        check_state(m, name)  # raises
    before = m.state
    if t.target is not None:
        m.state = t.target
    m.version += 1
    m.save()
    return MediationEvent.objects.create(
        mediation=m,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=event or t.event,
        from_state=before,
        to_state=m.state,
        note=note,
        data=data or {},
    )


def allowed_actions(m: Mediation, access: Access) -> list[Transition]:
    """The transitions the page may offer on `m` to `access` (state, condition, capability)."""
    held: dict[str, bool] = {}
    result = []
    for t in TRANSITIONS.values():
        if m.state not in t.sources or (t.when is not None and not t.when(m)):
            continue
        for p in t.perms:
            if p not in held:
                held[p] = holds(m, access, p)
        if any(held[p] for p in t.perms):
            result.append(t)
    return result


def allowed_names(m: Mediation, access: Access) -> set[str]:
    return {t.name for t in allowed_actions(m, access)}
