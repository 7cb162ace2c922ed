"""Staff pages of risk and early warning: warnings and assessments of the user's area, their
actions, the warning rules and a rule's dry run over past days. Views are thin: the scoped
queries and the actions live in `actions`, `rules`, `rule_edit`."""

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError

from . import actions, rule_edit, rules, workflow
from .models import WARNING_KINDS, Level, RiskFactor, RuleKind, TargetKind, WarningState


def _need(request: HttpRequest, perm: str) -> None:
    if not access_for(request.user).has_perm(perm):
        raise Http404


def _errors(e: CaseError) -> list[str]:
    return [x.message for x in e.errors]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.RISK_VIEW)
    state = request.GET.get("state", "open")
    warnings = actions.visible_warnings(request.user).select_related("target_unit", "rule")
    if state == "open":
        warnings = warnings.exclude(state=WarningState.CLOSED)
    elif state in WarningState.values:
        warnings = warnings.filter(state=state)
    level = request.GET.get("level", "")
    if level in Level.values:
        warnings = warnings.filter(level=level)
    assessments = actions.visible_assessments(request.user).select_related("responsible_unit")
    return render(
        request,
        "risk/home.html",
        {
            "warnings": warnings.order_by("-raised_at")[:200],
            "assessments": assessments.filter(state="open").order_by("review_date")[:200],
            "state": state,
            "states": WarningState.choices,
            "may_assess": access_for(request.user).has_perm(Perm.RISK_HANDLE),
            "may_rules": access_for(request.user).has_perm(Perm.RISK_RULES),
        },
    )


def _labelled(entries, transitions: dict) -> list:
    """History entries, each with the label of its step (`label`)."""
    rows = list(entries)
    for e in rows:
        t = transitions.get(e.action)
        e.label = t.label if t else e.action
    return rows


def _source_label(kind: str) -> str:
    """What raised a warning that no rule raised: a rule kind, a risk assessment, a person."""
    return str(WARNING_KINDS.get(kind, kind))


@login_required
@require_http_methods(["GET", "POST"])
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, Perm.RISK_VIEW)
    try:
        w = actions.get_warning(request.user, pk)
    except CaseError:
        raise Http404 from None
    errors: list[str] = []
    if request.method == "POST":
        try:
            actions.move_warning(
                request.user,
                w,
                request.POST.get("action", ""),
                request.POST.get("note", ""),
                request.POST.get("version"),
            )
            return redirect("risk:warning", pk=w.pk)
        except CaseError as e:
            errors = _errors(e)
    return render(
        request,
        "risk/warning.html",
        {
            "w": w,
            "events": _labelled(w.events.select_related("actor"), workflow.WARNING_TRANSITIONS),
            "source": w.rule.name if w.rule else _source_label(w.kind),
            "errors": errors,
            "allowed": workflow.allowed(w, access_for(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.RISK_HANDLE)
    errors: list[str] = []
    data: dict[str, Any] = _from_visit(request)
    if request.method == "POST":
        data = _assessment_data(request)
        try:
            a = actions.create_assessment(request.user, data)
            return redirect("risk:assessment", pk=a.pk)
        except CaseError as e:
            errors = _errors(e)
    units = access_for(request.user).units(Perm.ORG_VIEW).filter(active=True).order_by("name")
    return render(
        request,
        "risk/assessment_form.html",
        {
            "errors": errors,
            "data": data,
            "kinds": TargetKind.choices,
            "levels": Level.choices,
            "factors": RiskFactor.objects.filter(active=True),
            "units": units,
            "case_id": request.GET.get("case", ""),
            "current": data,
        },
    )


def _from_visit(request: HttpRequest) -> dict[str, Any]:
    """Prefill from a key-person visit that found a risk (registry's follow-up offer): the visit
    is looked up inside the user's scope; the ID number never travels in the URL."""
    from fengqiao.registry.models import Visit

    pk = request.GET.get("visit", "")
    if not pk.isascii() or not pk.isdigit():
        return {}
    visit = (
        access_for(request.user)
        .visible(Visit.objects.all(), Perm.REGISTRY_VIEW)
        .select_related("key_person__resident", "key_person__kind")
        .filter(pk=int(pk))
        .first()
    )
    if visit is None:
        return {}
    person = visit.key_person
    return {
        "target_kind": TargetKind.PERSON,
        "person_name": person.resident.name,
        "title": _("Risk found on the visit of %(date)s: %(kind)s")
        % {"date": visit.visited_on.isoformat(), "kind": person.kind.name},
    }


def _assessment_data(request: HttpRequest) -> dict[str, Any]:
    p = request.POST
    data: dict[str, Any] = {
        k: p.get(k, "")
        for k in (
            "target_kind",
            "title",
            "person_name",
            "person_id_number",
            "place_name",
            "project_name",
            "region",
            "level",
            "measures",
            "review_date",
            "note",
        )
    }
    for k in ("case", "party", "responsible_unit"):
        if p.get(k, "").strip():
            data[k] = p.get(k, "").strip()
    data["factors"] = []
    for code in p.getlist("factor"):
        raw = p.get(f"score_{code}", "1")
        # A score that is not a small number is passed on as 0: the action refuses it by name.
        data["factors"].append(
            {"code": code, "score": int(raw) if raw.isdigit() and len(raw) < 3 else 0}
        )
    return data


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, Perm.RISK_VIEW)
    try:
        a = actions.get_assessment(request.user, pk)
    except CaseError:
        raise Http404 from None
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                actions.close_assessment(
                    request.user, a, request.POST.get("note", ""), request.POST.get("version")
                )
            else:
                actions.reassess(
                    request.user, a, _assessment_data(request), request.POST.get("version")
                )
            return redirect("risk:assessment", pk=a.pk)
        except CaseError as e:
            errors = _errors(e)
    access = access_for(request.user)
    return render(
        request,
        "risk/assessment.html",
        {
            "a": a,
            "entries": _labelled(
                a.entries.select_related("actor"), workflow.ASSESSMENT_TRANSITIONS
            ),
            "errors": errors,
            "allowed": [t.name for t in workflow.allowed(a, access)],
            "levels": Level.choices,
            "factors": RiskFactor.objects.filter(active=True),
            "warnings": a.warnings.all(),
            "current": {
                "level": a.level,
                "measures": a.measures,
                "review_date": a.review_date.isoformat(),
            },
        },
    )


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.RISK_RULES)
    qs = access_for(request.user).visible(
        rules.WarningRule.objects.select_related("region"), Perm.RISK_RULES
    )
    return render(request, "risk/rules.html", {"rules": qs.order_by("name")})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, Perm.RISK_RULES)
    rule = None
    if pk is not None:
        try:
            rule = rule_edit.rule_from(request.user, pk)
        except CaseError:
            raise Http404 from None
    errors: list[str] = []
    p = request.POST
    if request.method == "POST":
        try:
            params = json.loads(p.get("params") or "{}")
        except ValueError:
            params = None
        data = {
            "name": p.get("name", ""),
            "kind": p.get("kind", ""),
            "level": p.get("level", ""),
            "region": p.get("region", ""),
            "enabled": p.get("enabled") == "on",
            "params": params,
        }
        if params is None:
            errors = [str(_("The parameters are not valid JSON."))]
        else:
            try:
                saved = rule_edit.save_rule(request.user, data, rule, p.get("version"))
                return redirect("risk:dry_run", pk=saved.pk)
            except CaseError as e:
                errors = _errors(e)
    return render(
        request,
        "risk/rule_form.html",
        {
            "rule": rule,
            "errors": errors,
            "kinds": RuleKind.choices,
            "levels": Level.choices,
            "params_json": json.dumps(rule.params if rule else {}, ensure_ascii=False),
            "regions": access_for(request.user)
            .regions(Perm.RISK_RULES)
            .filter(level__lte=3)
            .order_by("path"),
        },
    )


@login_required
def dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """What the rule would have raised over the last N days (nothing is raised)."""
    _need(request, Perm.RISK_RULES)
    try:
        rule = rule_edit.rule_from(request.user, pk)
    except CaseError:
        raise Http404 from None
    raw = request.GET.get("days", "30")
    days = int(raw) if raw.isdigit() and 0 < int(raw) <= rules.MAX_DRY_RUN_DAYS else 30
    return render(
        request,
        "risk/dry_run.html",
        {
            "rule": rule,
            "days": days,
            "hits": rules.dry_run(rule, days),
            "max_days": rules.MAX_DRY_RUN_DAYS,
        },
    )
