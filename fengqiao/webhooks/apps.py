from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "fengqiao.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from django.db.models import Q

        from fengqiao.accounts.access import Access, register_scope
        from fengqiao.webhooks.models import Delivery, Subscription

        # A subscription, and its deliveries, belong to the region it watches.
        def subscription_rule(access: Access, perm: str) -> Q:
            return access.scope(perm).q(path="region__path")

        def delivery_rule(access: Access, perm: str) -> Q:
            return access.scope(perm).q(path="subscription__region__path")

        register_scope(Subscription, subscription_rule)
        register_scope(Delivery, delivery_rule)
