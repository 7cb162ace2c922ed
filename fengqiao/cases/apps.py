from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"
