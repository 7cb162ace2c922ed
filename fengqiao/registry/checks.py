"""`fengqiao check`: warn when personal data would be encrypted with development keys."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning


def keys_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or (settings.REGISTRY_KEYS and settings.REGISTRY_HASH_KEY):
        return []
    return [
        Warning(
            "REGISTRY_KEYS or REGISTRY_HASH_KEY is not set: personal data of the registries is "
            "encrypted with keys derived from SECRET_KEY.",
            hint="Set both (see docs/registry-keys.md).",
            id="registry.W001",
        )
    ]
