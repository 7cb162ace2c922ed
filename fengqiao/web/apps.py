from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"

    def ready(self) -> None:
        # Connects the login receiver that decides, once, whether a second factor is asked.
        # The monitoring room's panels of the apps below analytics (which may not import it).
        from fengqiao.analytics import panels
        from fengqiao.campaigns import monitor as campaigns_monitor
        from fengqiao.registry import monitor as registry_monitor
        from fengqiao.risk import monitor as risk_monitor
        from fengqiao.web import twofactor  # noqa: F401

        for panel in (registry_monitor.panel, risk_monitor.panel, campaigns_monitor.panel):
            panels.register(panel)
