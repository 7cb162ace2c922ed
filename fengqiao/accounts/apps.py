from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "fengqiao.accounts"
    label = "accounts"
    verbose_name = _("Staff and roles")

    def ready(self) -> None:
        from fengqiao.accounts.access import register_platform_scopes

        register_platform_scopes()
