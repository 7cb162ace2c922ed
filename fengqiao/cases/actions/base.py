"""The plumbing every case action shares: lock, version check, the one transition primitive,
history, inbox, notifications, search indexing.

An action (one function in a module beside this one) runs in `transaction.atomic()` and reads
like this::

    case, access = begin(actor, case, "accept", expected_version)  # lock, scope, version, state
    ...  # the action's own checks and writes
    transition(actor, case, "accept", access=access, note=note)   # table target + history row

`begin` raises CaseNotFound / NotPermitted / ConflictError / TransitionNotAllowed in that order
(a stale form gets "changed by someone" rather than a puzzling "not allowed"). `transition`
looks the action up in `workflow.TRANSITIONS`, checks the source state and the actor's role
again, sets the table's target and appends the history row: no action sets `case.state`
itself. Timeline entries that change no state and are no action of the table (a merge seen
from the receiving case, the deadline sweep, a reporter's rating) use `history` directly.
Side effects (notifications, tasks) are queued on commit by `notifications.queue`.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.cases import notifications, routing
from fengqiao.cases.errors import CaseNotFound, ConflictError, InvalidInput, NotPermitted
from fengqiao.cases.models import Case, CaseHistory, InboxItem
from fengqiao.cases.workflow import RESUMED, TRANSITIONS, check_access, check_state
from fengqiao.org.models import Unit


def now() -> datetime:
    return timezone.now()


def pk_of(obj: Any) -> int:
    return obj.pk if hasattr(obj, "pk") else int(obj)


def user_or_none(actor: Any) -> Any:
    """The actor as a user to store, or None for the system and anonymous residents."""
    return actor if getattr(actor, "is_authenticated", False) else None


def lock(case: Case | int) -> Case:
    """The case row, locked until the transaction ends (CaseNotFound if there is none)."""
    try:
        return Case.objects.select_for_update().get(pk=pk_of(case))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise CaseNotFound() from None


def check_version(case: Case, expected_version: int | None) -> None:
    """ConflictError when the case changed since the actor's form was loaded."""
    if expected_version is None or int(expected_version) == case.version:
        return
    last = case.current_history
    who = (last.actor.get_full_name() if last and last.actor else "") or _("the system")
    when = timezone.localtime(last.at).strftime("%H:%M") if last else ""
    raise ConflictError(
        "version",
        "stale",
        _(
            "This case was changed by %(who)s at %(time)s; reload to see the change; "
            "your input was kept."
        )
        % {"who": who, "time": when},
    )


def begin(
    actor: Any, case: Case | int, name: str, expected_version: int | None
) -> tuple[Case, Access]:
    """Lock the case, check scope, version and the transition's source state.
    Call inside transaction.atomic()."""
    access = access_for(actor)
    locked = lock(case)
    check_access(locked, name, access)
    check_version(locked, expected_version)
    check_state(locked, name)
    return locked, access


def transition(
    actor: Any,
    case: Case,
    action: str,
    *,
    access: Access | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool | None = None,
    public_reply: str = "",
    bump: bool = True,
) -> CaseHistory:
    """Make the table's transition `action` on the locked `case` and record it.

    Refuses (TransitionNotAllowed) a case whose state is not a source of the row and (NotPermitted)
    an actor holding none of the row's capabilities; the scope was checked by `begin`. Sets the
    row's target (a state, or for resume the state the case was suspended in; None leaves the
    state alone), appends the history entry under the row's `recorded_as` name, public as the
    row says (or as `public` says: a progress note the author chose to publish), moves
    `current_history`, bumps the version and saves the case. `note` is internal; `public_reply`
    is the only text the public sees (an entry with one is shown to the reporter).
    """
    row = TRANSITIONS[action]
    check_state(case, action)
    access = access if access is not None else access_for(actor)
    if not any(access.has_perm(p) for p in row.perms):
        raise NotPermitted(
            "",
            "permission",
            _("You may not do “%(action)s” on this case.") % {"action": row.label},
        )
    before = case.state
    target = row.target_for(case)
    if target is not None:
        case.state = target
    if row.target == RESUMED:
        case.resume_state = ""  # the state to go back to is used up
    return history(
        case,
        actor,
        row.recorded_as,
        before,
        note=note,
        data=data,
        public=row.public if public is None else public,
        public_reply=public_reply,
        bump=bump,
    )


def history(
    case: Case,
    actor: Any,
    action: str,
    from_state: str,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = False,
    public_reply: str = "",
    bump: bool = True,
) -> CaseHistory:
    """Append the timeline entry, move current_history, bump the version, save the case.

    `note` is internal; `public_reply` is the only text the public sees (an entry with one is
    shown to the reporter)."""
    entry = CaseHistory.objects.create(
        case=case,
        actor=user_or_none(actor),
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
        public=public or bool(public_reply),
        public_reply=public_reply,
    )
    case.current_history = entry
    if bump:
        case.version += 1
    case.save()
    return entry


def require(field_name: str, value: Any, message: str | None = None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(field_name, "required", message or _("This field is required."))


def moment(value: datetime | None, name: str, *, future_ok: bool = False) -> datetime:
    """`value` as an aware datetime (now when None); not in the future unless `future_ok`."""
    if value is None:
        return now()
    if not isinstance(value, datetime):
        raise InvalidInput(name, "invalid", _("Enter a date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not future_ok and value > now() + timedelta(minutes=5):
        raise InvalidInput(name, "future", _("This cannot lie in the future."))
    return value


def inbox(
    case: Case, kind: str, *, unit: Unit | None = None, user: Any = None, text: str = ""
) -> None:
    """Put an item in a unit's or a user's inbox (nothing when neither is given)."""
    if unit is None and user is None:
        return
    InboxItem.objects.create(case=case, kind=kind, unit=unit, user=user, text=text[:200])


def supervisor_unit(case: Case) -> Unit | None:
    """Who chases this case: the handling unit's parent, else the district center."""
    unit = case.handling_unit
    if unit is not None and unit.parent_id:
        return unit.parent
    return routing.triage_unit(routing.places_of(case.community))


def reporters(case: Case) -> list[notifications.Recipient]:
    """The reporter of the case and of every case merged into it: all stay informed."""
    rows = [case, *Case.objects.filter(merged_into=case)]
    found = []
    for c in rows:
        r = notifications.Recipient(c.reporter_name, c.reporter_email, c.reporter_phone)
        if r.reachable and r not in found:
            found.append(r)
    return found


def notify_reporters(case: Case, subject: str, body: str) -> None:
    for r in reporters(case):
        notifications.queue(r, subject, body)


def public_reply_text(case: Case, text: str, *, notify: bool = True) -> str:
    """The public reply given with a transition, trimmed; when there is one and `notify`, it
    is queued to the reporters (the transitions that send their own notification put it in
    theirs). Only this text, never the internal reason or note, reaches the public."""
    text = (text or "").strip()
    if text and notify:
        notify_reporters(
            case,
            _("A reply about your report %(number)s") % {"number": case.tracking_number},
            text,
        )
    return text


def index(case: Case) -> None:
    """Index the case's text in the caller's transaction: a committed case can be found."""
    from fengqiao.search.index import index_document

    index_document("case", case.pk, index_text(case))


def index_case(case_id: int) -> None:
    """Put the case's text into the full-text index (fengqiao.search)."""
    from fengqiao.search.index import index_document

    case = Case.objects.filter(pk=case_id).select_related("category").first()
    if case is None:
        return
    index_document("case", case.pk, index_text(case))


def index_text(case: Case) -> str:
    return " ".join(
        [case.tracking_number, case.title, case.description, case.address, case.category.name]
    )
