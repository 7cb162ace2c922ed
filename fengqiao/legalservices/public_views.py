"""The resident's pages, without login (phone-sized): ask a legal question, follow it by its
secret link (or by code and the last 4 phone digits), ask a follow-up, rate the answer.
Rate-limited per client IP (PUBLIC_LEGAL_RATE); a wrong link or wrong digits get one answer."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.cases.errors import CaseError
from fengqiao.cases.forms import add_case_error

from . import actions
from .forms import AskForm, FollowUpForm, RateForm, TrackForm
from .limits import public_limit
from .models import Question


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/public/limited.html",
        {"message": _("Too many attempts from your network. Please try again in a few minutes.")},
        status=429,
    )


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    form = AskForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if public_limit.exceeded(request):
            return _too_many(request)
        status = 400
        if form.is_valid():
            lon, lat = form.point()
            d = form.cleaned_data
            community = d.get("community") or None
            if not form.errors:
                try:
                    asked = actions.ask(
                        topic=d["topic"].pk, text=d["text"], phone=d["phone"], name=d["name"],
                        community=int(community) if community and community.isdigit() else None,
                        lon=lon, lat=lat,
                    )  # fmt: skip
                except CaseError as e:
                    add_case_error(form, e)
                    status = e.status
                else:
                    public_limit.hit(request)
                    return render(request, "legalservices/public/asked.html",
                                  {"q": asked.question, "link": asked.link})  # fmt: skip
    return render(request, "legalservices/public/ask.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if public_limit.exceeded(request):
            return _too_many(request)
        public_limit.hit(request)
        status = 404
        if form.is_valid():
            try:
                q = actions.by_code(form.cleaned_data["number"], form.cleaned_data["phone_last4"])
            except CaseError:
                form.add_error(None, _("No question matches this code and these digits."))
            else:
                return redirect("legal:status", token=q.token)
        else:
            status = 400
    return render(request, "legalservices/public/track.html", {"form": form}, status=status)


def _page(request: HttpRequest, q: Question, status: int = 200, **forms) -> HttpResponse:
    info = actions.public_status(q)
    context = {
        "info": info,
        "follow_form": forms.get("follow_form")
        or (FollowUpForm() if info["can_follow_up"] else None),
        "rate_form": forms.get("rate_form") or (RateForm() if info["can_rate"] else None),
        "thanks": forms.get("thanks", False),
    }
    return render(request, "legalservices/public/status.html", context, status=status)


def _by_token(request: HttpRequest, token: str) -> Question | HttpResponse:
    try:
        return actions.by_token(token)
    except CaseError:
        return render(request, "legalservices/public/unknown.html", status=404)


@require_http_methods(["GET"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    q = _by_token(request, token)
    return q if isinstance(q, HttpResponse) else _page(request, q)


@require_POST
def follow_up(request: HttpRequest, token: str) -> HttpResponse:
    q = _by_token(request, token)
    if isinstance(q, HttpResponse):
        return q
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            actions.follow_up(q, text=form.cleaned_data["text"])
        except CaseError as e:
            add_case_error(form, e)
        else:
            return redirect("legal:status", token=q.token)
    q.refresh_from_db()
    return _page(request, q, 400, follow_form=form)


@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    q = _by_token(request, token)
    if isinstance(q, HttpResponse):
        return q
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            actions.rate(q, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except CaseError as e:
            add_case_error(form, e)
        else:
            q.refresh_from_db()
            return _page(request, q, thanks=True)
    q.refresh_from_db()
    return _page(request, q, 400, rate_form=form)
