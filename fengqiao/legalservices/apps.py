from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalServicesConfig(AppConfig):
    name = "fengqiao.legalservices"
    label = "legalservices"
    verbose_name = _("Public legal services")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain

        # Each question's events form one hash chain (like a case's history).
        chain.register(
            chain.ChainSpec(
                "legalservices.questionevent",
                "legalq",
                "question_id",
                (*chain.TIMELINE_FIELDS, "question_id"),
                legacy_order=("at", "id"),
            )
        )
        from . import workflow

        workflow.register_scopes()
