from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "fengqiao.accountability"
    verbose_name = _("Responsibility and assessment")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.analytics import panels
        from fengqiao.core import chain

        # Each letter's events (its tasks' included) form one hash chain.
        chain.register(
            chain.ChainSpec(
                "accountability.taskevent",
                "letter",
                "letter_id",
                (*chain.TIMELINE_FIELDS, "letter_id", "task_id"),
                legacy_order=("at", "id"),
            )
        )

        from . import monitor, workflow

        workflow.register_scopes()
        panels.register(monitor.overdue_panel)
