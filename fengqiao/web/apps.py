from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"
