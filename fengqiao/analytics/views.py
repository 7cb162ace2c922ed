"""Monitoring room pages under /monitor/: dashboard per level, drill-down case lists, the big
screen, ledgers and reports. Views are thin: figures come from indicators.py, always inside the
user's STATS_VIEW scope (filters.parse_filters)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators as ind
from fengqiao.analytics import panels
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.filters import (
    cases_in_scope,
    form_regions,
    home_region,
    parse_filters,
    query_string,
    stats_access,
)
from fengqiao.analytics.indicators import INDICATORS, Filters
from fengqiao.analytics.periods import Period
from fengqiao.cases.models import Case, RiskLevel, SupervisionLevel
from fengqiao.cases.workflow import OPEN
from fengqiao.territory.models import Grid, Region

DRILL_PAGE = 50
LIST_FIELDS = ("id", "tracking_number", "title", "state", "handle_due", "created_at")
TREND_CODES = ("screened", "resolved", "accepted", "concluded")
PLACE_CODES = ("screened", "resolved", "resolution_rate", "on_time_rate", "open_overdue")
MAP_CODES = ("screened", "resolved", "resolution_rate", "on_time_rate", "open_overdue", "red_cards")
# The unit the grid map's legend gives for each indicator it colours by.
MAP_UNITS = {
    "screened": pgettext_lazy("map legend unit", "cases"),
    "resolved": pgettext_lazy("map legend unit", "cases"),
    "resolution_rate": "%",
    "on_time_rate": "%",
    "open_overdue": pgettext_lazy("map legend unit", "cases"),
    "red_cards": pgettext_lazy("map legend unit", "cards"),
}


def drill_url(
    code: str, filters: Filters, part: str = "numerator", *, base: str = "", **extra: Any
) -> str:
    """The drill-down list behind a figure; `base`: reverse("analytics:cases"), when the caller
    builds hundreds of these (a dashboard page) and looks it up once."""
    base = base or reverse("analytics:cases")
    return base + "?" + query_string(filters, indicator=code, part=part, **extra)


# The end of the query string of each indicator's drill-down link (numerator part).
_DRILL_TAILS = {code: urlencode({"indicator": code, "part": "numerator"}) for code in INDICATORS}


def drill_urls(codes: Iterable[str], filters: Filters, base: str) -> dict[str, str]:
    """drill_url of each code for the same filters: the filters' part of the query string is
    encoded once (the links are the same, the indicator and part come last)."""
    head = base + "?" + query_string(filters) + "&"
    return {code: head + _DRILL_TAILS[code] for code in codes}


def _filters(request: HttpRequest, default_period: str = "") -> tuple[Filters, list[str]]:
    """Filters from the query; a bad parameter falls back to the default, with the message."""
    params = request.GET.copy()
    if default_period and not params.get("period"):
        params["period"] = default_period
    errors: list[str] = []
    stats_access(request.user)
    if not any(params.get(k) for k in ("region", "grid", "unit")):
        region = home_region(request.user)
        if region is not None:
            params["region"] = str(region.pk)
    try:
        return parse_filters(request.user, params), errors
    except BadFilter as e:
        errors.append(f"{e.field}: {e.message}")
        fallback = {k: params[k] for k in ("region",) if k in params and e.field != k}
        try:
            return parse_filters(request.user, fallback), errors
        except BadFilter:
            return parse_filters(request.user, {}), errors


def _trend_filters(filters: Filters) -> Filters:
    """A month shows the 12 months up to it; longer periods show their own months."""
    if filters.period.kind == "month":
        start = filters.period
        for _i in range(11):
            start = start.previous()
        return filters.with_period(Period("custom", start.start, filters.period.end))
    return filters


def _signed(change: Decimal | int | None) -> str:
    """A comparison's change as the page has always shown it, "+1.5" / "-3" ("" without one):
    %+g of the float, as the template filter stringformat:"+g" gave."""
    return "" if change is None else format(float(change), "+g")


def figure_rows(filters: Filters, codes=ind.DASHBOARD) -> list[dict]:
    """One row per figure with every text the page shows already made (the template only
    places them: 21 figures × 3 periods are the bulk of the page)."""
    figures = ind.evaluate(codes, filters)
    base = reverse("analytics:cases")
    urls = drill_urls((c for c in codes if not INDICATORS[c].org), filters, base)
    rows = []
    for code in codes:
        fig = figures[code]
        i = fig.indicator
        current = fig.current
        rows.append(
            {
                "code": code,
                "figure": fig,
                "name": str(i.name),
                "formula": str(i.formula),
                "rounding": i.rounding,
                "counts": str(i.counts),
                "period_field": str(i.period_field),
                "display": fig.display,
                "org": i.org,
                "has_denominator": bool(i.denominator),
                "numerator": str(current.numerator),
                "denominator": str(current.denominator),
                "previous": fig.previous.display(i.style) if fig.previous else "",
                "last_year": fig.last_year.display(i.style) if fig.last_year else "",
                "change_previous": _signed(fig.change(fig.previous)),
                "change_last_year": _signed(fig.change(fig.last_year)),
                "url": urls.get(code, ""),
                "den_url": drill_url(code, filters, "denominator", base=base)
                if i.denominator
                else "",
            }
        )
    return rows


def _region_options(regions: list[Region], chosen: Region | None) -> SafeString:
    """The <option>s of the filter form's area (up to FORM_REGIONS): made in one pass, the
    names escaped as the template would (format_html_join's three escapes per option cost as
    much as the figures)."""
    chosen_pk = chosen.pk if chosen is not None else None
    # Safe: every text in it is escaped here and the ids are integers.
    return mark_safe(
        "".join(
            f'<option value="{int(r.pk)}"{" selected" if r.pk == chosen_pk else ""}>'
            f"{escape(r.name)}</option>"
            for r in regions
        )
    )


def _place_level(filters: Filters) -> Region | None:
    if filters.grid is not None:
        return None
    return filters.region


def _lists(request: HttpRequest, filters: Filters) -> dict[str, list[Case]]:
    """Overdue, red-card and high-risk open cases in the scope (short lists, newest first)."""
    qs = cases_in_scope(request.user, filters)
    # Only what _case_list.html shows: the case rows are wide (texts, geometry of the joins).
    qs = (
        qs.filter(state__in=OPEN)
        .select_related("category", "community")
        .only(*LIST_FIELDS, "category__name", "community__name")
    )
    return {
        "overdue": list(qs.filter(is_overdue=True).order_by("handle_due", "id")[:10]),
        "red": list(
            qs.filter(supervision_level=SupervisionLevel.RED).order_by("handle_due", "id")[:10]
        ),
        "high_risk": list(
            qs.filter(risk_level__in=[RiskLevel.HIGH, RiskLevel.CRITICAL]).order_by(
                "-created_at", "-id"
            )[:10]
        ),
    }


# A pie shows at most this many slices: the largest categories, the rest as one slice.
PIE_SLICES = 10


def pie_slices(rows: list[dict[str, Any]], most: int = PIE_SLICES) -> list[dict[str, Any]]:
    """`rows` (name, value, url) for a pie: when there are more than `most`, the smallest go into
    one slice "the other n categories" (no drill: it is no one category), so the pie stays
    readable on the big screen; the others keep their order and their drill-down."""
    if len(rows) <= most:
        return rows
    kept = {id(r) for r in sorted(rows, key=lambda r: -(r["value"] or 0))[: most - 1]}
    rest = [r for r in rows if id(r) not in kept]
    other = {
        "name": _("the other %(n)d categories") % {"n": len(rest)},
        "value": sum(r["value"] or 0 for r in rest),
        "url": None,
    }
    return [r for r in rows if id(r) in kept] + [other]


def dashboard_context(request: HttpRequest, default_period: str = "") -> dict[str, Any]:
    """The figures, trend, breakdowns and map of a dashboard. The live cards (open warnings,
    the lists of open cases, the other apps' panels) are not here: the page loads them from
    dashboard_cards after it is shown, so its own answer waits for the figures only."""
    filters, errors = _filters(request, default_period)
    region = _place_level(filters)
    trend_f = _trend_filters(filters)
    base, page_base = reverse("analytics:cases"), reverse("analytics:dashboard")
    trend = [
        {
            "label": p.code,
            "values": {c: v.value for c, v in vals.items()},
            "urls": drill_urls(TREND_CODES, filters.with_period(p), base),
        }
        for p, vals in ind.trend(TREND_CODES, trend_f)
    ]
    places = []
    if region is not None:
        for child, vals in ind.breakdown_by_place(PLACE_CODES, filters, region):
            is_grid = isinstance(child, Grid)
            f = filters.with_place(grid=child) if is_grid else filters.with_place(region=child)
            urls = drill_urls(PLACE_CODES, f, base)
            display = {c: v.display(INDICATORS[c].style) for c, v in vals.items()}
            places.append(
                {
                    "name": child.name,
                    "values": vals,
                    "display": display,
                    "urls": urls,
                    "cells": [(display[c], urls[c]) for c in PLACE_CODES],
                    "page": page_base + "?" + query_string(f, region="" if is_grid else child.pk),
                }
            )
    categories = [
        {
            "name": row.label,
            "value": row.values["screened"].value,
            "url": drill_url("screened", filters.with_category(row.category), base=base),
        }
        for row in ind.breakdown_by_category(("screened",), filters)
    ]
    chart = {
        "trend": trend,
        "trendNames": {c: str(INDICATORS[c].name) for c in TREND_CODES},
        "places": [
            {
                "name": p["name"],
                "value": p["values"]["screened"].value,
                "url": p["urls"]["screened"],
            }
            for p in places
        ],
        "categories": pie_slices(categories),
    }
    return {
        "filters": filters,
        "errors": errors,
        "rows": figure_rows(filters),
        "places": places,
        "place_codes": [(c, INDICATORS[c].name) for c in PLACE_CODES],
        "chart": chart,
        "map_codes": [(c, INDICATORS[c].name) for c in MAP_CODES],
        "map_url": reverse("analytics:grid_values") + "?" + query_string(filters),
        "outlines_url": reverse("analytics:region_outlines") + "?" + query_string(filters),
        "region_options": _region_options(form_regions(request.user), filters.region),
        "period": filters.period,
        "qs": query_string(filters),
    }


def cards_context(request: HttpRequest, filters: Filters) -> dict[str, Any]:
    """The live cards of a dashboard: open warnings, lists of open cases, the other apps' panels."""
    return {
        "lists": _lists(request, filters),
        "panels": panels.render_all(request),
        "warnings": _open_warnings(request, filters),
    }


def _open_warnings(request: HttpRequest, filters: Any) -> dict[str, Any]:
    """Open warnings of the chosen area (fengqiao.risk), by level, and the latest ones."""
    from django.db.models import Count

    from fengqiao.risk.models import OPEN_WARNING_STATES, Level, Warning

    access = access_for(request.user)
    qs = access.visible(Warning.objects.all(), Perm.RISK_VIEW).filter(state__in=OPEN_WARNING_STATES)
    if filters.grid is not None:
        qs = qs.filter(grid=filters.grid)
    elif filters.region is not None:
        qs = qs.filter(region_path__startswith=filters.region.path)
    counts = dict(qs.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    return {
        "shown": access.has_perm(Perm.RISK_VIEW),
        "by_level": [(label, counts.get(value, 0)) for value, label in reversed(Level.choices)],
        "latest": list(qs.order_by("-raised_at")[:8]),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/dashboard.html", dashboard_context(request))


@login_required
@require_GET
def dashboard_cards(request: HttpRequest) -> HttpResponse:
    """The dashboard's live cards for the same filters (htmx loads them into the page)."""
    filters, _errors = _filters(request)
    return render(request, "analytics/_dashboard_cards.html", cards_context(request, filters))


@login_required
@require_GET
def grid_values(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the visible grids in the chosen place with one indicator's value each."""
    from django.http import JsonResponse

    filters, _errors = _filters(request)
    code = request.GET.get("indicator") or "screened"
    if code not in MAP_CODES:
        code = "screened"
    i = INDICATORS[code]
    access = access_for(request.user)
    grids = access.grids(Perm.STATS_VIEW).filter(active=True)
    if filters.region is not None:
        grids = grids.filter(community__path__startswith=filters.region.path)
    if filters.grid is not None:
        grids = grids.filter(pk=filters.grid.pk)
    sums = ind._sums(filters, [i], "grid_id")
    features = []
    for g in grids.only("id", "name", "code", "boundary")[:5000]:
        v = ind._value(i, sums, g.pk)
        features.append(
            {
                "type": "Feature",
                "geometry": g.boundary,
                "properties": {
                    "name": g.name,
                    "code": g.code,
                    "value": float(v.value) if v.value is not None else None,
                    "display": v.display(i.style),
                    "url": drill_url(code, filters.with_place(grid=g)),
                },
            }
        )
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "indicator": code,
            "name": str(i.name),
            "formula": str(i.formula),
            "unit": str(MAP_UNITS[code]),
            "features": features,
        }
    )


@login_required
@require_GET
def region_outlines(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the outlines of the visible streets and communities in the chosen place, drawn
    under the grids of the monitoring room's map with their names."""
    from django.http import JsonResponse

    from fengqiao.territory.outlines import DERIVABLE_LEVELS, outline_collection

    filters, _errors = _filters(request)
    regions = (
        access_for(request.user)
        .regions(Perm.STATS_VIEW)
        .current()
        .filter(level__in=DERIVABLE_LEVELS)
    )
    if filters.grid is not None:
        regions = regions.filter(pk__in=filters.grid.community.ancestor_ids)
    elif filters.region is not None:
        # The place itself when it is a street or community, and everything below it.
        regions = regions.filter(path__startswith=filters.region.path)
    return JsonResponse(outline_collection(regions))


@login_required
@require_GET
def drill_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one figure: same indicator, same filters, same definitions."""
    code = request.GET.get("indicator", "")
    indicator = INDICATORS.get(code)
    if indicator is None or indicator.org:
        raise Http404(_("No such indicator."))
    part = request.GET.get("part", "numerator")
    if part not in indicator.drill_measures:
        part = "numerator"
    stats_access(request.user)
    try:
        filters = parse_filters(request.user, request.GET)
    except BadFilter as e:
        return render(
            request,
            "analytics/drill.html",
            {"error": f"{e.field}: {e.message}", "indicator": indicator},
            status=400,
        )
    ids = ind.drill_case_ids(indicator, filters, part)
    access = access_for(request.user)
    cases = access.visible(Case.objects.all(), Perm.CASE_VIEW).filter(pk__in=ids)
    total = cases.count()
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(
        cases.select_related("category", "channel", "community", "handling_unit").order_by(
            "-created_at", "-id"
        )[(page - 1) * DRILL_PAGE : page * DRILL_PAGE]
    )
    figure = ind.evaluate([code], filters, compare=False)[code]
    return render(
        request,
        "analytics/drill.html",
        {
            "indicator": indicator,
            "figure": figure,
            "part": part,
            "filters": filters,
            "cases": rows,
            "total": total,
            "page": page,
            "next_page": page + 1 if page * DRILL_PAGE < total else None,
            "qs": query_string(filters, indicator=code, part=part),
            "dashboard_url": reverse("analytics:dashboard") + "?" + query_string(filters),
        },
    )


SCREEN_CODES = (
    "screened",
    "resolved",
    "resolution_rate",
    "on_time_rate",
    "open_overdue",
    "satisfaction_rate",
    "red_cards",
    "grids",
)


# Live feed of the big screen: the newest cases, as many as fit beside the map.
FEED_SIZE = 12


def _screen_period() -> str:
    """The big screen shows the year so far unless a period is asked for: a month just begun
    would leave its charts empty on the morning of the 1st."""
    return str(timezone.localdate().year)


@login_required
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The big screen of the monitoring room (1920×1080): key figures, the grid map, the live
    feed and three charts; figures and feed refresh themselves (htmx)."""
    ctx = dashboard_context(request, _screen_period())
    filters = ctx["filters"]
    ctx["screen_rows"] = figure_rows(filters, SCREEN_CODES)
    ctx["feed"] = _feed(request, filters)
    ctx["now"] = timezone.localtime()
    return render(request, "analytics/screen.html", ctx)


def _feed(request: HttpRequest, filters: Filters) -> list[Case]:
    qs = cases_in_scope(request.user, filters)
    return list(
        qs.select_related("category", "community", "grid")
        .only(*LIST_FIELDS, "category__name", "community__name", "grid__name")
        .order_by("-created_at", "-id")[:FEED_SIZE]
    )


@login_required
@require_GET
def screen_figures(request: HttpRequest) -> HttpResponse:
    filters, _errors = _filters(request, _screen_period())
    return render(
        request,
        "analytics/_screen_figures.html",
        {"screen_rows": figure_rows(filters, SCREEN_CODES), "now": timezone.localtime()},
    )


@login_required
@require_GET
def screen_feed(request: HttpRequest) -> HttpResponse:
    filters, _errors = _filters(request, _screen_period())
    return render(request, "analytics/_screen_feed.html", {"feed": _feed(request, filters)})
