from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "fengqiao.territory"
    label = "territory"
