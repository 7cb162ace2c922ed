from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "fengqiao.emergency"
    label = "emergency"
    verbose_name = _("Emergency command")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain

        # Each event's history (its tasks' included) is one hash chain.
        chain.register(
            chain.ChainSpec(
                "emergency.eventlog",
                "emergency",
                "event_id",
                (*chain.TIMELINE_FIELDS, "event_id", "task_id"),
                legacy_order=("at", "id"),
            )
        )
        from . import workflow

        workflow.register_scopes()
        # The monitoring room's panel (fengqiao.emergency.monitor) is registered by the web app:
        # the monitoring room stands above this app.
