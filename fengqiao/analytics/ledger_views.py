"""Ledger exports (background job with progress) and period reports under /monitor/."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.analytics import ledgers, reports
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.filters import PARAMS, parse_filters, query_string, stats_access
from fengqiao.analytics.models import ExportJob
from fengqiao.core import files
from fengqiao.mediation.fonts import FontUnavailable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def ledgers_page(request: HttpRequest) -> HttpResponse:
    stats_access(request.user)
    error = ""
    try:
        filters = parse_filters(request.user, request.GET)
    except BadFilter as e:
        error, filters = f"{e.field}: {e.message}", parse_filters(request.user, {})
    jobs = ExportJob.objects.filter(user=request.user)[:10]
    return render(
        request,
        "analytics/ledgers.html",
        {
            "filters": filters,
            "error": error,
            "ledgers": list(ledgers.LEDGERS.items()),
            "headers": {k: ledgers.header_lines(k, filters) for k in ledgers.LEDGERS},
            "params": [(k, request.GET.get(k, "")) for k in PARAMS],
            "jobs": jobs,
            "qs": query_string(filters),
        },
    )


@login_required
@require_POST
def start_export(request: HttpRequest) -> HttpResponse:
    stats_access(request.user)
    ledger = request.POST.get("ledger", "")
    params = {k: request.POST.get(k, "") for k in PARAMS}
    if ledger not in ledgers.LEDGERS:
        return HttpResponse("ledger: unknown", status=400)
    try:
        job = ledgers.start_export(request.user, ledger, params)
    except BadFilter as e:
        return HttpResponse(f"{e.field}: {e.message}", status=400)
    return redirect(reverse("analytics:export_status", args=[job.pk]))


def _job(request: HttpRequest, pk: int) -> ExportJob:
    stats_access(request.user)
    job = ExportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    return job


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    template = (
        "analytics/_export_progress.html"
        if request.headers.get("HX-Request") == "true"
        else "analytics/export.html"
    )
    return render(request, template, {"job": job})


@login_required
@require_GET
def export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to the user who asked for the export only, until it expires."""
    job = _job(request, pk)
    if job.expired():
        return render(request, "analytics/export.html", {"job": job}, status=410)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    return files.serve(job.file, filename=f"{job.ledger}-{job.pk}.xlsx", content_type=XLSX)


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    stats_access(request.user)
    params = request.GET.copy()
    if not any(params.get(k) for k in ("region", "grid", "unit")):
        from fengqiao.analytics.filters import home_region

        region = home_region(request.user)
        if region is not None:
            params["region"] = str(region.pk)
    try:
        filters = parse_filters(request.user, params)
    except BadFilter as e:
        return HttpResponse(f"{e.field}: {e.message}", status=400, content_type="text/plain")
    fmt = "docx" if request.GET.get("format") == "docx" else "pdf"
    try:
        content, ctype, ext = reports.render(filters, fmt)
    except FontUnavailable as e:
        # The PDF font is missing (mediation.W001): say so, never a 500; the DOCX still works.
        return HttpResponse(
            _("The PDF cannot be made: %(reason)s Download the DOCX instead.") % {"reason": e},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="report-{filters.period.code}.{ext}"'
    return response
