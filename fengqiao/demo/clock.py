"""A settable clock for loading demo history through the real services.

The case and mediation services stamp every change with `django.utils.timezone.now()` (and
the history rows use `auto_now_add`), and take no time argument. To give the demo district six
months of believable history, the loader runs each service call with the clock set to the
moment the step happened. Only the demo loader uses this, in its own process, before serving.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone


class Clock:
    """`now` is what `timezone.now()` returns while `running()` is active."""

    def __init__(self) -> None:
        # The real time when the clock started running: demo history never goes past it.
        self.real: datetime = timezone.now()
        self.now: datetime = self.real

    def set(self, at: datetime) -> datetime:
        self.now = min(at, self.real)
        return self.now

    def reset(self) -> None:
        self.now = self.real

    @contextmanager
    def running(self) -> Iterator["Clock"]:
        self.real = self.now = timezone.now()
        try:
            with mock.patch.object(timezone, "now", lambda: self.now):
                yield self
        finally:
            self.now = self.real
