"""The registry desk's spreadsheet pages: upload (dry run first, all rows or none, the row
report) and download (XLSX or CSV in the same layout) of residents, houses, households,
places and organisations (`importing.LAYOUTS`); scoped like the lists. An upload runs in the
background (`importing.jobs`): its page, seen by the uploader alone, shows the progress and
then the outcome."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.core import files
from fengqiao.registry import importing, services, xlsx
from fengqiao.registry.importing import jobs
from fengqiao.registry.models import ImportJob

MAX_UPLOAD = 20 * 1024 * 1024
LIST_PAGES = {
    "residents": "registry:residents",
    "houses": "registry:houses",
    "households": "registry:households",
    "places": "registry:places",
    "organisations": "registry:organisations",
}


def _layout(kind: str) -> importing.Layout:
    layout = importing.LAYOUTS.get(kind)
    if layout is None:
        raise Http404
    return layout


def _access(request: HttpRequest, perm: str) -> Access:
    access = access_for(request.user)
    if not access.has_perm(perm):
        raise PermissionDenied
    return access


def _hint(c: importing.Column) -> str:
    if c.type == "choice" and c.choices:
        return "、".join(k for k in c.choices if k)
    if c.type == "bool":
        return "是、否"
    if c.type == "grid":
        return gettext("The grid code")
    if c.type == "date":
        return gettext("A date such as 2026-01-31")
    if c.type == "number":
        return gettext("A number")
    if c.type == "ext":
        return gettext("Extension field")
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def import_records(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload a registry (CSV/XLSX in the district layout); dry run first, all rows or none.
    A file that can be read is imported in the background: on to its job page."""
    layout = _layout(kind)
    _access(request, Perm.REGISTRY_EDIT)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or (upload.size or 0) > MAX_UPLOAD:
            errors = [
                importing.RowError(0, "", gettext("Choose a CSV or XLSX file of at most 20 MB."))
            ]
        else:
            try:
                job = jobs.start_import(
                    request.user,
                    layout,
                    upload.name or "",
                    upload.read(),
                    dry_run=bool(request.POST.get("dry_run")),
                )
            except jobs.BadFile as e:
                errors = e.errors
            else:
                return redirect(reverse("registry:import_job", args=[job.pk]))
        report = importing.ImportReport(errors=errors)
    return render(
        request,
        "registry/import.html",
        {
            "report": report,
            "title": layout.import_title(),
            "columns": [(c.header, c.required, _hint(c)) for c in layout.columns()],
            "notes": layout.notes(),
            "slug": layout.slug,
            "list_url": reverse(LIST_PAGES[layout.slug]),
        },
        status=400 if report else 200,
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = jobs.job_of(request.user, pk)
    if job is None:  # another user's job, whatever their role: as if there were none
        raise Http404
    _access(request, Perm.REGISTRY_EDIT)
    return job


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress, then the outcome, of an upload; htmx polls it for the partial."""
    job = _job(request, pk)
    layout = _layout(job.kind)
    template = (
        "registry/_import_job.html"
        if request.headers.get("HX-Request") == "true"
        else "registry/import_job.html"
    )
    return render(
        request,
        template,
        {
            "job": job,
            "report": jobs.report_of(job) if job.status == ImportJob.Status.DONE else None,
            "title": layout.import_title(),
            "slug": layout.slug,
            "list_url": reverse(LIST_PAGES[layout.slug]),
        },
    )


@login_required
@require_GET
def import_job_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file of a failed upload, back to its owner (kept for IMPORT_UPLOAD_HOURS)."""
    job = _job(request, pk)
    if job.status != ImportJob.Status.FAILED or not job.file:
        raise Http404
    ext = jobs.extension(job.name)
    return files.serve(job.file, filename=job.name, content_type=jobs.CONTENT_TYPES[ext])


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def export_records(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The rows in scope (one grid with ?grid=) in the import layout: an XLSX written row by
    row (constant memory) and streamed from a temporary file; ?format=csv for CSV (UTF-8 with
    BOM, which Excel opens); ?template=1 for the header alone. Either file imports back as
    it is."""
    layout = _layout(kind)
    access = _access(request, Perm.REGISTRY_VIEW)
    qs: Any = services.visible(access, layout.model).filter(anonymised_at__isnull=True)
    raw = request.GET.get("grid", "")
    if raw.isdigit():
        grid = access.grids(Perm.REGISTRY_VIEW).filter(pk=int(raw)).first()
        if grid is None:
            raise Http404
        qs = qs.filter(grid=grid)
    if request.GET.get("template"):
        qs = qs.none()
    qs = layout.export_queryset(qs.order_by("grid_id", "id"))
    rows = importing.export_layout(layout, request.user, qs.iterator(chunk_size=2000))
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield "\ufeff"
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{layout.slug}.csv"'
        return response
    return xlsx.response(f"{layout.slug}.xlsx", layout.title(), rows)
