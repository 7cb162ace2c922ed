"""Territory pages (templates in territory/templates): the browser (region tree + grid map), region and grid details, and the
GeoJSON of the grids a user may see. Everything is scoped by Perm.TERRITORY_VIEW."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.core.masking import log_sensitive_read, mask_phone
from fengqiao.org.models import GridWorker
from fengqiao.territory import outlines, services
from fengqiao.territory.models import Grid, GridKind, Region
from fengqiao.web.summary import my_grids, root_regions


def _territory_access(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.has_perm(Perm.TERRITORY_VIEW):
        raise PermissionDenied
    return access


def _active_workers() -> Prefetch:
    return Prefetch(
        "workers",
        queryset=GridWorker.objects.filter(active=True).select_related("user").order_by("pk"),
        to_attr="active_workers",
    )


def _children(access: Access, region: Region) -> dict:
    """The visible child regions and grids of `region`, for one level of the tree."""
    regions = access.regions(Perm.TERRITORY_VIEW).current()
    return {
        "regions": list(regions.filter(parent=region).order_by("code")),
        "grids": list(
            access.grids(Perm.TERRITORY_VIEW).filter(community=region, active=True).order_by("code")
        ),
    }


@login_required
def browser(request: HttpRequest) -> HttpResponse:
    access = _territory_access(request)
    roots = root_regions(list(access.regions(Perm.TERRITORY_VIEW).current()))
    tree = [{"region": r, **_children(access, r)} for r in roots]
    can_edit = access.has_perm(Perm.TERRITORY_EDIT)
    return render(request, "territory/browser.html", {"tree": tree, "can_edit": can_edit})


@login_required
def tree_children(request: HttpRequest, region_id: int) -> HttpResponse:
    access = _territory_access(request)
    region = get_object_or_404(access.regions(Perm.TERRITORY_VIEW), pk=region_id)
    return render(
        request, "territory/_children.html", {"parent": region, **_children(access, region)}
    )


@login_required
def region_detail(request: HttpRequest, region_id: int) -> HttpResponse:
    access = _territory_access(request)
    visible = access.regions(Perm.TERRITORY_VIEW)
    region = get_object_or_404(visible, pk=region_id)
    ancestors = list(visible.filter(pk__in=region.ancestor_ids[:-1]).order_by("level"))
    grids = access.grids(Perm.TERRITORY_VIEW).filter(
        community__path__startswith=region.path, active=True
    )
    context = {
        "region": region,
        "ancestors": ancestors,
        "grid_count": grids.count(),
        "worker_count": GridWorker.objects.filter(
            active=True, pk__in=GridWorker.objects.filter(grids__in=grids).values("pk")
        ).count(),
        "units": access.units(Perm.ORG_VIEW).filter(region=region, active=True),
        "map_query": f"region={region.pk}",
        **_children(access, region),
    }
    return render(request, "territory/region.html", context)


@login_required
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    access = _territory_access(request)
    grid = get_object_or_404(
        access.grids(Perm.TERRITORY_VIEW).select_related("community", "site_type"), pk=grid_id
    )
    community_visible = access.can_see_region(Perm.TERRITORY_VIEW, grid.community)
    # Phone numbers in full only for roles holding Perm.SENSITIVE_VIEW over this grid; every full
    # read is logged (PIPL art. 28).
    unmasked = access.can_see_grid(Perm.SENSITIVE_VIEW, grid)
    workers = []
    for w in GridWorker.objects.filter(grids=grid, active=True).select_related("user", "station"):
        phone = w.phone or w.user.phone
        if phone and unmasked:
            log_sensitive_read(request.user, w, "phone", purpose="grid detail")
        workers.append({"worker": w, "phone": phone if unmasked else mask_phone(phone)})
    context = {
        "grid": grid,
        "community_visible": community_visible,
        "workers": workers,
        "phones_unmasked": unmasked,
        "map_query": f"grid={grid.pk}",
    }
    return render(request, "territory/grid.html", context)


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(name) from None


@login_required
def grids_geojson(request: HttpRequest) -> JsonResponse:
    """The visible grids as GeoJSON; ?region=<id> (subtree), ?grid=<id>, ?mine=1 narrow it."""
    access = access_for(request.user)
    grids: QuerySet[Grid] = access.grids(Perm.TERRITORY_VIEW)
    try:
        region_id = _int_param(request, "region")
        grid_id = _int_param(request, "grid")
    except ValueError as exc:
        message = _("%(field)s must be a whole number (an id).") % {"field": exc.args[0]}
        return JsonResponse({"errors": {exc.args[0]: [message]}}, status=400)
    if region_id is not None:
        region = access.regions(Perm.TERRITORY_VIEW).filter(pk=region_id).first()
        if region is None:
            raise Http404
        grids = grids.filter(community__path__startswith=region.path)
    if grid_id is not None:
        grids = grids.filter(pk=grid_id)
    if request.GET.get("mine") == "1":
        grids = grids.filter(pk__in=my_grids(access).values("pk"))
    grids = (
        grids.filter(active=True)
        .select_related("community__parent")
        .prefetch_related(_active_workers())
    )
    features = [
        {
            "type": "Feature",
            "id": g.pk,
            "geometry": g.boundary,
            "properties": {
                "code": g.code,
                "name": g.name,
                "community": g.community.name,
                "street": g.community.parent.name if g.community.parent else "",
                "workers": [str(w) for w in g.active_workers],
                "url": reverse("territory:grid", args=[g.pk]),
            },
        }
        for g in grids.order_by("code")
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# -- the administrator's map editor: grid polygons drawn and edited on the map ----------------


def _edit_access(request: HttpRequest) -> Access:
    """Only those who may edit some territory; everyone else learns nothing (404)."""
    access = access_for(request.user)
    if not access.has_perm(Perm.TERRITORY_EDIT):
        raise Http404
    return access


def _editable_communities(access: Access) -> QuerySet[Region]:
    return (
        access.regions(Perm.TERRITORY_EDIT)
        .current()
        .filter(level=Region.Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")
    )


def _editor(
    request: HttpRequest,
    access: Access,
    community: Region | None,
    errors: list[str] | None = None,
    new: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    communities = list(_editable_communities(access))
    if community is None and communities:
        community = communities[0]
    grids = (
        list(access.grids(Perm.TERRITORY_EDIT).filter(community=community).order_by("code"))
        if community is not None
        else []
    )
    outline_regions = _outline_regions(access, community)
    context = {
        "communities": communities,
        "community": community,
        "grids": grids,
        "errors": errors or [],
        "new": new or {},
        "kinds": GridKind.choices,
        "outline_regions": outline_regions,
        "outlines": _outline_features(access, community, outline_regions),
    }
    return render(request, "territory/edit.html", context, status=status)


def _outline_regions(access: Access, community: Region | None) -> list[Region]:
    """The regions whose outline the editor offers: the community's street, then the community."""
    if community is None:
        return []
    editable = access.regions(Perm.TERRITORY_EDIT).filter(level__in=outlines.DERIVABLE_LEVELS)
    ids = [i for i in (community.parent_id, community.pk) if i is not None]
    return list(editable.filter(pk__in=ids).order_by("level"))


def _outline_features(
    access: Access, community: Region | None, editable: list[Region]
) -> dict[str, Any]:
    """GeoJSON of the outlines around the community: its street and the street's communities."""
    if community is None:
        return {"type": "FeatureCollection", "features": []}
    street_id = community.parent_id or community.pk
    nearby = (
        access.regions(Perm.TERRITORY_VIEW)
        .current()
        .filter(Q(pk=street_id) | Q(parent_id=street_id))
        .filter(outline__isnull=False)
    )
    own = {r.pk for r in editable}
    return outlines.outline_collection(nearby, editable=own)


@login_required
@require_GET
def regions_geojson(request: HttpRequest) -> JsonResponse:
    """The outlines of the visible streets and communities; ?region=<id> keeps its subtree."""
    access = access_for(request.user)
    regions = (
        access.regions(Perm.TERRITORY_VIEW).current().filter(level__in=outlines.DERIVABLE_LEVELS)
    )
    try:
        region_id = _int_param(request, "region")
    except ValueError as exc:
        message = _("%(field)s must be a whole number (an id).") % {"field": exc.args[0]}
        return JsonResponse({"errors": {exc.args[0]: [message]}}, status=400)
    if region_id is not None:
        region = access.regions(Perm.TERRITORY_VIEW).filter(pk=region_id).first()
        if region is None:
            raise Http404
        regions = regions.filter(path__startswith=region.path)
    return JsonResponse(outlines.outline_collection(regions))


@login_required
@require_GET
def map_edit(request: HttpRequest) -> HttpResponse:
    access = _edit_access(request)
    try:
        community_id = _int_param(request, "community")
    except ValueError:
        raise Http404 from None
    community = None
    if community_id is not None:
        community = _editable_communities(access).filter(pk=community_id).first()
        if community is None:
            raise Http404
    return _editor(request, access, community)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for errs in exc.error_dict.values() for e in errs for m in e.messages]
    return [str(m) for m in exc.messages]


def _back(community: Region) -> HttpResponse:
    return redirect(reverse("territory:edit") + f"?community={community.pk}")


def _outline_target(request: HttpRequest, region_id: int) -> tuple[Access, Region, Region | None]:
    """The region whose outline is changed (404 unless the user may edit it) and the community
    the editor returns to."""
    access = _edit_access(request)
    region = get_object_or_404(
        access.regions(Perm.TERRITORY_EDIT).filter(level__in=outlines.DERIVABLE_LEVELS),
        pk=region_id,
    )
    back = request.POST.get("community", "")
    community = _editable_communities(access).filter(pk=back).first() if back.isdigit() else None
    if community is None and region.level == Region.Level.COMMUNITY:
        community = region
    return access, region, community


def _outline_done(community: Region | None) -> HttpResponse:
    if community is None:
        return redirect(reverse("territory:edit"))
    return _back(community)


@login_required
@require_POST
def map_edit_outline(request: HttpRequest, region_id: int) -> HttpResponse:
    """A street's or community's outline drawn on the map, through `outlines.set_region_outline`."""
    access, region, community = _outline_target(request, region_id)
    try:
        outlines.set_region_outline(request.user, region, request.POST.get("outline", ""))
    except ValidationError as exc:
        return _editor(request, access, community, _messages(exc), status=400)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Outline of %(region)s saved.") % {"region": region.name})
    return _outline_done(community)


@login_required
@require_POST
def map_derive_outline(request: HttpRequest, region_id: int) -> HttpResponse:
    """A street's or community's outline set to the union of its grids."""
    access, region, community = _outline_target(request, region_id)
    try:
        outlines.derive_region_outline(request.user, region)
    except ValidationError as exc:
        return _editor(request, access, community, _messages(exc), status=400)
    except PermissionDenied:
        raise Http404 from None
    messages.success(
        request, _("Outline of %(region)s derived from its grids.") % {"region": region.name}
    )
    return _outline_done(community)


@login_required
@require_POST
def map_edit_grid(request: HttpRequest, grid_id: int) -> HttpResponse:
    """A grid's new boundary (GeoJSON drawn on the map), through `services.update_grid`."""
    access = _edit_access(request)
    grid = get_object_or_404(
        access.grids(Perm.TERRITORY_EDIT).select_related("community"), pk=grid_id
    )
    boundary = request.POST.get("boundary", "")
    try:
        services.update_grid(request.user, grid, boundary=boundary)
    except ValidationError as exc:
        grid.refresh_from_db()
        return _editor(request, access, grid.community, _messages(exc), status=400)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Boundary of %(grid)s saved.") % {"grid": grid.name})
    return _back(grid.community)


@login_required
@require_POST
def map_new_grid(request: HttpRequest) -> HttpResponse:
    """A new grid drawn on the map, through `services.create_grid`."""
    access = _edit_access(request)
    community = (
        _editable_communities(access).filter(pk=request.POST.get("community", "")).first()
        if request.POST.get("community", "").isdigit()
        else None
    )
    if community is None:
        raise Http404
    new = {k: request.POST.get(k, "").strip() for k in ("code", "name", "kind", "boundary")}
    errors = []
    if not new["name"]:
        errors.append(_("Give the grid a name."))
    if new["kind"] not in GridKind.values:
        errors.append(_("Choose basic or dedicated."))
    if not errors:
        try:
            services.create_grid(request.user, community=community, **new)
        except ValidationError as exc:
            errors = _messages(exc)
        except PermissionDenied:
            raise Http404 from None
    if errors:
        return _editor(request, access, community, errors, new=new, status=400)
    messages.success(request, _("Grid %(name)s created.") % {"name": new["name"]})
    return _back(community)
