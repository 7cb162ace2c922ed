from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalendarConfig(AppConfig):
    name = "fengqiao.workcalendar"
    label = "workcalendar"
    verbose_name = _("work calendar")

    def ready(self) -> None:
        from fengqiao.core import audit
        from fengqiao.workcalendar import checks  # noqa: F401 (registers the system check)
        from fengqiao.workcalendar.notices import AUDIT_KEYS

        audit.register("workcalendar.holidaynotice", keys=AUDIT_KEYS)
