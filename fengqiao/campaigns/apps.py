from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CampaignsConfig(AppConfig):
    name = "fengqiao.campaigns"
    label = "campaigns"
    verbose_name = _("Screening campaigns and special operations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain

        # Each campaign's events and each operation report's revisions are a hash chain (issue 13).
        for label, kind, group in (
            ("campaigns.campaignevent", "campaign", "campaign_id"),
            ("campaigns.reportrevision", "opreport", "report_id"),
        ):
            chain.register(
                chain.ChainSpec(
                    label, kind, group, (*chain.TIMELINE_FIELDS, group), legacy_order=("at", "id")
                )
            )
        from fengqiao.accounts.access import register_scope

        from .models import Campaign, Operation, OperationReport, ScreeningRecord
        from .operations import operation_rule, report_rule
        from .screening import campaign_rule, record_rule

        register_scope(Campaign, campaign_rule)
        register_scope(ScreeningRecord, record_rule)
        register_scope(Operation, operation_rule)
        register_scope(OperationReport, report_rule)

        from fengqiao.core import audit

        from . import operations, screening

        # The steps' entries record the step's name under "action" and its data beside it.
        step = pgettext_lazy("audit", "step")
        audit.register(
            "campaigns.campaign",
            keys={"action": step, "grids": _("grids and households to screen")},
            values={"action": screening.STEP_LABELS},
        )
        audit.register(
            "campaigns.operationreport",
            keys={"action": step, "old": _("figures before"), "new": _("figures after")},
            values={"action": operations.STEP_LABELS},
        )
