from django.apps import AppConfig


class WorkcalendarConfig(AppConfig):
    name = "fengqiao.workcalendar"
    label = "workcalendar"
