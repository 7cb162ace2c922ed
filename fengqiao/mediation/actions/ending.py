"""How a mediation ends without an agreement: a party refuses it (art. 17), a party ends it
mid-way (art. 23), it fails (art. 26), or it is withdrawn. Ended by a party or failed, the parties
are told of the other routes and the case is diverted."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import actions as case_services
from fengqiao.cases.actions.base import now, require
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Case, Diversion, Party
from fengqiao.cases.workflow import FINISHED

from ..models import Mediation, Refusal
from ..workflow import transition
from .base import begin, case_step, case_version, finish_case_task, party_of

ROUTES = {
    "arbitration": "仲裁",
    "administrative": "行政途径",
    "court": "诉讼",
}
ALL_ROUTES = tuple(ROUTES)


def refuse(actor: Any, mediation: Mediation | int, *, party: Party | int, reason: str) -> Refusal:
    """A party clearly refuses: there is no mediation (art. 17); the reason is recorded and the
    committee's task on the case is completed so its handlers take it on."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "refuse")
        p = party_of(m, party)
        require("reason", reason, _("Record the reason the party gave."))
        refusal = Refusal.objects.create(mediation=m, party=p, reason=reason, at=now())
        m.ended_at = refusal.at
        transition(m, "refuse", actor, note=reason, data={"party": p.pk})
        finish_case_task(
            m, actor, _("%(party)s refused mediation: %(reason)s") % {"party": p.name,
                                                                       "reason": reason}
        )  # fmt: skip
    return refusal


def withdraw(actor: Any, mediation: Mediation | int, *, reason: str) -> Mediation:
    with transaction.atomic():
        m, _a = begin(actor, mediation, "withdraw")
        require("reason", reason, _("Give the reason."))
        m.ended_at = now()
        transition(m, "withdraw", actor, note=reason)
        finish_case_task(m, actor, _("Mediation withdrawn: %(r)s") % {"r": reason})
    return m


def _routes(routes_told: Sequence[str], divert_to: str) -> list[str]:
    routes = list(dict.fromkeys(routes_told))
    if not routes or set(routes) - set(ROUTES):
        raise InvalidInput(
            "routes_told",
            "required",
            _("Record which routes the parties were told of: arbitration, administrative, court."),
        )
    if divert_to not in Diversion.Target.values:
        raise InvalidInput("divert_to", "choice", _("Choose where the case goes."))
    return routes


def _failure_routes(m: Mediation, actor: Any, result: str, divert_to: str) -> None:
    """The case side of a failed mediation: the committee's task is completed with `result`
    and the case is diverted (art. 26)."""
    finish_case_task(m, actor, result)
    case = Case.objects.get(pk=m.case_id)
    if case.state not in FINISHED:
        case_step(m, actor, "divert", lambda: case_services.divert(
            actor, case.pk, target=divert_to, reference=m.number, note=result,
            expected_version=case_version(case.pk)))  # fmt: skip


def record_failure(
    actor: Any,
    mediation: Mediation | int,
    *,
    reason: str,
    routes_told: Sequence[str] = ALL_ROUTES,
    divert_to: str = Diversion.Target.COURT,
) -> Mediation:
    """Mediation failed: it ends, the parties were told of the arbitration, administrative and
    court routes (art. 26), and the case is diverted (to court by default)."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "failure")
        require("reason", reason, _("Record why mediation failed."))
        routes = _routes(routes_told, divert_to)
        m.ended_at, m.failure_reason, m.routes_told = now(), reason, routes
        transition(m, "failure", actor, note=reason, data={"routes": routes})
        result = _("Mediation failed: %(reason)s. The parties were told of: %(routes)s.") % {
            "reason": reason,
            "routes": "、".join(ROUTES[r] for r in routes),
        }
        _failure_routes(m, actor, result, divert_to)
    return m


def terminate(
    actor: Any,
    mediation: Mediation | int,
    *,
    party: Party | int,
    reason: str,
    routes_told: Sequence[str] = ALL_ROUTES,
    divert_to: str = Diversion.Target.COURT,
    expected_version: int | None = None,
) -> Mediation:
    """A party ends the mediation (art. 23: a party may ask to end it at any point). Recorded:
    which party and why; the mediation ends as failed and goes on the failure routes (the
    parties are told of the other routes, the case is diverted)."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "terminate", expected_version)
        p = party_of(m, party)
        require("reason", reason, _("Record why the party ended the mediation."))
        routes = _routes(routes_told, divert_to)
        m.ended_at, m.terminated_by, m.routes_told = now(), p, routes
        m.failure_reason = _("%(party)s ended the mediation: %(reason)s") % {
            "party": p.name,
            "reason": reason,
        }
        transition(m, "terminate", actor, note=reason, data={"party": p.pk, "routes": routes})
        result = _(
            "Mediation ended by the party %(party)s (art. 23): %(reason)s. The parties were told "
            "of: %(routes)s."
        ) % {"party": p.name, "reason": reason, "routes": "、".join(ROUTES[r] for r in routes)}
        _failure_routes(m, actor, result, divert_to)
    return m
