from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"

    def ready(self) -> None:
        # The monitoring room's panels of the apps below analytics (which may not import it):
        # the app above both registers them.
        from fengqiao.analytics import panels
        from fengqiao.campaigns import monitor as campaigns_monitor
        from fengqiao.emergency import monitor as emergency_monitor
        from fengqiao.registry import monitor as registry_monitor
        from fengqiao.risk import monitor as risk_monitor

        # Connects the login receiver that decides, once, whether a second factor is asked.
        from fengqiao.web import twofactor  # noqa: F401

        for panel in (
            registry_monitor.panel,
            risk_monitor.panel,
            campaigns_monitor.panel,
            emergency_monitor.panel,
        ):
            panels.register(panel)
