"""Staff pages of screening campaigns and special operations: the list, a campaign's live
roll-up with the grids not finished and its findings, the grid worker's phone page, an
operation's figures (totals, trend by period and unit as ECharts), reporting and validation."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError
from fengqiao.risk.models import Level

from . import operations as ops
from . import screening
from .models import CampaignGrid, ScreeningRecord

PAGE_PERMS = (
    Perm.CAMPAIGN_MANAGE,
    Perm.SCREENING_RECORD,
    Perm.STATS_VIEW,
    Perm.OPERATION_REPORT,
    Perm.OPERATION_MANAGE,
)


def _need(request: HttpRequest, *perms: str) -> None:
    access = access_for(request.user)
    if not any(access.has_perm(p) for p in perms or PAGE_PERMS):
        raise Http404


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _need(request)
    return render(
        request,
        "campaigns/index.html",
        {
            "campaigns": screening.visible_campaigns(request.user).order_by("-starts_on")[:100],
            "operations": ops.visible_operations(request.user).order_by("-starts_on")[:100],
        },
    )


def _campaign(request: HttpRequest, pk: int) -> Any:
    try:
        return screening.get_campaign(request.user, pk)
    except CaseError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, Perm.CAMPAIGN_MANAGE, Perm.SCREENING_RECORD, Perm.STATS_VIEW)
    c = _campaign(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        p = request.POST
        try:
            action = p.get("action", "")
            if action in ("activate", "close"):
                screening.move_campaign(request.user, c, action, p.get("version"))
            elif action == "to_case":
                screening.finding_to_case(request.user, p.get("record"), p.get("category", ""))
            elif action == "to_warning":
                screening.finding_to_warning(request.user, p.get("record"), p.get("level", ""))
            else:
                raise Http404
            return redirect("campaigns:campaign", pk=c.pk)
        except CaseError as e:
            errors = [x.message for x in e.errors]
    access = access_for(request.user)
    findings = ScreeningRecord.objects.none()
    for perm in (Perm.SCREENING_RECORD, Perm.CAMPAIGN_MANAGE):
        findings = findings | access.visible(
            ScreeningRecord.objects.filter(campaign=c, has_finding=True), perm
        )
    from fengqiao.cases.models import Category

    return render(
        request,
        "campaigns/campaign.html",
        {
            "c": c,
            "roll": screening.rollup(request.user, c),
            "unfinished": screening.unfinished(request.user, c),
            "findings": findings.distinct().select_related("grid", "case", "warning")[:200],
            "may_manage": access.holds(c, Perm.CAMPAIGN_MANAGE),
            "errors": errors,
            "levels": Level.choices,
            # The district's own classification, nested as on the intake form.
            "categories": [
                (k.code, "　" * max(len(k.ancestor_ids) - 1, 0) + k.name)
                for k in Category.objects.filter(active=True, family=settings.CATEGORY_FAMILY)
                .exclude(kind="")
                .order_by("path", "sort")
            ],
            "may_screen": access.has_perm(Perm.SCREENING_RECORD) and c.state == "active",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid worker's phone page: one household or place per submit."""
    _need(request, Perm.SCREENING_RECORD)
    c = _campaign(request, pk)
    access = access_for(request.user)
    grids = [
        a.grid
        for a in CampaignGrid.objects.filter(campaign=c).select_related("grid")
        if access.holds(a.grid, Perm.SCREENING_RECORD)
    ]
    errors: list[str] = []
    saved = None
    if request.method == "POST":
        p = request.POST
        answers: dict[str, Any] = {}
        for f in c.form_fields:
            raw = p.get(f"f_{f['name']}", "").strip()
            if f["type"] == "bool":
                answers[f["name"]] = {"yes": True, "no": False}.get(raw)
            elif f["type"] == "int":
                answers[f["name"]] = int(raw) if raw.isdigit() and len(raw) < 8 else (raw or None)
            else:
                answers[f["name"]] = raw or None
        try:
            saved = screening.record_screening(
                request.user,
                c,
                {
                    "grid": p.get("grid", ""),
                    "address": p.get("address", ""),
                    "household": p.get("household", ""),
                    "answers": answers,
                    "finding": p.get("finding", ""),
                },
            )
        except CaseError as e:
            errors = [x.message for x in e.errors]
    mine = ScreeningRecord.objects.filter(campaign=c, screened_by_id=request.user.pk).count()
    waiting = screening.not_screened(request.user, c).filter(grid__in=grids)[:300]
    return render(
        request,
        "campaigns/screen.html",
        {
            "c": c,
            "grids": grids,
            "errors": errors,
            "saved": saved,
            "mine": mine,
            "waiting": waiting,
        },
    )


def _operation(request: HttpRequest, pk: int) -> Any:
    try:
        return ops.get_operation(request.user, pk)
    except CaseError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def operation(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, Perm.OPERATION_MANAGE, Perm.OPERATION_REPORT, Perm.STATS_VIEW)
    op = _operation(request, pk)
    access = access_for(request.user)
    errors: list[str] = []
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "")
        try:
            if action == "submit":
                values = {i.code: _int(p.get(f"v_{i.code}", "")) for i in op.indicators.all()}
                unit = _int(p.get("unit", ""))
                ops.submit_report(request.user, op, unit, p.get("period", ""), values)
            elif action == "correct":
                values = {i.code: _int(p.get(f"v_{i.code}", "")) for i in op.indicators.all()}
                ops.correct_report(
                    request.user, p.get("report"), values, p.get("note", ""), p.get("version")
                )
            elif action in ("validate", "reject"):
                ops.decide_report(
                    request.user, p.get("report"), action, p.get("note", ""), p.get("version")
                )
            else:
                raise Http404
            return redirect("campaigns:operation", pk=op.pk)
        except CaseError as e:
            errors = [x.message for x in e.errors]
    fig = ops.figures(request.user, op)
    my_units = [u for u in op.units.all() if access.holds(u, Perm.OPERATION_REPORT)]
    return render(
        request,
        "campaigns/operation.html",
        {
            "op": op,
            "fig": fig,
            "errors": errors,
            "indicators": list(op.indicators.all()),
            "reports": ops.visible_reports(request.user, op).select_related("unit")[:200],
            "my_units": my_units,
            "today": timezone.localdate().isoformat(),
            "may_validate": access.scope(Perm.OPERATION_MANAGE).covers_path(op.region.path),
            "chart": {
                "periods": fig["periods"],
                "indicators": fig["indicators"],
                "trend": fig["trend"],
                "by_unit": fig["by_unit"],
            },
        },
    )


def _int(raw: Any) -> Any:
    """A whole number typed in a form, else what was typed (the action refuses it by name)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw


@login_required
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's ledger in the uniform layout, as XLSX (scoped like the roll-up)."""
    from fengqiao.campaigns import ledger as campaign_ledger
    from fengqiao.registry import xlsx

    _need(request, Perm.CAMPAIGN_MANAGE, Perm.SCREENING_RECORD, Perm.STATS_VIEW)
    c = _campaign(request, pk)
    rows = campaign_ledger.rows(request.user, c)
    return xlsx.response(f"campaign-{c.pk}.xlsx", c.name, rows, bold_rows=4)


@login_required
def not_screened(request: HttpRequest, pk: int) -> HttpResponse:
    """The registry households of the campaign's grids no record points to yet (?grid=code)."""
    from django.core.paginator import Paginator

    _need(request, Perm.CAMPAIGN_MANAGE, Perm.SCREENING_RECORD, Perm.STATS_VIEW)
    c = _campaign(request, pk)
    qs = screening.not_screened(request.user, c)
    code = request.GET.get("grid", "")[:20]
    if code:
        qs = qs.filter(grid__code=code)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "campaigns/not_screened.html", {"c": c, "page": page, "grid_code": code})
