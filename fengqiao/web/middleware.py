"""Simplified Chinese is the UI's default language, whatever the browser's own locale says.

Staff pages follow only an explicit choice (the language switch sets Django's language cookie).
The API keeps honouring Accept-Language, so a client can ask for its error messages in English.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ChineseByDefaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(("/api/", "/open311/")):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
