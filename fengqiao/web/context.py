"""Template context shared by every page: the user's roles, the sections they may open, the map."""

from django.conf import settings
from django.http import HttpRequest

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm, Role

# Admin-site sections: holding any of these capabilities opens /admin/ (see fengqiao.core.admin).
ADMIN_PERMS = (Perm.REFERENCE_EDIT, Perm.ORG_EDIT, Perm.STAFF_EDIT, Perm.TERRITORY_EDIT)


def nav_for(access: Access) -> dict[str, bool]:
    """Which sections of the staff UI the navigation shows; each page checks again on its own."""
    return {
        "territory": access.has_perm(Perm.TERRITORY_VIEW),
        "audit": access.has_perm(Perm.AUDIT_VIEW),
        "admin": access.has_role(Role.ADMIN) and any(access.has_perm(p) for p in ADMIN_PERMS),
    }


def role_labels(access: Access) -> list[str]:
    """The display names of the user's roles, each once, in the order of `Role`."""
    held = access.roles
    return [str(label) for value, label in Role.choices if value in held]


def platform(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    access = access_for(user) if user is not None else None
    return {
        "access": access,
        "nav": nav_for(access) if access is not None else {},
        "role_labels": role_labels(access) if access is not None else [],
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
    }
