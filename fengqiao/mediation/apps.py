from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "fengqiao.mediation"
    verbose_name = _("People's mediation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain
        from fengqiao.mediation import checks  # noqa: F401 (registers the system check)

        # Each mediation's events form one hash chain (fengqiao.core.chain).
        chain.register(
            chain.ChainSpec(
                "mediation.mediationevent",
                "mediation",
                "mediation_id",
                (*chain.TIMELINE_FIELDS, "mediation_id"),
                legacy_order=("at", "id"),
            )
        )
