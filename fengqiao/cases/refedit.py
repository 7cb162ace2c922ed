"""The administrator's changes to the case reference data (categories, routing rules) made from
the platform's own pages: one action per change, each checking the capability, locking the row,
validating, saving and writing the audit trail in one transaction.

Saving goes through the model's `save`, so the reference-data snapshots of every process
(fengqiao.cases.reference, watched by fengqiao.core.refdata) are dropped with the change.
Nothing is deleted: a category or rule no longer wanted is deactivated.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm, Role
from fengqiao.cases.models import Category, RoutingRule
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry

# The capability the stock admin asks for the same rows (PlatformAdminMixin.admin_perm).
PERM = Perm.REFERENCE_EDIT
CATEGORY_FIELDS = ("code", "name", "parent", "family", "kind", "public", "civil_dispute",
                   "other_route", "active", "sort")  # fmt: skip
RULE_FIELDS = ("order", "name", "active", "category", "region", "channel", "min_risk",
               "target_level", "target_unit")  # fmt: skip


def may_edit(actor: Any) -> bool:
    """Administrators holding the reference-data capability; nobody else."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    access = access_for(actor)
    return access.has_role(Role.ADMIN) and access.has_perm(PERM)


def _require(actor: Any) -> Access:
    if not may_edit(actor):
        raise PermissionDenied(_("You may not edit the reference data of cases."))
    return access_for(actor)


def _apply(obj: Any, fields: tuple[str, ...], changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(obj, name, value)


def _store(actor: Any, obj: Any, before: dict[str, Any]) -> None:
    obj.save()
    action = AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE
    audit.record(actor, action, obj, audit.diff(before, audit.snapshot(obj)))


# Categories ----------------------------------------------------------------------------------


def category_errors(category: Category) -> dict[str, list[str]]:
    """What the model's own validation cannot see: the tree and the mediation route."""
    errors: dict[str, list[str]] = {}
    parent = category.parent if category.parent_id else None
    if parent is not None:
        if category.pk is not None and (
            parent.pk == category.pk or parent.path.startswith(category.path or "\0")
        ):
            errors["parent"] = [
                _("A category cannot be placed under itself or one of its subcategories.")
            ]
        elif parent.family != category.family:
            errors["family"] = [_("A subcategory belongs to the same family as its parent.")]
        elif category.active and not parent.active:
            errors["active"] = [_("An inactive category cannot have an active subcategory.")]
    if category.civil_dispute and category.other_route:
        errors["other_route"] = [
            _("A civil dispute goes to people's mediation: leave the other route empty.")
        ]
    return errors


def _check_category(category: Category) -> None:
    errors: dict[str, list[str]] = {}
    try:
        category.full_clean(exclude=["path"])
    except ValidationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    for field, messages in category_errors(category).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_category(actor: Any, **fields: Any) -> Category:
    _require(actor)
    category = Category()
    _apply(category, CATEGORY_FIELDS, fields)
    with transaction.atomic():
        _check_category(category)
        _store(actor, category, {})
    return category


def update_category(actor: Any, category: Category, **changes: Any) -> Category:
    _require(actor)
    with transaction.atomic():
        stored = Category.objects.select_for_update().get(pk=category.pk)
        before = audit.snapshot(stored)
        _apply(stored, CATEGORY_FIELDS, changes)
        _check_category(stored)
        if not stored.active and before["active"]:
            _deactivate_below(actor, stored)
        _store(actor, stored, before)
    return stored


def _deactivate_below(actor: Any, category: Category) -> None:
    """Deactivating a category deactivates its subcategories (each audited)."""
    below = (
        Category.objects.select_for_update()
        .filter(path__startswith=category.path, active=True)
        .exclude(pk=category.pk)
        .order_by("path")
    )
    for child in below:
        before = audit.snapshot(child)
        child.active = False
        _store(actor, child, before)


def deactivate_category(actor: Any, category: Category) -> Category:
    """Deactivate the category and everything below it; cases keep their category."""
    return update_category(actor, category, active=False)


# Routing rules -------------------------------------------------------------------------------


def rule_errors(access: Access, rule: RoutingRule) -> dict[str, list[str]]:
    """The region and the handling unit must lie within the administrator's scope."""
    errors: dict[str, list[str]] = {}
    if rule.region_id and not access.regions(PERM).filter(pk=rule.region_id).exists():
        errors["region"] = [_("This region is outside your area.")]
    if rule.target_unit_id and not access.units(PERM).filter(pk=rule.target_unit_id).exists():
        errors["target_unit"] = [_("This unit is outside your area.")]
    return errors


def _check_rule(access: Access, rule: RoutingRule) -> None:
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean()
    except ValidationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    for field, messages in rule_errors(access, rule).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_rule(actor: Any, **fields: Any) -> RoutingRule:
    access = _require(actor)
    rule = RoutingRule()
    _apply(rule, RULE_FIELDS, fields)
    with transaction.atomic():
        _check_rule(access, rule)
        _store(actor, rule, {})
    return rule


def update_rule(actor: Any, rule: RoutingRule, **changes: Any) -> RoutingRule:
    access = _require(actor)
    with transaction.atomic():
        stored = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = audit.snapshot(stored)
        _apply(stored, RULE_FIELDS, changes)
        _check_rule(access, stored)
        _store(actor, stored, before)
    return stored


def deactivate_rule(actor: Any, rule: RoutingRule) -> RoutingRule:
    """Deactivate the rule: new cases no longer try it."""
    return update_rule(actor, rule, active=False)
