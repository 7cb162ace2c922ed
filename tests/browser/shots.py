"""Where the browser tests keep their screenshots: one folder, $JOURNEY_SCREENSHOTS, by default
var/screenshots in the checkout. `.ci/run` points it at var/screenshots/<database>/ for each
of its runs and CI keeps that folder as the run's artefacts."""

import os
from pathlib import Path

from django.conf import settings

SHOTS = Path(os.environ.get("JOURNEY_SCREENSHOTS") or Path(settings.VAR_DIR) / "screenshots")


def shot(page, name: str, *, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def folder() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
