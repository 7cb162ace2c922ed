"""Changing one's password, and the first-login change for accounts an administrator created."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from fengqiao.accounts.platform_admin import HIDDEN
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry

# Paths a user who must change the password can still reach.
ALLOWED_PREFIXES = ("/password/", "/logout/", "/login/", "/static/", "/i18n/", "/health/")
# Token requests authenticate in the view and are never redirected; session calls to the API
# get their answer too (a redirect means nothing to an API client).
API_PREFIXES = ("/api/", "/open311/")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            if user.must_change_password:
                user.must_change_password = False
                user.save(update_fields=["must_change_password"])
            audit.record(user, AuditEntry.Action.UPDATE, user, {"password": [HIDDEN, HIDDEN]})
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordChangeRequiredMiddleware:
    """Until an account created by an administrator has set its own password, every page
    leads to the password change page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED_PREFIXES + API_PREFIXES)
        ):
            return redirect(reverse("password_change"))
        return self.get_response(request)
