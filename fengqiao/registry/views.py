"""Registry pages under /registry/: grid registries, residents, key persons, visits (phone)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Category
from fengqiao.core.masking import batched_sensitive_reads
from fengqiao.registry import importing, services, visits
from fengqiao.registry.models import (
    ExtraRecord,
    House,
    Household,
    KeyPerson,
    KeyPersonKind,
    Organisation,
    Place,
    Resident,
    VisitMethod,
)

PAGE = 50


def _access(request: HttpRequest, perm: str = Perm.REGISTRY_VIEW) -> Access:
    access = access_for(request.user)
    if not access.has_perm(perm):
        raise PermissionDenied
    return access


def _grid_filter(request: HttpRequest, access: Access, qs: Any) -> tuple[Any, Any, Any]:
    grids = access.grids(Perm.REGISTRY_VIEW).select_related("community").order_by("code")
    grid = None
    raw = request.GET.get("grid", "")
    if raw.isdigit():
        grid = grids.filter(pk=int(raw)).first()
        if grid is None:
            raise Http404
        qs = qs.filter(grid=grid)
    return qs, grids[:500], grid


@login_required
def residents(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    qs = services.visible(access, Resident).filter(anonymised_at__isnull=True)
    qs, grids, grid = _grid_filter(request, access, qs)
    q = request.GET.get("q", "").strip()[:60]
    qs = services.search_residents(qs, q)
    with services.planned_per_search():
        page = Paginator(
            qs.select_related("grid").order_by("grid_id", "name", "id"), PAGE
        ).get_page(request.GET.get("page"))
        len(page)  # the rows are read here, under the search's plans
    return render(
        request,
        "registry/residents.html",
        {
            "page": page,
            "grids": grids,
            "grid": grid,
            "q": q,
            "slug": "residents",
            "may_edit": access.has_perm(Perm.REGISTRY_EDIT),
            "spreadsheet": True,
        },
    )


@login_required
def resident(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    try:
        r = services.get(access, Resident, pk)
    except services.RecordNotFound:
        raise Http404 from None
    full = services.may_see_sensitive(access, r)
    reach = full or services.responsible_for(access, r)
    with batched_sensitive_reads():
        shown = {
            "id_number": services.disclosed(access, r, "id_number", allowed=full),
            "phone": services.disclosed(access, r, "phone", allowed=reach, purpose="visit"),
            "health": services.disclosed(access, r, "health", allowed=full),
        }
        # Linked cases are matched by the (decrypted) ID number; only visible ones are listed.
        cases, mediations = services.linked_cases(access, r)
    members = []
    if r.household_id:
        members = list(
            services.visible(access, Resident).filter(household_id=r.household_id).order_by("id")
        )
    return render(
        request,
        "registry/resident.html",
        {
            "r": r,
            "shown": shown,
            "members": members,
            "key_records": r.key_records.select_related("kind", "responsible__user"),
            "cases": cases,
            "mediations": mediations,
            "may_edit": access.holds(r, Perm.REGISTRY_EDIT),
        },
    )


def _simple_list(request: HttpRequest, model: Any, slug: str, heading: str) -> HttpResponse:
    access = _access(request)
    qs = services.visible(access, model).filter(anonymised_at__isnull=True)
    qs, grids, grid = _grid_filter(request, access, qs)
    related = ["grid"]
    if model in (Place, ExtraRecord):
        related.append("kind")
        kind = request.GET.get("kind", "")
        if model is ExtraRecord and kind.isdigit():
            qs = qs.filter(kind_id=int(kind))
    q = request.GET.get("q", "").strip()[:60]
    if q:
        field = "address" if model in (Household, House) else "name"
        qs = qs.filter(**{f"{field}__contains": q})
    page = Paginator(qs.select_related(*related).order_by("grid_id", "id"), PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "registry/records.html",
        {
            "page": page,
            "grids": grids,
            "grid": grid,
            "q": q,
            "heading": heading,
            "slug": slug,
            "model": model._meta.model_name,
            "may_edit": access.has_perm(Perm.REGISTRY_EDIT),
            "spreadsheet": slug in importing.LAYOUTS,
        },
    )


@login_required
def houses(request: HttpRequest) -> HttpResponse:
    return _simple_list(request, House, "houses", gettext("Houses"))


@login_required
def households(request: HttpRequest) -> HttpResponse:
    return _simple_list(request, Household, "households", gettext("Households"))


@login_required
def places(request: HttpRequest) -> HttpResponse:
    return _simple_list(request, Place, "places", gettext("Places"))


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    return _simple_list(request, Organisation, "organisations", gettext("Organisations"))


@login_required
def extra_records(request: HttpRequest) -> HttpResponse:
    return _simple_list(request, ExtraRecord, "records", gettext("Local registries"))


@login_required
def key_persons(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    today = timezone.localdate()
    qs = services.visible(access, KeyPerson).filter(active=True)
    qs, grids, grid = _grid_filter(request, access, qs)
    kinds = KeyPersonKind.objects.filter(active=True)
    summary = _summary(qs, today)
    kind = request.GET.get("kind", "")
    if kind.isdigit():
        qs = qs.filter(kind_id=int(kind))
    q = request.GET.get("q", "").strip()[:60]
    if request.GET.get("state") == "overdue":
        qs = qs.filter(next_visit_due__lt=today)
    with services.planned_per_search():
        if q:
            qs = services.search_key_persons(qs, q)
        page = Paginator(
            services.by_due_date(
                qs.select_related("resident", "kind", "grid", "responsible__user"), bool(q)
            ),
            PAGE,
        ).get_page(request.GET.get("page"))
        rows = [(kp, visits.state_of(kp.next_visit_due, today)) for kp in page]
    return render(
        request,
        "registry/key_persons.html",
        {
            "page": page,
            "rows": rows,
            "grids": grids,
            "grid": grid,
            "kinds": kinds,
            "q": q,
            "kind": kind,
            "summary": summary,
        },
    )


def _summary(qs: Any, today: Any) -> dict[str, Any]:
    """Key persons by kind and the visit completion rate (visited on schedule = not overdue,
    over the active key persons), each figure a link to the list behind it."""
    by_kind = list(
        qs.values("kind_id", "kind__name")
        .annotate(n=Count("id"))
        .order_by("kind__order", "kind_id")
    )
    total = sum(r["n"] for r in by_kind)
    overdue = qs.filter(next_visit_due__lt=today).count()
    rate = None
    if total:
        rate = (Decimal(total - overdue) * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"by_kind": by_kind, "total": total, "overdue": overdue, "rate": rate}


def _categories() -> Any:
    return Category.objects.filter(active=True, children__isnull=True).order_by("path")[:200]


@login_required
@require_http_methods(["GET", "POST"])
def key_person(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    try:
        kp = services.get(access, KeyPerson, pk)
    except services.RecordNotFound:
        raise Http404 from None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data: dict[str, Any] = {
            k: request.POST.get(k, "")
            for k in (
                "findings",
                "method",
                "visited_on",
                "risk_level_after",
                "risk_found",
                "met_in_person",
            )
        }
        data["met_in_person"] = request.POST.get("met_in_person", "off")
        if request.POST.get("create_case"):
            data["case"] = {
                "category": request.POST.get("category", ""),
                "description": request.POST.get("case_description", ""),
            }
        try:
            visit = visits.record_visit(request.user, kp, data)
        except services.RecordNotFound:
            raise Http404 from None
        except InvalidInput as e:
            errors = e.as_dict()
        else:
            target = "registry:visit_done" if visit.risk_found else "registry:key_person"
            return redirect(target, visit.pk if visit.risk_found else kp.pk)
    full = services.may_see_sensitive(access, kp)
    reach = full or (kp.responsible is not None and kp.responsible.user_id == request.user.pk)
    with batched_sensitive_reads():
        phone = services.disclosed(access, kp.resident, "phone", allowed=reach, purpose="visit")
        notes = services.disclosed(access, kp, "notes", allowed=full)
    return render(
        request,
        "registry/key_person.html",
        {
            "kp": kp,
            "phone": phone,
            "notes": notes,
            "state": visits.state_of(kp.next_visit_due, timezone.localdate()),
            "visits": kp.visits.select_related("visitor", "case")[:50],
            "escalations": kp.escalations.all()[:20],
            "methods": VisitMethod.choices,
            "levels": range(6),
            "categories": _categories(),
            "errors": errors,
            "form": request.POST if request.method == "POST" else {},
            "may_visit": access.holds(kp, Perm.REGISTRY_VISIT),
            "today": timezone.localdate(),
        },
    )


@login_required
def visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    """After a visit that found a risk: the case it created, and the follow-ups offered."""
    access = _access(request)
    from fengqiao.registry.models import Visit

    visit = access.get(Visit.objects.select_related("key_person", "case"), pk, Perm.REGISTRY_VIEW)
    offers = [(f.label, f.url(request.user, visit)) for f in visits.followups()]
    return render(request, "registry/visit_done.html", {"visit": visit, "offers": offers})


@login_required
def visits_due(request: HttpRequest) -> HttpResponse:
    """The phone page: today's visits of the signed-in grid worker (375 px, big targets)."""
    _access(request, Perm.REGISTRY_VISIT)
    rows = visits.visits_due_for(request.user, timezone.localdate())
    return render(request, "registry/visits_due.html", {"rows": rows})
