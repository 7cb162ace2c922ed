"""Changes to role assignments: one action function, also used by the admin's inline.

Separation of duties: the system administrator, the security officer and the auditor are
distinct roles and no account holds two of them (active assignments). The check runs with the
account row locked, so two administrators giving the same person two such roles at once cannot
both succeed.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import SEPARATED_ROLES, Perm, Role
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry


def separation_error(roles: Iterable[str]) -> ValidationError | None:
    """The error to show when `roles` (an account's active roles) hold two separated ones."""
    held = sorted({r for r in roles if r in SEPARATED_ROLES})
    if len(held) < 2:
        return None
    names = "、".join(str(Role(r).label) for r in held)
    return ValidationError(
        {
            "role": _(
                "An account may hold only one of system administrator, security officer and "
                "auditor (separation of duties); this one would hold %(roles)s."
            )
            % {"roles": names}
        }
    )


def check_separation(user: User, role: str, *, exclude: Iterable[int] = ()) -> None:
    """Refuse (ValidationError on `role`) giving `user` `role` next to their other active roles,
    not counting the assignments `exclude` (the ones being replaced)."""
    others = (
        RoleAssignment.objects.filter(user=user, active=True)
        .exclude(pk__in=list(exclude))
        .values_list("role", flat=True)
    )
    error = separation_error([*others, role])
    if error is not None:
        raise error


def assign_role(
    actor: Any,
    user: User,
    role: str,
    *,
    region: Any = None,
    unit: Any = None,
    grids: Iterable[Any] = (),
) -> RoleAssignment:
    """Give `user` `role` over a region subtree, a unit or a set of grids (exactly one).

    Needs the account-management capability over the user and the scope; refuses a second
    separated role (ValidationError naming `role`); audited."""
    access = access_for(actor)
    if not access.has_perm(Perm.STAFF_EDIT):
        raise PermissionDenied(_("You may not manage accounts."))
    grids = list(grids)
    if region is not None:
        scope_type = ScopeType.REGION
    elif unit is not None:
        scope_type = ScopeType.UNIT
    else:
        scope_type = ScopeType.GRIDS
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not access.users(Perm.STAFF_EDIT).filter(pk=locked.pk).exists():
            raise PermissionDenied(_("This account lies outside your scope."))
        if region is not None and not access.regions(Perm.STAFF_EDIT).filter(pk=region.pk).exists():
            raise PermissionDenied(_("This region lies outside your scope."))
        if unit is not None and not access.units(Perm.STAFF_EDIT).filter(pk=unit.pk).exists():
            raise PermissionDenied(_("This unit lies outside your scope."))
        if grids and access.grids(Perm.STAFF_EDIT).filter(
            pk__in=[g.pk for g in grids]
        ).count() != len({g.pk for g in grids}):
            raise PermissionDenied(_("A grid lies outside your scope."))
        check_separation(locked, role)
        assignment = RoleAssignment(
            user=locked, role=role, scope_type=scope_type, region=region, unit=unit
        )
        assignment.full_clean(exclude=["grids"])
        assignment.save()
        if grids:
            assignment.grids.set(grids)
        changes = audit.diff({}, audit.snapshot(assignment))
        if grids:
            changes["grids"] = [[], sorted(g.pk for g in grids)]
        audit.record(actor, AuditEntry.Action.CREATE, assignment, changes)
    return assignment


def end_role(actor: Any, assignment: RoleAssignment) -> RoleAssignment:
    """Switch an assignment off (kept for the record; audited)."""
    access = access_for(actor)
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if not access.role_assignments(Perm.STAFF_EDIT).filter(pk=locked.pk).exists():
            raise PermissionDenied(_("This role assignment lies outside your scope."))
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            audit.record(actor, AuditEntry.Action.UPDATE, locked, {"active": [True, False]})
    return locked
