from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "fengqiao.risk"
    label = "risk"
    verbose_name = _("Risk and early warning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
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
        refdata.watch(WarningRule)
