from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "fengqiao.accounts"
    label = "accounts"
    verbose_name = _("Staff and roles")

    def ready(self) -> None:
        from fengqiao.accounts.access import access_for, register_platform_scopes
        from fengqiao.accounts.roles import Perm
        from fengqiao.territory import services

        register_platform_scopes()

        from fengqiao.accounts import twofactor
        from fengqiao.core import audit

        audit.register(
            "accounts.user",
            keys={"two_factor": twofactor.AUDIT_KEY},
            values={"two_factor": twofactor.AUDIT_EVENTS},
        )

        def may_edit_territory(actor: object, path: str) -> bool:
            return access_for(actor).scope(Perm.TERRITORY_EDIT).covers_path(path)

        services.register_edit_check(may_edit_territory)
