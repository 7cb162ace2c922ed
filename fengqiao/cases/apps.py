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

        from fengqiao.cases.recompute import recompute_deadlines_task
        from fengqiao.cases.relocate import rewrite_places_task
        from fengqiao.territory.moves import register_move_task
        from fengqiao.workcalendar.notices import register_recompute

        # Cases copy their places and count deadlines in working days: they follow region and
        # grid moves and a newly loaded holiday notice.
        register_move_task(rewrite_places_task)
        register_recompute(recompute_deadlines_task)

        from fengqiao.cases.actions.inbox import AUDIT_KEYS
        from fengqiao.core import audit

        audit.register("cases.inboxitem", keys=AUDIT_KEYS)
