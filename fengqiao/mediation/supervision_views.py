"""The judicial office's pages (司法所): the committees of its street with their open and
overdue disputes and figures, the overdue disputes, its reviews; one dispute with its
documents, dossier and timeline, where it records a review or guidance."""

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError

from . import actions, documents, forms
from .figures import mediation_figures
from .models import Mediation


def _supervisor(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.has_perm(Perm.MEDIATION_SUPERVISE):
        raise PermissionDenied
    return access


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    access = _supervisor(request)
    lines = actions.committee_lines(access)
    committees = [line.committee for line in lines]
    today = timezone.localdate()
    year_start = date(today.year, 1, 1)
    figures = mediation_figures(
        access, year_start, today, committee_ids=[c.pk for c in committees] or [0]
    )
    by_committee = {r.key: r for r in figures.by_committee}
    context = {
        "lines": [(line, by_committee.get(str(line.committee.pk))) for line in lines],
        "figures": figures,
        "overdue": actions.overdue_mediations(access)[:100],
        "reviews": actions.recent_reviews(access),
        "ledger_form": forms.LedgerForm(
            committees=committees, initial={"date_from": year_start, "date_to": today}
        ),
        "committees": committees,
        "today": today,
    }
    return render(request, "mediation/supervision.html", context)


def _supervised(access: Access, pk: int) -> Mediation:
    m = (
        actions.supervised_mediations(access)
        .select_related("case__category", "committee", "lead_mediator__user")
        .filter(pk=pk)
        .first()
    )
    if m is None:
        raise Http404
    return m


def _detail_context(m: Mediation, form) -> dict[str, Any]:
    return {
        "m": m,
        "form": form,
        "reviews": m.reviews.select_related("by"),
        "events": m.events.select_related("actor").order_by("at", "id"),
        "document_keys": [(k, v[0]) for k, v in documents.BUILDERS.items()],
        "missing_items": documents.missing_items(m),
    }


@login_required
def supervision_case(request: HttpRequest, pk: int) -> HttpResponse:
    """One dispute of a supervised committee; POST records a review or guidance."""
    access = _supervisor(request)
    m = _supervised(access, pk)
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.record_review(request.user, m, **form.cleaned_data)
                return redirect("mediation:supervision_case", pk=m.pk)
            except CaseError as e:
                form.add_error(None, e.message)
                m.refresh_from_db()
                return render(request, "mediation/supervision_case.html",
                              _detail_context(m, form), status=e.status)  # fmt: skip
        return render(
            request, "mediation/supervision_case.html", _detail_context(m, form), status=400
        )
    return render(request, "mediation/supervision_case.html", _detail_context(m, form))
