"""Panels that apps above the monitoring room add to its dashboard (e.g. the overdue tasks of
the responsibility letters): analytics never imports them; they register here in their
AppConfig.ready. A panel is a callable (request) → {"title", "rows": [{"text", "url", "tag"}]}
or None when it has nothing for this user."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Panel = Callable[[HttpRequest], dict[str, Any] | None]
PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in PANELS:
        PANELS.append(panel)


def render_all(request: HttpRequest) -> list[dict[str, Any]]:
    return [p for p in (panel(request) for panel in PANELS) if p]
