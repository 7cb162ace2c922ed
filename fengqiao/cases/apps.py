from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"

    def ready(self) -> None:
        from fengqiao.cases.reference import watch_models

        watch_models()
