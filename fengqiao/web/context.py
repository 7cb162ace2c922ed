"""Template context shared by every page: the user's roles and the map configuration."""

from django.conf import settings
from django.http import HttpRequest

from fengqiao.accounts.access import access_for


def platform(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    access = access_for(user) if user is not None else None
    return {
        "access": access,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
    }
