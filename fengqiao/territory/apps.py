from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TerritoryConfig(AppConfig):
    name = "fengqiao.territory"
    label = "territory"
    verbose_name = pgettext_lazy("application", "Territory")

    def ready(self) -> None:
        from fengqiao.core import audit

        from .imports import AUDIT_KEYS

        for object_type in ("territory.region", "territory.grid"):
            audit.register(object_type, keys=AUDIT_KEYS)
