"""Staff pages for cases: inbox, list, case page with its allowed actions, intake on someone's
behalf, the grid worker's patrol report, the map, and duplicate suggestions while typing.

Views are thin: queries come from fengqiao.cases.queries, changes from fengqiao.cases.actions
(through views_actions.perform); both scope everything to the user.
"""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import actions, queries
from fengqiao.cases.attachments import serve as serve_attachment
from fengqiao.cases.duplicates import Candidate
from fengqiao.cases.errors import CaseError, ConflictError
from fengqiao.cases.forms import (
    ACTION_FORMS,
    ActionForm,
    CaseFilterForm,
    PartyForm,
    PartyFormSet,
    PatrolForm,
    StaffIntakeForm,
    add_case_error,
)
from fengqiao.cases.masking import disclosure, party_view, reporter_view
from fengqiao.cases.models import Case, CaseHistory, CaseState
from fengqiao.cases.public_views import _action_label
from fengqiao.cases.views_actions import perform
from fengqiao.cases.workflow import TRANSITIONS, Transition, allowed_actions
from fengqiao.core import formtokens
from fengqiao.core.inputs import is_ascii_digits

# Who sees the whole timeline (internal notes too); others see what the reporter sees.
WORKING_PERMS = (
    Perm.CASE_HANDLE,
    Perm.CASE_REGISTER,
    Perm.CASE_TRIAGE,
    Perm.CASE_SUPERVISE,
    Perm.CASE_VISIT,
)
NEAR = timedelta(days=2)


def _access(request: HttpRequest, perm: str = Perm.CASE_VIEW) -> Access:
    access = access_for(request.user)
    if not access.has_perm(perm):
        raise PermissionDenied
    return access


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _get_case(access: Access, pk: int) -> Case:
    case = (
        access.visible(Case.objects.all(), Perm.CASE_VIEW)
        .select_related(
            "category",
            "channel",
            "handling_unit",
            "grid",
            "community",
            "street",
            "district",
            "current_history__actor",
            "merged_into",
            "parent",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404(_("No such case, or it is outside your area."))
    return case


# -- inbox and list --------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    _access(request)
    unread = request.GET.get("unread") == "1"
    groups = queries.inbox_groups(request.user, unread_only=unread)
    return render(request, "cases/inbox.html", {"groups": groups, "unread": unread})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    _access(request)
    ids = [int(i) for i in request.POST.getlist("item") if is_ascii_digits(i)]
    actions.mark_read(request.user, ids)
    return redirect("cases:inbox")


def _filter_form(request: HttpRequest, access: Access) -> CaseFilterForm:
    return CaseFilterForm(request.GET or None, regions=access.regions(Perm.CASE_VIEW))


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = _filter_form(request, access)
    page, error = None, ""
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else queries.CaseFilters()
        try:
            page = queries.case_page(request.user, filters, cursor=request.GET.get("cursor"))
        except CaseError as e:
            error = e.message
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "page": page, "error": error, "query": query.urlencode()}
    if _is_htmx(request) and request.GET.get("cursor"):
        # "More": only the next rows and the next button.
        return render(request, "cases/_rows.html", context)
    return render(request, "cases/list.html", context)


# -- case page and actions -------------------------------------------------------------------


def _due_marker(due: datetime | None, now: datetime, overdue: bool) -> str:
    if due is None:
        return ""
    if overdue or due < now:
        return "overdue"
    return "near" if due - now < NEAR else ""


def _action_forms(
    case: Case, access: Access, request_user: Any, offered: list[Transition]
) -> dict[str, ActionForm]:
    units = access.units(Perm.ORG_VIEW)
    forms: dict[str, ActionForm] = {}
    for t in offered:
        form_class = ACTION_FORMS.get(t.name)
        if form_class is not None:
            forms[t.name] = form_class(
                case=case, units=units, access=access, auto_id=f"id_{t.name}_%s"
            )
    return forms


def _works_on(case: Case, access: Access) -> bool:
    """Whether the user works the case (whole timeline, every file) or only views it (what the
    reporter sees)."""
    return any(access.holds(case, p) for p in WORKING_PERMS if access.has_perm(p))


def _case_context(
    request: HttpRequest,
    access: Access,
    case: Case,
    bound: tuple[str, ActionForm] | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    full = _works_on(case, access)
    history = CaseHistory.objects.filter(case=case).select_related("actor").order_by("at", "id")
    if not full:
        history = history.filter(public=True)
    history_rows = list(history)
    attachments = case.attachments.select_related("uploaded_by").order_by("uploaded_at", "id")
    if not full:
        attachments = attachments.filter(public=True)
    offered = allowed_actions(case, access)
    forms = _action_forms(case, access, request.user, offered)
    open_action, page_errors = "", []
    if bound is not None:
        if bound[0] in forms:
            forms[bound[0]] = bound[1]
            open_action = bound[0]
        else:
            # The action is not open (any more): say why at the top of the page.
            page_errors = [str(e) for errs in bound[1].errors.values() for e in errs]
    states = dict(CaseState.choices)
    for h in history_rows:
        # Display-only attributes, read by the template.
        setattr(h, "action_label", _action_label(h.action))  # noqa: B010
        setattr(h, "from_label", states.get(h.from_state, ""))  # noqa: B010
        setattr(h, "to_label", states.get(h.to_state, ""))  # noqa: B010
    tasks = list(case.tasks.select_related("unit").order_by("-active", "role", "id"))
    for t in tasks:
        marker = _due_marker(t.due, now, False) if t.active and not t.finished else ""
        setattr(t, "marker", marker)  # noqa: B010 (shown by the template)
    sensitive = disclosure(case, access)
    return {
        "case": case,
        "reporter": reporter_view(case, access, purpose="case page", sensitive=sensitive),
        "parties": [
            party_view(p, access, "case page", case=case, sensitive=sensitive)
            for p in case.parties.all()
        ],
        "full_timeline": full,
        "history": history_rows,
        "attachments": list(attachments),
        "tasks": tasks,
        "cards": list(case.supervision_cards.select_related("to_unit", "raised_by")),
        "extensions": list(case.extensions.select_related("requested_by")),
        "diversions": list(case.diversions.all()),
        "visits": list(case.visits.select_related("by")),
        "deadlines": [
            (
                _("Acknowledge by"),
                case.acknowledge_due,
                _due_marker(case.acknowledge_due, now, False) if case.state == "registered" else "",
            ),
            (
                _("Handle by"),
                case.handle_due,
                _due_marker(case.handle_due, now, case.is_overdue)
                if case.state not in ("resolved", "closed", "cancelled", "diverted")
                else "",
            ),
            (_("Verify by"), case.verify_due, ""),
        ],
        "actions": [(t, forms[t.name]) for t in offered if t.name in forms],
        "open_action": open_action,
        "page_errors": page_errors,
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    case = _get_case(access, pk)
    return render(request, "cases/detail.html", _case_context(request, access, case))


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """One file of a case, to whoever may see the case page it is listed on."""
    access = _access(request)
    case = _get_case(access, pk)
    rows = case.attachments.all()
    if not _works_on(case, access):
        rows = rows.filter(public=True)
    attachment = rows.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(_("No such file, or it is outside your area."))
    return serve_attachment(attachment)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Every action form posts here; the service decides. On an error the form comes back with
    the user's input and the reason (a stale version: the conflict message)."""
    access = _access(request)
    case = _get_case(access, pk)
    form_class = ACTION_FORMS.get(name)
    if form_class is None or name not in TRANSITIONS:
        raise Http404
    form = form_class(
        request.POST,
        request.FILES,
        case=case,
        units=access.units(Perm.ORG_VIEW),
        access=access,
        auto_id=f"id_{name}_%s",
    )
    status = 400
    if form.is_valid():
        try:
            perform(request.user, case, name, form.service_kwargs())
        except ConflictError as e:
            status = 409
            form.add_error(None, e.message)
        except CaseError as e:
            status = e.status
            add_case_error(form, e)
        else:
            url = reverse("cases:detail", args=[pk])
            if _is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    if _is_htmx(request):
        # htmx swaps 200 answers only: the form with its errors replaces itself.
        return render(
            request,
            "cases/_action_form.html",
            {"case": case, "t": TRANSITIONS[name], "form": form, "open": True},
        )
    context = _case_context(request, access, case, bound=(name, form))
    return render(request, "cases/detail.html", context, status=status)


# -- intake ----------------------------------------------------------------------------------


def _parties(formset: "BaseFormSet[PartyForm]") -> list[dict[str, Any]]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.has_content()
    ]


def _intake_errors(
    form: StaffIntakeForm, formset: "BaseFormSet[PartyForm]", error: CaseError
) -> None:
    for e in error.errors:
        if e.field.startswith("parties["):
            idx, _sep, field = e.field[len("parties[") :].partition("].")
            real = [f for f in formset.forms if f.has_content()]
            if is_ascii_digits(idx) and int(idx) < len(real) and field in real[int(idx)].fields:
                real[int(idx)].add_error(field, e.message)
                continue
        if e.field in form.fields:
            form.add_error(e.field, e.message)
        else:
            form.add_error(None, e.message)


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not (access.has_perm(Perm.CASE_REGISTER) or access.has_perm(Perm.CASE_REPORT)):
        raise PermissionDenied
    form = StaffIntakeForm(request.POST or None, request.FILES or None)
    formset = PartyFormSet(request.POST or None, prefix="party")
    status = 200
    token = request.POST.get(formtokens.FIELD, "")
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            data = dict(form.cleaned_data)
            channel = data.pop("channel")
            data["parties"] = _parties(formset)
            try:
                # One case per form: a second submit of the same form shows the first case.
                with formtokens.use(request.user, "intake", token) as use:
                    if use.done_url:
                        return redirect(use.done_url)
                    try:
                        result = actions.intake(request.user, data, channel)
                    except CaseError as e:
                        _intake_errors(form, formset, e)
                        status = e.status
                    else:
                        url = reverse("cases:detail", args=[result.case.pk])
                        use.consume(url)
                        return redirect(url)
            except formtokens.UnknownFormToken:
                form.add_error(None, _("This form has expired; check it and submit it again."))
                token = ""
    if not token:
        token = formtokens.issue(request.user, "intake")
    return render(
        request,
        "cases/intake.html",
        {"form": form, "formset": formset, "form_token": token},
        status=status,
    )


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """Possible duplicates of what is being typed in the intake form (htmx fragment)."""
    access = _access(request)
    candidates: list[Candidate] = []
    g = request.GET
    try:
        lon = float(g["lon"]) if g.get("lon") else None
        lat = float(g["lat"]) if g.get("lat") else None
        category = int(g["category"]) if g.get("category") else None
    except ValueError:
        lon = lat = category = None
    if category and (lon is not None and lat is not None):
        from fengqiao.territory.locate import locate

        grid = locate(lon, lat) if -180 <= lon <= 180 and -90 <= lat <= 90 else None
        candidates = actions.suggest_duplicates(
            {
                "category": category,
                "grid": grid,
                "lon": lon,
                "lat": lat,
                "title": g.get("title", ""),
                "description": g.get("description", ""),
            },
            qs=access.visible(Case.objects.all(), Perm.CASE_VIEW),
        )
    return render(request, "cases/_duplicates.html", {"candidates": candidates})


@login_required
@require_http_methods(["GET", "POST"])
def patrol(request: HttpRequest) -> HttpResponse:
    """A grid worker's report from a phone: big buttons, the phone's location, photos."""
    access = access_for(request.user)
    # login_required let only a signed-in user in; the check also tells mypy it is a User.
    if not request.user.is_authenticated or not access.has_perm(Perm.CASE_REPORT):
        raise PermissionDenied
    form = PatrolForm(request.POST or None, request.FILES or None)
    status = 200
    created = None
    token = request.POST.get(formtokens.FIELD, "")
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["title"] = data["description"].strip()[:30]
            data["reporter_name"] = request.user.get_full_name()
            try:
                # A double tap on poor signal: the repeat opens the case the first one made.
                with formtokens.use(request.user, "patrol", token) as use:
                    if use.done_url:
                        return redirect(use.done_url)
                    try:
                        result = actions.intake(request.user, data, "grid_patrol")
                    except CaseError as e:
                        add_case_error(form, e)
                        status = e.status
                    else:
                        use.consume(reverse("cases:detail", args=[result.case.pk]))
                        created = result.case
                        form = PatrolForm()
                        status = 200
                        token = ""
            except formtokens.UnknownFormToken:
                form.add_error(None, _("This form has expired; check it and submit it again."))
                token = ""
    if not token:
        token = formtokens.issue(request.user, "patrol")
    context = {"form": form, "created": created, "form_token": token}
    return render(request, "cases/patrol.html", context, status=status)


# -- map -------------------------------------------------------------------------------------


@login_required
@require_GET
def case_map(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = _filter_form(request, access)
    return render(request, "cases/map.html", {"form": form, "query": request.GET.urlencode()})


@login_required
@require_GET
def cases_geojson(request: HttpRequest) -> JsonResponse:
    access = _access(request)
    form = _filter_form(request, access)
    if form.is_bound and not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    filters = form.filters() if form.is_bound else queries.CaseFilters()
    features = [
        {
            "type": "Feature",
            "id": c.pk,
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "tracking_number": c.tracking_number,
                "title": c.title,
                "state": c.get_state_display(),
                "category": c.category.name,
                "overdue": c.is_overdue,
                "supervision": c.supervision_level,
                "url": reverse("cases:detail", args=[c.pk]),
            },
        }
        for c in queries.map_cases(request.user, filters)
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
