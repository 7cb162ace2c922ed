"""What the demo loader remembers between runs."""

from django.db import models


class DemoState(models.Model):
    """One row per demo part already loaded (e.g. "cases"), so a second run skips it.

    `data` keeps what the loader reports again on later runs (the S1/S2 tracking numbers).
    """

    key = models.CharField(max_length=40, unique=True)
    data = models.JSONField(default=dict, blank=True)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
