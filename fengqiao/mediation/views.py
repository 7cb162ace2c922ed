"""Mediation pages: the mediator's workbench, the mediation page of a case with its actions and
documents, the register download. Views are thin: scoped queries and one service call each."""

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.attachments import serve as serve_attachment
from fengqiao.cases.errors import CaseError, InvalidInput
from fengqiao.cases.models import Attachment, Case
from fengqiao.org.models import Unit, UnitKind

from . import actions, documents, forms, ledger
from .figures import mediation_figures
from .fonts import FontUnavailable
from .models import Agreement, Mediation, PerformanceItem
from .workflow import allowed_names


def _access(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        raise PermissionDenied
    return access


def _reader(request: HttpRequest) -> Access:
    """Mediators, and the judicial office supervising their committees, read registers,
    documents and dossiers (each narrowed to their own scope by the query)."""
    access = access_for(request.user)
    if not (access.has_perm(Perm.MEDIATION_HANDLE) or access.has_perm(Perm.MEDIATION_SUPERVISE)):
        raise PermissionDenied
    return access


def committees_for(access: Access) -> QuerySet:
    """The committees the actor mediates for."""
    if not access.has_perm(Perm.MEDIATION_HANDLE):
        return Unit.objects.none()
    scope = access.scope(Perm.MEDIATION_HANDLE)
    return Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True).filter(
        scope.q(path="region__path", unit="id")
    )


def _month_start(today: date) -> date:
    return today.replace(day=1)


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    committees = list(committees_for(access))
    today = timezone.localdate()
    figures = mediation_figures(access, _month_start(today), today)
    ledger_form = forms.LedgerForm(
        committees=committees,
        initial={"date_from": _month_start(today), "date_to": today},
    )
    context = actions.workbench(request.user) | {
        "committees": committees,
        "figures": figures,
        "ledger_form": ledger_form,
        "today": today,
        # The oral-agreement register (口头协议登记) of the committees in scope, latest first.
        "oral_register": actions.oral_agreements(actions.visible_mediations(access))[::-1][:20],
    }
    return render(request, "mediation/workbench.html", context)


def _visible_case(access: Access, case_id: int) -> Case:
    case = (
        access.visible(Case.objects.all(), Perm.CASE_VIEW)
        .select_related("category", "community", "handling_unit")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _page_context(request, access: Access, case: Case, m: Mediation | None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"case": case, "m": m}
    if m is None:
        committees = list(committees_for(access))
        ctx["start_form"] = forms.StartForm(committees=committees)
        try:
            ctx["suggestions"] = actions.suggest_assignment(request.user, case)
        except CaseError:
            ctx["suggestions"] = []
        return ctx
    parties = list(case.parties.order_by("id"))
    members = list(actions.active_mediators(m.committee).select_related("user"))
    attachments = list(Attachment.objects.filter(case=case))
    agreement: Agreement | None = getattr(m, "agreement", None)
    ctx |= {
        "parties": parties,
        "events": m.events.select_related("actor").order_by("at", "id"),
        "sessions": m.sessions.all(),
        "investigations": m.investigations.select_related("investigator"),
        "notices": m.notices.select_related("party", "delivered_by"),
        "refusals": m.refusals.select_related("party"),
        "violence": m.violence_reports.select_related("police_unit"),
        "followups": m.followups.select_related("by"),
        "agreement": agreement,
        "missing_signatures": actions.missing_signatures(agreement) if agreement else [],
        "items": agreement.items.select_related("obligor") if agreement else [],
        "confirmation": getattr(agreement, "confirmation", None) if agreement else None,
        "days_left": actions.confirmation_days_left(agreement) if agreement else None,
        "missing_items": documents.missing_items(m),
        "document_keys": [(k, v[0]) for k, v in documents.BUILDERS.items()],
        "suggestions": actions.suggest_assignment(request.user, case) if m.is_open else [],
        "allowed": allowed_names(m, access),
        "without_notice": actions.parties_without_notice(m) if m.is_open else [],
        "forms": {
            "accept": forms.EmptyForm(),
            "assign": forms.AssignForm(mediators=members),
            "refuse": forms.RefuseForm(parties=parties),
            "notice": forms.NoticeForm(parties=parties),
            "investigation": forms.InvestigationForm(),
            "plan_session": forms.PlanSessionForm(),
            "session": forms.SessionForm(
                attachments=attachments, planned=actions.planned_sessions(m)
            ),
            "violence": forms.ViolenceForm(),
            "agreement": forms.AgreementForm(parties=parties),
            "sign": forms.SignForm(parties=parties),
            "followup": forms.FollowUpForm(),
            "failure": forms.FailureForm(initial={"routes_told": list(actions.ROUTES)}),
            "terminate": forms.TerminateForm(
                parties=parties, initial={"routes_told": list(actions.ROUTES)}
            ),
            "extend": forms.ExtendForm(),
            "confirmation": forms.ConfirmationForm(initial={"result": "pending"}),
            "withdraw": forms.WithdrawForm(),
        },
    }
    return ctx


def _mediation_of(access: Access, case: Case) -> Mediation | None:
    m = Mediation.objects.filter(case=case).first()
    if m is None:
        return None
    visible = (
        actions.visible_mediations(access)
        .filter(pk=m.pk)
        .select_related("committee__region", "lead_mediator__user", "case")
    )
    found = visible.first()
    if found is None:
        raise Http404  # mediated by a committee outside the actor's scope
    return found


@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    access = _access(request)
    case = _visible_case(access, case_id)
    m = _mediation_of(access, case)
    return render(request, "mediation/mediation.html", _page_context(request, access, case, m))


def _error_page(request, access, case, m, name: str, form, e: CaseError) -> HttpResponse:
    ctx = _page_context(request, access, case, m)
    for err in e.errors:
        field = err.field.split(".")[-1] if err.field else None
        if field and field in form.fields:
            form.add_error(field, err.message)
        else:
            form.add_error(None, err.message)
    if name == "start":
        ctx["start_form"] = form
    else:
        ctx["forms"][name] = form
    ctx["page_errors"] = [err.message for err in e.errors]
    return render(request, "mediation/mediation.html", ctx, status=e.status)


@login_required
@require_POST
def start(request: HttpRequest, case_id: int) -> HttpResponse:
    access = _access(request)
    case = _visible_case(access, case_id)
    if Mediation.objects.filter(case=case).exists():
        return redirect("mediation:case", case_id=case.pk)
    form = forms.StartForm(request.POST, committees=list(committees_for(access)))
    if not form.is_valid():
        return _invalid(request, access, case, None, "start", form)
    try:
        m = actions.start(request.user, case, **form.cleaned_data)
        actions.accept(request.user, m)
    except CaseError as e:
        return _error_page(request, access, case, None, "start", form, e)
    return redirect("mediation:case", case_id=case.pk)


def _invalid(request, access, case, m, name, form) -> HttpResponse:
    ctx = _page_context(request, access, case, m)
    if name == "start":
        ctx["start_form"] = form
    else:
        ctx["forms"][name] = form
    ctx["page_errors"] = [
        f"{form.fields[f].label if f in form.fields else ''}：{'；'.join(errs)}"
        for f, errs in form.errors.items()
    ]
    return render(request, "mediation/mediation.html", ctx, status=400)


def _run(name: str, request, m: Mediation, form) -> None:
    """Call the service of action `name` with the cleaned form data."""
    d = form.cleaned_data
    u = request.user
    if name == "accept":
        actions.accept(u, m)
    elif name == "assign":
        actions.assign(u, m, mediators=d["mediators"], lead=d["lead"])
    elif name == "refuse":
        actions.refuse(u, m, party=d["party"], reason=d["reason"])
    elif name == "notice":
        actions.deliver_notice(
            u, m, party=d["party"], method=d["method"], delivered_at=d["delivered_at"]
        )
    elif name == "investigation":
        actions.record_investigation(
            u, m, at=d["at"], place=d["place"], persons=d["persons"], findings=d["findings"]
        )
    elif name == "plan_session":
        actions.plan_session(u, m, at=d["at"], place=d["place"], participants=d["participants"])
    elif name == "session":
        actions.record_session(u, m, at=d["at"], place=d["place"], participants=d["participants"],
                                minutes=d["minutes"], evidence=d["evidence"], evidence_note=d["evidence_note"],
                                planned=d["planned"])  # fmt: skip
    elif name == "violence":
        actions.report_violence_risk(u, m, note=d["note"])
    elif name == "agreement":
        actions.record_agreement(
            u, m, form=d["form"], agreed_items=d["agreed_items"], parties_facts=d["parties_facts"],
            main_facts=d["main_facts"], disputed_points=d["disputed_points"],
            responsibilities=d["responsibilities"], performance_method=d["performance_method"],
            items=form.items(),
        )  # fmt: skip
    elif name == "sign":
        a = Agreement.objects.filter(mediation=m).first()
        if a is None:
            raise InvalidInput("who", "no_agreement", _("There is no agreement to sign."))
        actions.sign(u, a, who=d["who"], party=d["party"], method=d["method"])
    elif name == "performance":
        item = PerformanceItem.objects.filter(pk=d["item"], agreement__mediation=m).first()
        if item is None:
            raise InvalidInput("item", "not_found", _("No such item."))
        actions.mark_performance(u, item, proof_note=d["proof_note"])
    elif name == "followup":
        actions.record_followup(u, m, **d)
    elif name == "failure":
        actions.record_failure(
            u, m, reason=d["reason"], routes_told=d["routes_told"], divert_to=d["divert_to"]
        )
    elif name == "confirmation":
        a = Agreement.objects.filter(mediation=m).first()
        if a is None:
            raise InvalidInput("applied_at", "no_agreement", _("There is no agreement."))
        actions.record_judicial_confirmation(u, a, applied_at=d["applied_at"], court=d["court"],
                                              result=d["result"], result_at=d["result_at"])  # fmt: skip
    elif name == "withdraw":
        actions.withdraw(u, m, reason=d["reason"])
    elif name == "terminate":
        actions.terminate(u, m, party=d["party"], reason=d["reason"], routes_told=d["routes_told"],
                          divert_to=d["divert_to"])  # fmt: skip
    elif name == "extend":
        actions.extend_time_limit(u, m, new_due=d["new_due"], consent=d["consent"])


def _bound_form(name: str, data, m: Mediation):
    parties = list(m.case.parties.order_by("id"))
    builders = {
        "accept": lambda: forms.EmptyForm(data),
        "assign": lambda: forms.AssignForm(data, mediators=actions.active_mediators(m.committee).select_related("user")),
        "refuse": lambda: forms.RefuseForm(data, parties=parties),
        "notice": lambda: forms.NoticeForm(data, parties=parties),
        "investigation": lambda: forms.InvestigationForm(data),
        "plan_session": lambda: forms.PlanSessionForm(data),
        "session": lambda: forms.SessionForm(data, attachments=Attachment.objects.filter(case_id=m.case_id),
                                             planned=actions.planned_sessions(m)),
        "violence": lambda: forms.ViolenceForm(data),
        "agreement": lambda: forms.AgreementForm(data, parties=parties),
        "sign": lambda: forms.SignForm(data, parties=parties),
        "performance": lambda: forms.PerformanceForm(data),
        "followup": lambda: forms.FollowUpForm(data),
        "failure": lambda: forms.FailureForm(data),
        "confirmation": lambda: forms.ConfirmationForm(data),
        "withdraw": lambda: forms.WithdrawForm(data),
        "terminate": lambda: forms.TerminateForm(data, parties=parties),
        "extend": lambda: forms.ExtendForm(data),
    }  # fmt: skip
    if name not in builders:
        raise Http404
    return builders[name]()


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    access = _access(request)
    try:
        m = actions.get_mediation(request.user, pk)
    except CaseError:
        raise Http404 from None
    case = m.case
    form = _bound_form(name, request.POST, m)
    if not form.is_valid():
        return _invalid(request, access, case, m, name, form)
    try:
        _run(name, request, m, form)
    except CaseError as e:
        m.refresh_from_db()
        return _error_page(request, access, case, m, name, form, e)
    return redirect("mediation:case", case_id=case.pk)


def _download(content: bytes, ctype: str, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def document(request: HttpRequest, pk: int, key: str, fmt: str) -> HttpResponse:
    _reader(request)
    try:
        m = actions.get_mediation(request.user, pk)
    except CaseError:
        raise Http404 from None
    if key not in documents.BUILDERS or fmt not in ("pdf", "docx"):
        raise Http404
    try:
        return _download(*documents.document_bytes(m, key, fmt, request.user))
    except FontUnavailable:
        return _font_missing(request, m)


def _font_missing(request: HttpRequest, m) -> HttpResponse:
    """The PDF font is missing (mediation.W001): a page that says so, 503, never a 500."""
    return render(request, "mediation/font_missing.html", {"m": m}, status=503)


@login_required
def evidence_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A file of the mediated case (evidence shown at a session, proof of performance), to whoever
    may open the mediation; the dossier holds the same files."""
    _reader(request)
    try:
        m = actions.get_mediation(request.user, pk)
    except CaseError:
        raise Http404 from None
    attachment = Attachment.objects.filter(case_id=m.case_id, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return serve_attachment(attachment)


@login_required
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    try:
        m = actions.get_mediation(request.user, pk)
    except CaseError:
        raise Http404 from None
    try:
        pdf = documents.dossier_pdf(m, request.user)
    except FontUnavailable:
        return _font_missing(request, m)
    return _download(pdf, "application/pdf", f"{m.number}-卷宗.pdf")


@login_required
def ledger_download(request: HttpRequest) -> HttpResponse:
    access = _reader(request)
    committees = list(committees_for(access) | actions.supervised_committees(access))
    form = forms.LedgerForm(request.GET, committees=committees)
    if not form.is_valid():
        return render(
            request,
            "mediation/ledger_error.html",
            {"form": form},
            status=400,
        )
    d = form.cleaned_data
    content = ledger.ledger_xlsx(request.user, d["committee"], d["date_from"], d["date_to"])
    name = f"人民调解登记台账-{d['date_from']}-{d['date_to']}.xlsx"
    return _download(
        content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name
    )


def _managed_committee(request: HttpRequest, pk: int) -> Unit:
    access = access_for(request.user)
    unit = (
        Unit.objects.filter(pk=pk, kind=UnitKind.MEDIATION_COMMITTEE)
        .select_related("region")
        .first()
    )
    if unit is None or not actions.may_manage(access, unit):
        raise Http404
    return unit


@login_required
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's members (3 to 9, art. 8): add and remove through the actions."""
    unit = _managed_committee(request, pk)
    form = forms.MemberForm()
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        from django.contrib.auth import get_user_model

        if "remove" in request.POST:
            try:
                actions.remove_mediator(request.user, int(request.POST["remove"]))
                return redirect("mediation:committee", pk=unit.pk)
            except (CaseError, ValueError) as e:
                errors, status = [getattr(e, "message", str(e))], 400
        else:
            form = forms.MemberForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                user = get_user_model().objects.filter(username=d["username"]).first()
                if user is None:
                    form.add_error("username", _("No such account."))
                else:
                    try:
                        actions.add_mediator(request.user, unit, user=user,
                                             employment_type=d["employment_type"], post=d["post"] or "member",
                                             specialties=d["specialties"])  # fmt: skip
                        return redirect("mediation:committee", pk=unit.pk)
                    except CaseError as e:
                        form.add_error(None, e.message)
            status = 400
    members = actions.active_mediators(unit).select_related("user").prefetch_related("specialties")
    context = {"unit": unit, "members": members, "form": form, "errors": errors,
               "member_count": actions.members(unit).count()}  # fmt: skip
    return render(
        request,
        "mediation/committee.html",
        context,
        status=status,
    )
