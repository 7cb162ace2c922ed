"""Staff pages of public legal services (/legal/): the lawyers' queue, a question with its
actions, the network, the figures with their lists. Scoped queries and one action call each;
whoever works at no point (and holds no statistics capability) gets 404."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts.access import access_for
from fengqiao.cases.errors import CaseError
from fengqiao.core.masking import mask_phone

from . import actions
from .figures import figures, filter_questions, questions_for
from .forms import AidForm, MediationForm, TextForm
from .models import Lawyer, Level, Question, QuestionState, ReferralKind, ServicePoint, Topic
from .workflow import (
    EVENT_LABELS,
    VIEW,
    WAITING,
    allowed,
    capacities,
    may_open,
    my_points,
    sees_phone,
)


def _guard(request: HttpRequest) -> None:
    if not may_open(access_for(request.user)):
        raise Http404


def _question(request: HttpRequest, pk: Any) -> Question:
    return access_for(request.user).get(Question.objects.all(), pk, VIEW, missing=Http404)


def _rows(user: Any, qs) -> list[dict]:
    return [
        {"q": q, "phone": q.phone if sees_phone(user, q) else mask_phone(q.phone)}
        for q in qs.select_related("topic", "point")[:200]
    ]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The queue: questions waiting for an answer at the user's points (and below them)."""
    _guard(request)
    user = request.user
    qs = questions_for(user)
    waiting = qs.filter(state__in=WAITING).order_by("due_at", "id")
    return render(request, "legalservices/index.html", {
        "points": my_points(user),
        "waiting": _rows(user, waiting),
        "recent": _rows(user, qs.exclude(state__in=WAITING).order_by("-asked_at", "-id")[:20]),
    })  # fmt: skip


@login_required
@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    """The list behind a figure (filters: level, topic, point, lawyer, referral, state…)."""
    _guard(request)
    qs, applied = filter_questions(questions_for(request.user), request.GET)
    names: dict[str, dict[str, Any]] = {
        "level": dict(Level.choices),
        "topic": {str(t.pk): t.name for t in Topic.objects.all()},
        "point": {str(p.pk): p.name for p in ServicePoint.objects.filter(pk__in=[
            v for k, v in applied.items() if k == "point" and v.isdigit()])},
        "lawyer": {str(x.pk): x.name for x in Lawyer.objects.filter(pk__in=[
            v for k, v in applied.items() if k == "lawyer" and v.isdigit()])},
        "state": dict(QuestionState.choices),
        "referral": dict(ReferralKind.choices),
        "rated": {"1": pgettext("legal question filter", "rated")},
        "escalated": {"1": pgettext("legal question filter", "escalated")},
    }  # fmt: skip
    shown = [(k, names.get(k, {}).get(v, v)) for k, v in applied.items()]
    return render(request, "legalservices/list.html", {
        "rows": _rows(request.user, qs.order_by("-asked_at", "-id")), "applied": shown,
        "count": qs.count(),
    })  # fmt: skip


@login_required
@require_GET
def question(request: HttpRequest, pk: int) -> HttpResponse:
    q = _question(request, pk)
    user = request.user
    held = capacities(user, q)
    can = allowed(q.state, held)
    committees = None
    if "refer_mediation" in can:
        from fengqiao.mediation.actions import acts_for_committee
        from fengqiao.org.models import Unit, UnitKind

        access = access_for(user)
        mine = [u.pk for u in Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True)
                .select_related("region") if acts_for_committee(access, u)]  # fmt: skip
        committees = Unit.objects.filter(pk__in=mine)
    events = [
        {"e": e, "label": EVENT_LABELS.get(e.action, e.action)}
        for e in q.events.select_related("actor").order_by("at", "id")
    ]
    return render(request, "legalservices/question.html", {
        "q": q, "phone": q.phone if sees_phone(user, q) else mask_phone(q.phone),
        "messages_": q.messages.select_related("lawyer", "author"), "events": events,
        "can": can, "referral": getattr(q, "referral", None),
        "answer_form": TextForm(prefix="answer"), "note_form": TextForm(prefix="note"),
        "aid_form": AidForm(prefix="aid"), "mediation_form": MediationForm(prefix="med", committees=committees),
    })  # fmt: skip


@login_required
@require_POST
def act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    q = _question(request, pk)
    user = request.user
    try:
        if name in ("answer", "note"):
            form: Any = TextForm(request.POST, prefix=name)
            if not form.is_valid():
                raise _form_error(form)
            getattr(actions, name)(user, q, text=form.cleaned_data["text"])
        elif name == "refer_aid":
            form = AidForm(request.POST, prefix="aid")
            if not form.is_valid():
                raise _form_error(form)
            d = form.cleaned_data
            actions.refer_aid(user, q, economic_hardship=d["economic_hardship"],
                              case_type=d["case_type"].pk, note=d["note"])  # fmt: skip
        elif name == "refer_mediation":
            form = MediationForm(request.POST, prefix="med")
            if not form.is_valid():
                raise _form_error(form)
            d = form.cleaned_data
            actions.refer_mediation(user, q, category=d["category"].pk,
                                    committee=d["committee"].pk if d["committee"] else None,
                                    note=d["note"])  # fmt: skip
        else:
            raise Http404
    except CaseError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Done."))
    return redirect("legal:question", pk=q.pk)


def _form_error(form: Any) -> CaseError:
    from fengqiao.cases.errors import InvalidInput

    field, errs = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    return InvalidInput(field, "invalid", f"{label}：{errs[0]}" if label else errs[0])


@login_required
@require_GET
def network(request: HttpRequest) -> HttpResponse:
    _guard(request)
    points = (
        actions.visible(request.user, ServicePoint.objects.filter(active=True))
        .select_related("region", "parent")
        .prefetch_related("lawyers")
        .order_by("region__path", "level")
    )
    return render(request, "legalservices/network.html", {"points": points})


@login_required
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    _guard(request)
    return render(
        request, "legalservices/figures.html", {"f": figures(questions_for(request.user))}
    )
