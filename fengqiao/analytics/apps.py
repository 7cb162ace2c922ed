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
