from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "fengqiao.analytics"
    label = "analytics"
    verbose_name = _("monitoring and analysis")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.analytics.models import IndicatorDisplay
        from fengqiao.core import refdata

        # Every figure reads its precision; an edit reaches every process (refdata).
        refdata.watch(IndicatorDisplay)

        # Public legal services stand below the monitoring room: their panel is added here.
        from fengqiao.analytics import panels
        from fengqiao.legalservices import monitor as legal_monitor

        panels.register(legal_monitor.panel)
