from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "fengqiao.risk"
    label = "risk"
    verbose_name = _("Risk and early warning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core import chain

        # Each assessment's and each warning's history is one hash chain (issue 13).
        for label, kind, group in (
            ("risk.assessmententry", "assessment", "assessment_id"),
            ("risk.warningevent", "warning", "warning_id"),
        ):
            chain.register(
                chain.ChainSpec(
                    label, kind, group, (*chain.TIMELINE_FIELDS, group), legacy_order=("at", "id")
                )
            )
        from fengqiao.accounts.access import register_scope
        from fengqiao.cases.hooks import register_intake_hook
        from fengqiao.core import refdata

        from .models import Assessment, Warning, WarningRule
        from .rules import on_intake
        from .workflow import assessment_rule, rule_rule, warning_rule

        register_scope(Assessment, assessment_rule)
        register_scope(Warning, warning_rule)
        register_scope(WarningRule, rule_rule)
        register_intake_hook(on_intake)
        _offer_assessment_after_risky_visits()
        refdata.watch(WarningRule)
        from fengqiao.core import audit

        from .models import WARNING_KINDS

        audit.register("risk.warning", values={"kind": WARNING_KINDS})


def _offer_assessment_after_risky_visits() -> None:
    from typing import cast
    from urllib.parse import urlencode

    from django.urls import reverse

    from fengqiao.registry.visits import Followup, register_followup

    register_followup(
        Followup(
            "risk_assessment",
            # Lazy: the label is rendered in each reader's language.
            cast(str, _("Create a risk assessment")),
            lambda actor, visit: (
                reverse("risk:assessment_new") + "?" + urlencode({"visit": visit.pk})
            ),
        )
    )
