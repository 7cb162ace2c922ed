"""Staff UI shell: the home page of each role and the audit trail."""

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm, Role
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry, SensitiveAccess
from fengqiao.web import summary, workbench
from fengqiao.web.forms import AuditFilterForm
from fengqiao.workcalendar.notices import missing_notices

STAFF_ROLES = (Role.STATION_STAFF, Role.CENTER_STAFF, Role.MEDIATOR, Role.UNIT_LIAISON)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not access.assignments:
        # A legal adviser's account needs no role: their work is their point's questions.
        from fengqiao.legalservices.workflow import works_in_network

        if works_in_network(access):
            return redirect("legal:index")
        # Logged in but given no role yet: say so and show nothing.
        return render(request, "web/no_role.html")
    disputes = workbench.my_disputes(access) if access.has_perm(Perm.MEDIATION_HANDLE) else None
    context: dict = {
        "todos": workbench.todos(access, disputes),
        "counts": workbench.counts(access, disputes),
        "recent": workbench.recent_cases(access) if access.has_perm(Perm.CASE_VIEW) else [],
    }
    if access.has_role(Role.GRID_WORKER):
        context["my_grids"] = list(summary.my_grids(access))
    if access.has_role(Role.LEADER):
        context["district"] = summary.area_figures(access, by_street=True)
    elif access.has_role(*STAFF_ROLES):
        context["area"] = summary.area_figures(access)
    if access.has_role(Role.ADMIN, Role.SECURITY_OFFICER):
        context["admin_apps"] = admin.site.get_app_list(request)
        context["missing_notices"] = missing_notices(timezone.localdate())
    return render(request, "web/home.html", context)


# Personal fields read through another model (a grid worker's phone is its account's).
FIELD_NAMES = {"phone": gettext_lazy("phone"), "id_number": gettext_lazy("ID number")}


def _read_field_label(object_type: str, name: str) -> str:
    label = audit.key_label(object_type, name)
    return str(FIELD_NAMES[name]) if label == name and name in FIELD_NAMES else label


def _change(object_type: str, name: str, value: Any) -> dict[str, Any]:
    """One recorded change in words: the field's name, its old and new value by their labels
    (a list or a mapping, or a JSON field's data, is shown as code)."""
    old, new = value if isinstance(value, list | tuple) and len(value) == 2 else (None, value)
    return {
        "field": audit.key_label(object_type, name),
        "old": audit.value_label(object_type, name, old),
        "new": audit.value_label(object_type, name, new),
        "structured": isinstance(old, list | dict)
        or isinstance(new, list | dict)
        or audit.is_data(object_type, name),
    }


def _filtered(form: AuditFilterForm, entries: QuerySet[Any]) -> QuerySet[Any]:
    """The log rows the filter form asks for (none when it is invalid)."""
    if form.is_bound and not form.is_valid():
        return entries.none()
    if not form.is_bound:
        return entries
    data = form.cleaned_data
    if data["object_type"]:
        entries = entries.filter(object_type=data["object_type"])
    if data["actor"]:
        who = data["actor"].strip()
        entries = entries.filter(Q(actor__username__icontains=who) | Q(actor__name__icontains=who))
    tz = timezone.get_current_timezone()
    if data["date_from"]:
        entries = entries.filter(at__gte=datetime.combine(data["date_from"], time.min, tz))
    if data["date_to"]:
        end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tz)
        entries = entries.filter(at__lt=end)
    return entries


# Why a field was shown unmasked: the keys the apps write into the read log, in words.
READ_PURPOSES = {
    "case page": pgettext_lazy("read purpose", "case page"),
    "api": pgettext_lazy("read purpose", "REST API"),
    "export": pgettext_lazy("read purpose", "export"),
    "visit": pgettext_lazy("read purpose", "visit"),
    "grid detail": pgettext_lazy("read purpose", "grid detail"),
    "task": pgettext_lazy("read purpose", "task"),
}


def purpose_label(purpose: str) -> str:
    """ "case page (task 2)" → "事件详情页（办理任务 2）"; words not listed stay as written."""
    keys = sorted(READ_PURPOSES, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b")
    text = pattern.sub(lambda m: str(READ_PURPOSES[m.group(1)]), purpose)
    return text.replace(" (", "（").replace(")", "）")


@require_GET
@login_required
def read_log(request: HttpRequest) -> HttpResponse:
    """The log of sensitive reads (who was shown which unmasked field), for auditors: read only,
    scoped to the accounts in their scope, filtered like the audit trail."""
    access = access_for(request.user)
    if not access.has_perm(Perm.READLOG_VIEW):
        raise PermissionDenied
    scoped = access.visible(SensitiveAccess.objects.all(), Perm.READLOG_VIEW)
    object_types = list(scoped.order_by().values_list("object_type", flat=True).distinct())
    form = AuditFilterForm(request.GET or None, object_types=object_types)
    entries = _filtered(form, scoped.select_related("actor"))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": e,
            "type_label": audit.type_label(e.object_type),
            "field_label": _read_field_label(e.object_type, e.field),
            "purpose": purpose_label(e.purpose),
        }
        for e in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/read_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not access.has_perm(Perm.AUDIT_VIEW):
        raise PermissionDenied
    scoped = access.visible(AuditEntry.objects.all(), Perm.AUDIT_VIEW)
    object_types = list(scoped.order_by().values_list("object_type", flat=True).distinct())
    form = AuditFilterForm(request.GET or None, object_types=object_types)
    entries = _filtered(form, scoped.select_related("actor"))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": e,
            "type_label": audit.type_label(e.object_type),
            "action_label": audit.action_label(e.action),
            "changes": [_change(e.object_type, k, v) for k, v in (e.changes or {}).items()],
        }
        for e in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
