from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fengqiao.demo"
    label = "demo"

    def ready(self) -> None:
        from fengqiao.core import audit

        from .labels import CREATED_LABELS, DISTRICT

        # The loader's entry counts what it created, by the names of CREATED_LABELS.
        audit.register("demo.district", label=DISTRICT, keys=CREATED_LABELS)
