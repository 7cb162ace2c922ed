from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"
    verbose_name = _("Basic data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from fengqiao.accounts.access import register_scope
        from fengqiao.registry import scoping
        from fengqiao.registry.checks import keys_configured

        checks.register(keys_configured)

        for model, rule in scoping.RULES.items():
            register_scope(model, rule)

        from django.db.models import Model

        from fengqiao.core import audit
        from fengqiao.registry import retention, services
        from fengqiao.registry.importing import LAYOUTS
        from fengqiao.registry.importing.engine import AUDIT_KEYS

        for model in self.get_models():
            names = {f.name for f in model._meta.concrete_fields}
            keys = {k: v for k, v in services.SECRET_AUDIT_KEYS.items() if k in names}
            if keys:
                audit.register(model._meta.label_lower, keys=keys)
        for layout in LAYOUTS.values():
            audit.register(layout.model._meta.label_lower, keys=AUDIT_KEYS)
        subjects: list[type[Model]] = [*retention.SUBJECTS.values(), retention.KeyPerson]
        for subject in subjects:
            audit.register(subject._meta.label_lower, keys=retention.AUDIT_KEYS)
