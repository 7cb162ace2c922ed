"""Creating and changing warning rules (administrators): validated params, audited, versioned."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import ConflictError, FieldError, InvalidInput, NotPermitted
from fengqiao.cases.models import RiskLevel
from fengqiao.core import audit

from .errors import NotFound
from .models import Level, RuleKind, WarningRule


def _int_param(p: dict, name: str, low: int, high: int, errors: list[FieldError]) -> None:
    v = p.get(name)
    if v is None:
        return
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        errors.append(
            FieldError(
                f"params.{name}",
                "range",
                _("%(name)s: a whole number from %(low)d to %(high)d.")
                % {"name": name, "low": low, "high": high},
            )
        )


PARAMS: dict[str, dict[str, tuple[int, int]]] = {
    RuleKind.REPEAT_REPORTER: {"days": (1, 365), "count": (2, 100)},
    RuleKind.REPEAT_ADDRESS: {"days": (1, 365), "count": (2, 100)},
    RuleKind.GROUP_DISPUTE: {"people": (2, 100_000)},
    RuleKind.KEYWORDS: {},
    RuleKind.SURGE: {"weeks": (2, 52), "min_count": (1, 100_000)},
    RuleKind.DEADLINE: {"hours": (1, 720)},
    RuleKind.KEY_PERSON: {},
}


def clean_params(kind: str, params: Any) -> dict:
    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("params", "invalid", _("Give the rule's parameters as an object."))
    errors: list[FieldError] = []
    extra: dict[str, set[str]] = {
        RuleKind.KEYWORDS: {"keywords"},
        RuleKind.SURGE: {"k", "dimension"},
        RuleKind.DEADLINE: {"risk_levels"},
    }
    allowed = set(PARAMS[kind]) | extra.get(kind, set())
    for key in params:
        if key not in allowed:
            errors.append(
                FieldError(
                    "params", "unknown", _("Unknown parameter %(name)s.") % {"name": str(key)[:40]}
                )
            )
    for name, (low, high) in PARAMS[kind].items():
        _int_param(params, name, low, high, errors)
    if kind == RuleKind.KEYWORDS:
        kw = params.get("keywords")
        if (
            not isinstance(kw, list)
            or not kw
            or len(kw) > 500
            or not all(isinstance(k, str) and 0 < len(k.strip()) <= 20 for k in kw)
        ):
            errors.append(
                FieldError(
                    "params.keywords",
                    "invalid",
                    _("Give a list of keywords (1 to 20 characters each)."),
                )
            )
    if kind == RuleKind.SURGE:
        k = params.get("k", 3)
        if isinstance(k, bool) or not isinstance(k, int | float) or not 0 < k <= 10:
            errors.append(FieldError("params.k", "range", _("k: a number above 0, at most 10.")))
        if params.get("dimension", "grid") not in ("grid", "category"):
            errors.append(FieldError("params.dimension", "invalid_choice", _("grid or category.")))
    if kind == RuleKind.DEADLINE:
        levels = params.get("risk_levels", ["high", "critical"])
        if (
            not isinstance(levels, list)
            or not levels
            or any(x not in RiskLevel.values for x in levels)
        ):
            errors.append(
                FieldError("params.risk_levels", "invalid", _("Choose case risk levels."))
            )
    if errors:
        raise InvalidInput.many(errors)
    if kind == RuleKind.KEYWORDS:
        params = {**params, "keywords": [k.strip() for k in params["keywords"]]}
    return dict(params)


def save_rule(
    actor: Any, data: dict, rule: Any = None, expected_version: Any = None
) -> WarningRule:
    """Create (rule None) or change a rule. A new rule starts disabled unless `enabled`."""
    access = access_for(actor)
    if not access.has_perm(Perm.RISK_RULES):
        raise NotPermitted("", "permission", _("You may not edit warning rules."))
    errors: list[FieldError] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append(FieldError("name", "required", _("Give a name of at most 100 characters.")))
    kind = data.get("kind")
    if kind not in RuleKind.values:
        errors.append(FieldError("kind", "invalid_choice", _("Choose a kind of rule.")))
    if data.get("level") not in Level.values:
        errors.append(
            FieldError("level", "invalid_choice", _("Choose low, medium, high or major."))
        )
    code = data.get("region")
    region = (
        access.regions(Perm.RISK_RULES).filter(code=code).first() if isinstance(code, str) else None
    )
    if region is None:
        errors.append(
            FieldError("region", "not_found_in_scope", _("Give a region code in your area."))
        )
    unit = None
    if data.get("target_unit") is not None:
        uid = data.get("target_unit")
        if isinstance(uid, int) and not isinstance(uid, bool):
            unit = access.units(Perm.ORG_VIEW).filter(pk=uid).first()
        if unit is None:
            errors.append(
                FieldError("target_unit", "not_found_in_scope", _("Choose a unit in your area."))
            )
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        errors.append(FieldError("enabled", "invalid", _("true or false.")))
    params: dict = {}
    if kind in RuleKind.values:
        try:
            params = clean_params(kind, data.get("params"))
        except InvalidInput as e:
            errors += e.errors
    if errors:
        raise InvalidInput.many(errors)
    assert isinstance(name, str) and isinstance(kind, str) and region is not None
    with transaction.atomic():
        if rule is None:
            r = WarningRule()
            before: dict = {}
        else:
            r = access.select_for_update(
                WarningRule.objects.all(), rule, Perm.RISK_RULES, missing=NotFound
            )
            if expected_version is not None and str(expected_version) != str(r.version):
                raise ConflictError(
                    "version", "stale", _("This was changed by someone else; reload.")
                )
            before = audit.snapshot(r)
            r.version += 1
        r.name, r.kind, r.level, r.region, r.target_unit = (
            name.strip(),
            kind,
            data["level"],
            region,
            unit,
        )
        r.params, r.enabled = params, enabled
        r.save()
        audit.record(
            actor, "update" if before else "create", r, audit.diff(before, audit.snapshot(r))
        )
    return r


def rule_from(actor: Any, pk: Any) -> WarningRule:
    qs = WarningRule.objects.select_related("region")
    return access_for(actor).get(qs, pk, Perm.RISK_RULES, missing=NotFound)
