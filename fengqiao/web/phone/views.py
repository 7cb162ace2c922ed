"""The grid worker's phone app: 今日, 上报, 我上报的, 我的网格, 我, and the files that make it an
installable offline app (manifest, service worker). Pages only read; every change is sent by the
page's offline queue to the REST API (`/api/v1/cases/…`, with an Idempotency-Key), whose
actions check permission, state and version."""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm, Role
from fengqiao.cases.forms import categories as case_categories
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import FINISHED, OPEN
from fengqiao.registry.models import KeyPerson, VisitMethod
from fengqiao.registry.visits import state_of
from fengqiao.web import summary, workbench
from fengqiao.web.phone.grid import registry_data
from fengqiao.web.phone.sections import today_sections

# The channel a grid worker's report comes in by (the patrol form's).
PATROL_CHANNEL = "grid_patrol"


def _worker(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not (access.has_role(Role.GRID_WORKER) and access.has_perm(Perm.CASE_REPORT)):
        raise PermissionDenied
    return access


def _page(request: HttpRequest, template: str, tab: str, context: dict) -> HttpResponse:
    context.update({"tab": tab, "tile_url": settings.MAP_TILE_URL})
    return render(request, template, context)


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    access = _worker(request)
    return _page(
        request, "phone/today.html", "today", {"sections": today_sections(request, access)}
    )


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    access = _worker(request)
    categories = list(case_categories())
    grids = summary.my_grids(access)
    center = grids.values_list("center_lon", "center_lat").first()
    return _page(
        request,
        "phone/report.html",
        "report",
        {"categories": categories, "channel": PATROL_CHANNEL, "center": center},
    )


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    access = _worker(request)
    cases = (
        workbench.my_reports(access)
        .select_related("category", "grid")
        .order_by("-created_at", "-id")[:100]
    )
    return _page(request, "phone/reports.html", "reports", {"cases": cases, "finished": FINISHED})


@login_required
@require_GET
def grid(request: HttpRequest) -> HttpResponse:
    access = _worker(request)
    grids = list(summary.my_grids(access).select_related("community"))
    return _page(request, "phone/grid.html", "grid", {"grids": grids})


@login_required
@require_GET
def grid_data(request: HttpRequest) -> JsonResponse:
    """My grids' outlines, the open cases and the places inside them for the map, and the
    grids' households with their members (masked), cached by the service worker for offline."""
    access = _worker(request)
    grids = list(summary.my_grids(access))
    cases = (
        access.visible(Case.objects.all(), Perm.CASE_VIEW)
        .filter(grid_id__in=[g.pk for g in grids], state__in=sorted(OPEN))
        .exclude(lon=None)
        .select_related("category")
        .order_by("-created_at")[:300]
    )
    features = [
        {
            "type": "Feature",
            "geometry": g.boundary,
            "properties": {"kind": "grid", "name": g.name, "code": g.code},
        }
        for g in grids
    ] + [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "kind": "case",
                "name": c.title,
                "number": c.tracking_number,
                "state": c.get_state_display(),
                "category": c.category.name,
            },
        }
        for c in cases
    ]
    # GeoJSON allows members of its own beside "features": the registry's lists.
    data = {"type": "FeatureCollection", "features": features}
    data.update(registry_data(access, [g.pk for g in grids]))
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit form of one key person the worker may visit (as the registry scopes it: the
    key person's grid), sent by the offline queue to the registry's REST API. Anyone else gets
    404, whatever their roles: the page does not tell that the key person exists."""
    access = access_for(request.user)
    if not (access.has_role(Role.GRID_WORKER) and access.has_perm(Perm.REGISTRY_VISIT)):
        raise Http404
    kp = (
        access.visible(KeyPerson.objects.filter(pk=pk, active=True), Perm.REGISTRY_VISIT)
        .select_related("resident", "kind")
        .first()
    )
    if kp is None:
        raise Http404
    today = timezone.localdate()
    return _page(
        request,
        "phone/visit.html",
        "today",
        {
            "kp": kp,
            "state": state_of(kp.next_visit_due, today),
            "today": today,
            "methods": VisitMethod.choices,
            "levels": range(6),
            "api": reverse("api-registry-visits", args=[kp.pk]),
        },
    )


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    access = _worker(request)
    worker = getattr(request.user, "grid_worker", None)
    grids = list(summary.my_grids(access))
    return _page(request, "phone/me.html", "me", {"worker": worker, "grids": grids})


# The static files the app and the resident's form need without signal: precached at install
# under their content's revision (see `static_revisions`).
PRECACHE = (
    "phone/phone.css",
    "phone/queue.js",
    "phone/app.js",
    "phone/report.js",
    "phone/photos.js",
    "phone/grid.js",
    "phone/visit.js",
    "phone/emergency.js",
    "phone/public.js",
    "phone/icon.svg",
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "web/app.css",
    "web/js-on.js",
    "web/nav.js",
    "web/favicon.svg",
    "cases/cases.css",
    "cases/pick.js",
    "htmx/htmx.min.js",
)


def static_revisions(paths: tuple[str, ...] = PRECACHE) -> tuple[list[dict[str, str]], str]:
    """Each static file's URL with the hash of its content, and the release's revision (the
    hash of them all). Static names are not hashed (no manifest storage), so the service worker
    carries the revisions: a changed file changes the worker's bytes, the browser installs the
    new worker, which precaches into a cache named by the new revision and drops the old one."""
    files = []
    for path in paths:
        found = finders.find(path)
        if not found or isinstance(found, list):
            continue
        with open(found, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        files.append({"url": static(path), "revision": digest})
    release = hashlib.sha256("".join(f["url"] + f["revision"] for f in files).encode()).hexdigest()[
        :16
    ]
    return files, release


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /m/ so that its scope covers the app's pages. Workbox is
    loaded from our own static files (var/vendor/workbox, copied from npm by the Makefile)."""
    files, release = static_revisions()
    response = render(
        request,
        "phone/sw.js",
        {
            "precache": mark_safe(json.dumps(files)),
            "release": release,
            "workbox": static("workbox/workbox-sw.js"),
            "workbox_dir": static("workbox/"),
            "shell": [
                reverse("phone:today"),
                reverse("phone:report"),
                reverse("phone:reports"),
                reverse("phone:grid"),
                reverse("phone:me"),
                reverse("phone:grid_data"),
                reverse("public:report"),  # the resident's form registers this worker too
            ],
            "static_prefix": settings.STATIC_URL,
            "visits_prefix": reverse("phone:visit", args=[0])[: -len("0/")],
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "name": _("Fengqiao grid worker"),
            "short_name": _("Grid work"),
            "lang": "zh-CN",
            "start_url": reverse("phone:today"),
            "scope": reverse("phone:today"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#8f1d16",
            "icons": [
                {"src": static("phone/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": static("phone/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = "application/manifest+json"
    return response
