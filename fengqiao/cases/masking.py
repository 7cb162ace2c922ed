"""Sensitive fields of cases and parties: masked unless the viewer holds sensitive.view over
the case, or holds a task on it (then exactly the fields the task needs: who to reach and
where); every unmasked read of a non-empty sensitive field is logged (PIPL art. 28)."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.models import Case, Party, Task
from fengqiao.core.masking import log_sensitive_read, mask_id_number, mask_name, mask_phone

HIDDEN = "***"

REPORTER_FIELDS = ("reporter_name", "reporter_phone", "reporter_email")
PARTY_FIELDS = ("name", "id_number", "phone", "address", "notes")
# Logged when shown with sensitive.view (names and addresses are shown to every such reader).
REPORTER_SENSITIVE = ("reporter_phone", "reporter_email")
PARTY_SENSITIVE = ("id_number", "phone", "notes")
# Task states in which a unit is working on the case (it needs to reach the people).
TASK_WORKING = (Task.State.DISPATCHED, Task.State.ACKNOWLEDGED, Task.State.IN_PROGRESS)


@dataclass(frozen=True)
class Disclosure:
    """Which sensitive fields one reader is shown unmasked, and which of those reads are logged.

    `purpose` is added to the log entries' purpose (the task that justified the read)."""

    reporter: frozenset[str] = frozenset()
    party: frozenset[str] = frozenset()
    logged_reporter: frozenset[str] = frozenset()
    logged_party: frozenset[str] = frozenset()
    purpose: str = ""

    @property
    def full(self) -> bool:
        return self.reporter == set(REPORTER_FIELDS) and self.party == set(PARTY_FIELDS)


FULL = Disclosure(
    frozenset(REPORTER_FIELDS),
    frozenset(PARTY_FIELDS),
    frozenset(REPORTER_SENSITIVE),
    frozenset(PARTY_SENSITIVE),
)
NONE = Disclosure()
# What a unit's task on the case needs: to reach the reporter and the parties (name, phone,
# address). Never identity numbers or health notes. Every one of these reads is logged.
_TASK_REPORTER = frozenset({"reporter_name", "reporter_phone"})
_TASK_PARTY = frozenset({"name", "phone", "address"})


def for_task(task: Task) -> Disclosure:
    return Disclosure(
        _TASK_REPORTER, _TASK_PARTY, _TASK_REPORTER, _TASK_PARTY, purpose=f"task {task.pk}"
    )


def may_see_sensitive(case: Case, access: Access) -> bool:
    return access.has_perm(Perm.SENSITIVE_VIEW) and access.holds(case, Perm.SENSITIVE_VIEW)


def working_task(case: Case, access: Access) -> Task | None:
    """The working task on `case` of a unit `access` acts for by unit scope, or None."""
    if not access.has_perm(Perm.CASE_HANDLE):
        return None
    units = access.scope(Perm.CASE_HANDLE).unit_ids
    if not units:
        return None
    return (
        Task.objects.filter(
            case_id=case.pk, unit_id__in=sorted(units), active=True, state__in=TASK_WORKING
        )
        .order_by("id")
        .first()
    )


def disclosure(case: Case, access: Access) -> Disclosure:
    """What `access` is shown of `case`'s reporter and parties (decide once per case)."""
    if may_see_sensitive(case, access):
        return FULL
    task = working_task(case, access)
    return NONE if task is None else for_task(task)


def _resolve(case: Case, access: Access, sensitive: "bool | Disclosure | None") -> Disclosure:
    if sensitive is None:
        return disclosure(case, access)
    if isinstance(sensitive, Disclosure):
        return sensitive
    return FULL if sensitive else NONE


def _purpose(purpose: str, shown: Disclosure) -> str:
    return f"{purpose} ({shown.purpose})" if shown.purpose else purpose


def reporter_view(
    case: Case,
    access: Access,
    purpose: str = "",
    *,
    sensitive: "bool | Disclosure | None" = None,
) -> dict[str, Any]:
    """The reporter's contact as `access` may see it (`masked` tells whether anything is)."""
    shown = _resolve(case, access, sensitive)
    for f in sorted(shown.logged_reporter):
        if getattr(case, f):
            log_sensitive_read(access.user, case, f, _purpose(purpose, shown))
    masked = {
        "reporter_name": mask_name(case.reporter_name),
        "reporter_phone": mask_phone(case.reporter_phone),
        "reporter_email": HIDDEN if case.reporter_email else "",
    }
    out = {f: getattr(case, f) if f in shown.reporter else masked[f] for f in REPORTER_FIELDS}
    return out | {"masked": not shown.full}


def party_view(
    party: Party,
    access: Access,
    purpose: str = "",
    *,
    case: Case | None = None,
    sensitive: "bool | Disclosure | None" = None,
) -> dict[str, Any]:
    """A party as `access` may see it. Names of persons are masked too when sensitive data is
    hidden; organisations keep their names. Health and similar notes are withheld entirely.

    Pass `sensitive=disclosure(case, access)` when rendering several parties of one case, so
    the permission is decided once rather than once per party."""
    case = case or party.case
    shown = _resolve(case, access, sensitive)
    base = {
        "id": party.pk,
        "party_type": party.party_type,
        "role": party.role,
        "sex": party.sex,
        "ethnicity": party.ethnicity,
        "education": party.education,
        "is_vulnerable": party.is_vulnerable,
        "id_type": party.id_type,
    }
    for f in sorted(shown.logged_party):
        if getattr(party, f):
            log_sensitive_read(access.user, party, f, _purpose(purpose, shown))
    person = party.party_type == Party.PartyType.PERSON
    masked = {
        "name": mask_name(party.name) if person else party.name,
        "id_number": mask_id_number(party.id_number),
        "phone": mask_phone(party.phone),
        "address": HIDDEN if party.address and person else party.address,
        "notes": _("(withheld: sensitive)") if party.notes else "",
    }
    out = {f: getattr(party, f) if f in shown.party else masked[f] for f in PARTY_FIELDS}
    return base | out | {"masked": not shown.full}
