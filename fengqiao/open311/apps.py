from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def check_post_rate(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A bad OPEN311_POST_RATE stops the start, not the first POST."""
    from fengqiao.open311.limits import post_rate

    try:
        post_rate()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="open311.E001")]
    return []


class Open311Config(AppConfig):
    name = "fengqiao.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self) -> None:
        checks.register(check_post_rate)
