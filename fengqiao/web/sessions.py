"""Staff sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after login."""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

STARTED = "fengqiao_session_started"
LAST_SEEN = "fengqiao_session_last_seen"
# The last-seen time is written at most this often, so most requests do not save the session.
LAST_SEEN_GRANULARITY = 30.0


@receiver(user_logged_in)
def stamp_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


def expired(session, now: float) -> bool:
    started = session.get(STARTED)
    last_seen = session.get(LAST_SEEN)
    if started is None or last_seen is None:
        return False
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES).total_seconds()
    lifetime = dt.timedelta(hours=settings.SESSION_MAX_HOURS).total_seconds()
    return now - last_seen > idle or now - started > lifetime


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            if expired(session, now):
                logout(request)
                if request.path.startswith(("/api/", "/open311/")):
                    return self.get_response(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect_to_login(request.get_full_path())
            if STARTED not in session:
                session[STARTED] = now
            if now - session.get(LAST_SEEN, 0) >= LAST_SEEN_GRANULARITY:
                session[LAST_SEEN] = now
        return self.get_response(request)
