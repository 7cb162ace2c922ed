from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"
    verbose_name = _("Basic data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from fengqiao.accounts.access import register_scope
        from fengqiao.registry import scoping
        from fengqiao.registry.checks import keys_configured

        checks.register(keys_configured)

        for model, rule in scoping.RULES.items():
            register_scope(model, rule)
