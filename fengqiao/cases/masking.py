"""Sensitive fields of cases and parties: masked unless the viewer holds sensitive.view over
the case; every unmasked read of a non-empty sensitive field is logged (PIPL art. 28)."""

from typing import Any

from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.models import Case, Party
from fengqiao.cases.workflow import in_scope
from fengqiao.core.masking import log_sensitive_read, mask_id_number, mask_name, mask_phone

HIDDEN = "***"


def may_see_sensitive(case: Case, access: Access) -> bool:
    return access.has_perm(Perm.SENSITIVE_VIEW) and in_scope(case, access, Perm.SENSITIVE_VIEW)


def reporter_view(
    case: Case, access: Access, purpose: str = "", *, sensitive: bool | None = None
) -> dict[str, Any]:
    """The reporter's contact as `access` may see it (`masked` tells which)."""
    if sensitive is None:
        sensitive = may_see_sensitive(case, access)
    if sensitive:
        for f in ("reporter_phone", "reporter_email"):
            if getattr(case, f):
                log_sensitive_read(access.user, case, f, purpose)
        return {
            "reporter_name": case.reporter_name,
            "reporter_phone": case.reporter_phone,
            "reporter_email": case.reporter_email,
            "masked": False,
        }
    return {
        "reporter_name": mask_name(case.reporter_name),
        "reporter_phone": mask_phone(case.reporter_phone),
        "reporter_email": HIDDEN if case.reporter_email else "",
        "masked": True,
    }


PARTY_SENSITIVE = ("id_number", "phone", "notes")


def party_view(
    party: Party,
    access: Access,
    purpose: str = "",
    *,
    case: Case | None = None,
    sensitive: bool | None = None,
) -> dict[str, Any]:
    """A party as `access` may see it. Names of persons are masked too when sensitive data is
    hidden; organisations keep their names. Health and similar notes are withheld entirely.

    Pass `sensitive=may_see_sensitive(case, access)` when rendering several parties of one case,
    so the permission is decided once rather than once per party."""
    case = case or party.case
    if sensitive is None:
        sensitive = may_see_sensitive(case, access)
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
    if sensitive:
        for f in PARTY_SENSITIVE:
            if getattr(party, f):
                log_sensitive_read(access.user, party, f, purpose)
        return base | {
            "name": party.name,
            "id_number": party.id_number,
            "phone": party.phone,
            "address": party.address,
            "notes": party.notes,
            "masked": False,
        }
    person = party.party_type == Party.PartyType.PERSON
    return base | {
        "name": mask_name(party.name) if person else party.name,
        "id_number": mask_id_number(party.id_number),
        "phone": mask_phone(party.phone),
        "address": HIDDEN if party.address and person else party.address,
        "notes": _("(withheld: sensitive)") if party.notes else "",
        "masked": True,
    }
