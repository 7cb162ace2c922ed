from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "fengqiao.mediation"
    verbose_name = _("People's mediation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain
        from fengqiao.mediation import checks  # noqa: F401 (registers the system check)
        from fengqiao.mediation.recompute import recompute_time_limits_task
        from fengqiao.workcalendar.notices import register_recompute

        # Time limits count working days: recounted when a year's holiday notice is loaded.
        register_recompute(recompute_time_limits_task)

        from fengqiao.accounts.access import register_scope
        from fengqiao.mediation.models import Mediation
        from fengqiao.mediation.workflow import mediation_rule

        # One scope API: `access.visible(Mediation.objects…, perm)` and `access.holds(m, perm)`.
        register_scope(Mediation, mediation_rule)

        from fengqiao.core import audit
        from fengqiao.mediation.actions.committees import AUDIT_KEYS

        audit.register("mediation.mediator", keys=AUDIT_KEYS)

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
