from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "fengqiao.org"
    label = "org"
