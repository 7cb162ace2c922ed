from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"
    verbose_name = pgettext_lazy("application", "Cases")

    def ready(self) -> None:
        from fengqiao.accounts.access import register_scope
        from fengqiao.cases import integrity  # noqa: F401  (chains case history)
        from fengqiao.cases.models import Case
        from fengqiao.cases.reference import watch_models
        from fengqiao.cases.workflow import case_access_q

        watch_models()
        register_scope(Case, case_access_q)
