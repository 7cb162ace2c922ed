"""Two-factor login in the staff UI: the login's second step, the account's security page
(enrolment with a QR code, recovery codes) and the middleware that holds a session to them.

After the password, an account with a confirmed TOTP device is sent to /login/verify/ until it
enters a code from its app or a recovery code; an account whose roles require a second factor
(TWO_FACTOR_REQUIRED_ROLES) and has none is sent to /account/security/ to set it up. Until then
it reaches nothing else (the API answers 403 to such a session; API tokens are not affected).
"""

import time
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts import twofactor
from fengqiao.api.errors import json_error

VERIFY_ALLOWED = ("/login/", "/logout/", "/static/", "/i18n/", "/health/")
ENROL_ALLOWED = (*VERIFY_ALLOWED, "/account/security/", "/password/")
API_PREFIXES = ("/api/", "/open311/")
# "Nothing to ask" is remembered in the session this long (seconds), so that most requests of
# an account without a second factor make no extra query.
NOTHING_TO_ASK = "fengqiao_2fa_none_until"
RECHECK_SECONDS = 300.0
PENDING_DEVICE = "fengqiao_2fa_pending_device"


def _ask(request: HttpRequest, user: Any) -> str | None:
    session = request.session
    now = time.time()
    if session.get(NOTHING_TO_ASK, 0) > now:
        return None
    if twofactor.enrolled(user):
        return "verify"
    if twofactor.required(user):
        return "enrol"
    session[NOTHING_TO_ASK] = now + RECHECK_SECONDS
    return None


def what_to_ask(request: HttpRequest) -> str | None:
    """The step this session still owes ("verify" or "enrol"), or None."""
    user: Any = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    return _ask(request, user)


@receiver(user_logged_in)
def check_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Decided once at login (and every RECHECK_SECONDS after), not on every request.
    if request is not None and hasattr(request, "session"):
        request.session.pop(NOTHING_TO_ASK, None)
        _ask(request, user)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ask = what_to_ask(request)
        if ask is not None:
            allowed = VERIFY_ALLOWED if ask == "verify" else ENROL_ALLOWED
            if request.path.startswith(API_PREFIXES):
                return json_error(
                    403,
                    "two_factor_required",
                    _("This session has not completed two-factor login."),
                )
            if not request.path.startswith(allowed):
                target = "two_factor_verify" if ask == "verify" else "security"
                url = reverse(target)
                if request.method == "GET" and ask == "verify":
                    url += "?next=" + request.get_full_path()
                return redirect(url)
        return self.get_response(request)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The login's second step: a code from the authenticator app, or a recovery code."""
    user: Any = request.user
    if user.is_verified() or not twofactor.enrolled(user):
        return redirect(_next(request))
    error = ""
    status = 200
    if request.method == "POST":
        device = twofactor.verify(user, request.POST.get("code", ""))
        if device is None:
            error = _("The code is wrong or has expired. Wait for a new code and try again.")
            status = 400
        else:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "You logged in with a recovery code; %(n)d are left. Set up your "
                        "authenticator again or renew the codes on the security page."
                    )
                    % {"n": left},
                )
            return redirect(_next(request))
    return render(
        request,
        "web/two_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=status,
    )


def _qr_svg(device: TOTPDevice) -> str:
    # Drawn on the server as SVG (no image request, no script); the secret never leaves the page.
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def _base32(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """Two-factor login of the account: set up, recovery codes, turn off (where optional)."""
    user: Any = request.user
    context: dict[str, Any] = {
        "required": twofactor.required(user),
        "offered": twofactor.offered(user),
    }
    status = 200
    step = request.POST.get("step", "") if request.method == "POST" else ""
    enrolled = twofactor.enrolled(user)
    # Changing an existing set-up needs a session that passed it.
    if (step in ("codes", "off") or (step == "start" and enrolled)) and not user.is_verified():
        raise PermissionDenied
    try:
        if step == "start":
            device = twofactor.start_enrolment(user)
            request.session[PENDING_DEVICE] = device.pk
            context.update(pending=device, qr=_qr_svg(device), secret=_base32(device))
        elif step == "confirm":
            pk = request.session.get(PENDING_DEVICE)
            device, codes = twofactor.confirm_enrolment(
                user, int(pk or 0), request.POST.get("code", "")
            )
            request.session.pop(PENDING_DEVICE, None)
            otp_login(request, device)
            context["codes"] = codes
            messages.success(request, _("Two-factor login is on."))
        elif step == "codes":
            context["codes"] = twofactor.regenerate_recovery_codes(user)
            messages.success(request, _("New recovery codes; the old ones no longer work."))
        elif step == "off":
            twofactor.turn_off(user)
            messages.success(request, _("Two-factor login is off."))
            return redirect("security")
        elif step:
            status = 400
    except twofactor.TwoFactorError as exc:
        status = 400
        context["error"] = str(exc)
        pending = TOTPDevice.objects.filter(
            user=user, pk=request.session.get(PENDING_DEVICE) or 0, confirmed=False
        ).first()
        if pending is not None:
            context.update(pending=pending, qr=_qr_svg(pending), secret=_base32(pending))
    context["enrolled"] = twofactor.enrolled(user)
    context["codes_left"] = twofactor.recovery_codes_left(user)
    return render(request, "web/security.html", context, status=status)
