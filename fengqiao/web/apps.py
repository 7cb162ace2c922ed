from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"

    def ready(self) -> None:
        # The monitoring room's emergency panel: emergency stands below the monitoring room,
        # so the app above both registers it.
        from fengqiao.analytics import panels
        from fengqiao.emergency import monitor as emergency_monitor

        # Connects the login receiver that decides, once, whether a second factor is asked.
        from fengqiao.web import twofactor  # noqa: F401

        panels.register(emergency_monitor.panel)
