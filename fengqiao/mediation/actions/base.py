"""What every mediation action shares: finding and locking the mediation (`begin`), small input
checks, and moving the dispute case on through the cases actions.

An action:
- runs in `transaction.atomic()` and calls `begin(actor, mediation, name)`: the row is locked
  (`select_for_update`), an actor who cannot see the mediation gets MediationNotFound, one
  without the transition's capability NotPermitted, a stale form ConflictError, a state outside
  the transition's sources TransitionNotAllowed (fengqiao.mediation.workflow);
- changes the state only through `workflow.transition()`, which writes the timeline entry;
- moves the case on through the cases actions (acknowledge/start/complete the committee's task,
  resolve when an agreement takes effect, divert when mediation fails), so the case's own
  history, deadlines and notifications stay the cases app's business;
- queues side effects (notifications) with `transaction.on_commit` (via cases.notifications).
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.cases import actions as case_services

# The plumbing every action shares lives once, in the cases' actions.
from fengqiao.cases.actions.base import pk_of
from fengqiao.cases.actions.base import user_or_none as user_of
from fengqiao.cases.errors import CaseError, ConflictError, InvalidInput
from fengqiao.cases.models import Case, Party, Task

from ..errors import MediationNotFound
from ..models import Mediation, MediationEvent
from ..workflow import check_access, check_state, readable_q


def visible_mediations(actor: Any, qs: QuerySet | None = None) -> QuerySet:
    """Mediations of the committees the actor mediates for or supervises (judicial office);
    what each may do on them is the workflow's capability check."""
    access = actor if isinstance(actor, Access) else access_for(actor)
    qs = Mediation.objects.all() if qs is None else qs
    return qs.filter(readable_q(access))


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


def begin(
    actor: Any,
    mediation: Mediation | int,
    name: str,
    expected_version: int | None = None,
) -> tuple[Mediation, Access]:
    """Lock the mediation, check scope, capability, version and state for transition `name`.
    Call inside transaction.atomic()."""
    access = access_for(actor)
    try:
        m = Mediation.objects.select_for_update().get(pk=pk_of(mediation))
    except (Mediation.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    # Scope checked apart from the lock: FOR UPDATE over the join would lock the committee too.
    if not Mediation.objects.filter(pk=m.pk).filter(readable_q(access)).exists():
        raise MediationNotFound()
    check_access(m, name, access)
    if expected_version is not None and int(expected_version) != m.version:
        raise ConflictError(
            "version",
            "stale",
            _("This mediation was changed by someone else; reload to see the change."),
        )
    check_state(m, name)
    return m, access


def party_of(m: Mediation, party: Party | int | None, name: str = "party") -> Party:
    try:
        return Party.objects.get(pk=pk_of(party), case_id=m.case_id)
    except (Party.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(name, "other_case", _("Choose a party of this case.")) from None


# -- the case side -------------------------------------------------------------------------


def case_version(case_id: int) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=case_id)


def committee_task(m: Mediation) -> Task | None:
    return Task.objects.filter(case_id=m.case_id, unit_id=m.committee_id, active=True).first()


def case_step(m: Mediation, actor: Any, action: str, call: Callable[[], Any]) -> bool:
    """Run one cases action; a refusal from the cases app is recorded, not fatal: the
    mediation's own record stays right and the case's handlers see the event."""
    try:
        call()
        return True
    except CaseError as e:
        MediationEvent.objects.create(
            mediation=m,
            actor=user_of(actor),
            action="case_not_updated",
            from_state=m.state,
            to_state=m.state,
            note=e.message,
            data={"step": action, "code": e.code},
        )
        return False


def start_case_task(m: Mediation, actor: Any) -> None:
    task = committee_task(m)
    if task is None:
        return
    if task.state == Task.State.DISPATCHED:
        case_step(m, actor, "acknowledge_task", lambda: case_services.acknowledge_task(
            actor, task.pk, expected_version=case_version(m.case_id)))  # fmt: skip
        task.refresh_from_db()
    if task.state == Task.State.ACKNOWLEDGED:
        case_step(m, actor, "start_task", lambda: case_services.start_task(
            actor, task.pk, expected_version=case_version(m.case_id)))  # fmt: skip


def finish_case_task(m: Mediation, actor: Any, result: str) -> None:
    task = committee_task(m)
    if task is None or task.finished:
        return
    case_step(m, actor, "complete_task", lambda: case_services.complete_task(
        actor, task.pk, result=result, expected_version=case_version(m.case_id)))  # fmt: skip
