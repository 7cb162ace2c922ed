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

        from fengqiao.analytics.facts import refresh_case_facts, refresh_region_mediation_facts
        from fengqiao.cases import relocate

        # The facts copy the cases' places: they follow a region or grid move.
        relocate.register_followers(
            cases_moved=refresh_case_facts, region_moved=refresh_region_mediation_facts
        )
        # Public legal services stand below the monitoring room: their panel is added here.
        from fengqiao.analytics import panels
        from fengqiao.legalservices import monitor as legal_monitor

        panels.register(legal_monitor.panel)
