from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TerritoryConfig(AppConfig):
    name = "fengqiao.territory"
    label = "territory"
    verbose_name = pgettext_lazy("application", "Territory")
