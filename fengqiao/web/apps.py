from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"

    def ready(self) -> None:
        # Connects the login receiver that decides, once, whether a second factor is asked.
        from fengqiao.web import twofactor  # noqa: F401
