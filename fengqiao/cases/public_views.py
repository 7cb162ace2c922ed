"""Pages for residents, without login: report a matter, track it, rate the handling.

Both are rate-limited per client IP with a small cache-based counter (PUBLIC_REPORT_RATE,
PUBLIC_TRACK_RATE, "count/seconds"); the tracking page answers a wrong number and wrong digits
the same way, so it does not reveal whether a tracking number exists.
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fengqiao.cases import actions
from fengqiao.cases.attachments import serve as serve_attachment
from fengqiao.cases.errors import CaseError, CaseNotFound
from fengqiao.cases.forms import PublicReportForm, RateForm, TrackForm, add_case_error
from fengqiao.cases.models import Attachment
from fengqiao.core import clientip

PUBLIC_CHANNEL = "resident_report"


def _action_label(action: str) -> str:
    from fengqiao.cases.workflow import TRANSITIONS

    labels = {
        "intake": _("Report registered"),
        "note": _("Progress"),
        "merge": _("Handled together with another report"),
        "rating": _("Your rating"),
        "visit": _("Follow-up visits"),
        "attachment": _("Attachments"),
        "return": _("Return"),
    }
    if action in labels:
        return labels[action]
    t = TRANSITIONS.get(action)
    return str(t.label) if t else action


def _labelled(info: dict[str, Any]) -> dict[str, Any]:
    for h in info["timeline"]:
        h["action_display"] = _action_label(h["action"])
    return info


def _parse_rate(value: str) -> tuple[int, int]:
    try:
        count, _sep, seconds = value.partition("/")
        return max(int(count), 1), max(int(seconds), 1)
    except ValueError:
        return 5, 600


def client_ip(request: HttpRequest) -> str:
    # X-Forwarded-For only from the configured TRUSTED_PROXIES (see fengqiao.core.clientip).
    return clientip.client_ip(request) or "unknown"


class RateLimit:
    """At most `count` hits per `seconds` per IP, counted in fixed windows in the cache."""

    def __init__(self, name: str, setting: str, default: str) -> None:
        self.name, self.setting, self.default = name, setting, default

    def _key(self, request: HttpRequest) -> tuple[str, int]:
        _count, seconds = _parse_rate(getattr(settings, self.setting, self.default))
        return f"fengqiao:rate:{self.name}:{client_ip(request)}", seconds

    def exceeded(self, request: HttpRequest) -> bool:
        count, _seconds = _parse_rate(getattr(settings, self.setting, self.default))
        key, _s = self._key(request)
        return (cache.get(key) or 0) >= count

    def hit(self, request: HttpRequest) -> None:
        key, seconds = self._key(request)
        if cache.add(key, 1, seconds):
            return
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, seconds)


report_limit = RateLimit("report", "PUBLIC_REPORT_RATE", "5/600")
track_limit = RateLimit("track", "PUBLIC_TRACK_RATE", "20/600")


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/public/limited.html",
        {"message": _("Too many attempts from your network. Please try again in a few minutes.")},
        status=429,
    )


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = PublicReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if report_limit.exceeded(request):
            return _too_many(request)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["title"] = data["description"].strip()[:30]
            try:
                result = actions.intake(None, data, PUBLIC_CHANNEL)
            except CaseError as e:
                add_case_error(form, e)
                status = e.status
            else:
                report_limit.hit(request)
                return render(request, "cases/public/reported.html", {"case": result.case})
    return render(request, "cases/public/report.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    status, info, rate_form = 200, None, None
    if request.method == "POST":
        if track_limit.exceeded(request):
            return _too_many(request)
        track_limit.hit(request)
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                info = _labelled(actions.public_status(d["tracking_number"], d["phone_last4"]))
            except CaseNotFound:
                form.add_error(None, _("No report matches this number and these digits."))
                status = 404
            else:
                status = 200
                if info["can_rate"]:
                    rate_form = RateForm(initial=d)
    context = {"form": form, "info": info, "rate_form": rate_form}
    return render(request, "cases/public/track.html", context, status=status)


@require_http_methods(["POST"])
def rate(request: HttpRequest) -> HttpResponse:
    if track_limit.exceeded(request):
        return _too_many(request)
    track_limit.hit(request)
    rate_form = RateForm(request.POST)
    shown_rate_form: RateForm | None = rate_form  # None once the rating is done or impossible
    form = TrackForm(request.POST)
    info: dict[str, Any] | None = None
    status, thanks = 400, False
    if rate_form.is_valid():
        d = rate_form.cleaned_data
        try:
            actions.rate_by_reporter(
                d["tracking_number"],
                d["phone_last4"],
                satisfaction=d["satisfaction"],
                note=d["note"],
            )
        except CaseNotFound:
            form.add_error(None, _("No report matches this number and these digits."))
            status, shown_rate_form = 404, None
        except CaseError as e:
            add_case_error(rate_form, e)
            info = _labelled(actions.public_status(d["tracking_number"], d["phone_last4"]))
        else:
            status, thanks = 200, True
            info = _labelled(actions.public_status(d["tracking_number"], d["phone_last4"]))
            shown_rate_form = None
    context = {"form": form, "info": info, "rate_form": shown_rate_form, "thanks": thanks}
    return render(request, "cases/public/track.html", context, status=status)


@require_http_methods(["POST"])
def attachment(request: HttpRequest) -> HttpResponse:
    """A file staff chose to show the reporter, for the same tracking number and phone digits as
    the tracking page (posted, so they never appear in an address or a server log)."""
    if track_limit.exceeded(request):
        return _too_many(request)
    track_limit.hit(request)
    form = TrackForm(request.POST)
    wanted = request.POST.get("attachment", "")
    if form.is_valid() and wanted.isascii() and wanted.isdigit():
        d = form.cleaned_data
        try:
            info = actions.public_status(d["tracking_number"], d["phone_last4"])
        except CaseNotFound:
            info = None
        if info is not None and int(wanted) in {a["id"] for a in info["attachments"]}:
            return serve_attachment(Attachment.objects.get(pk=int(wanted)))
    # Wrong number, wrong digits or a file that is not shown to the reporter: the same answer.
    return render(request, "cases/public/no_file.html", status=404)
