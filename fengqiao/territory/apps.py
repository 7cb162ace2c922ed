from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TerritoryConfig(AppConfig):
    name = "fengqiao.territory"
    label = "territory"
    verbose_name = pgettext_lazy("application", "Territory")

    def ready(self) -> None:
        from fengqiao.core import audit

        from .imports import AUDIT_KEYS, GRID_AUDIT_KEYS

        audit.register("territory.region", keys=AUDIT_KEYS)
        audit.register("territory.grid", keys={**AUDIT_KEYS, **GRID_AUDIT_KEYS})
