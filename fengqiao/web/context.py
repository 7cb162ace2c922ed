"""Template context shared by every page: the user's roles, the navigation they may open, the map.

The navigation is built from the user's capabilities (`nav_items`): an entry is listed only when
its page would open for the user. Each page still checks on its own.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.platform_admin import ADMIN_SITE_ROLES
from fengqiao.accounts.roles import Perm, Role
from fengqiao.legalservices.workflow import may_open as legal_may_open

# Admin-site sections: holding any of these capabilities opens /admin/ (see fengqiao.accounts.platform_admin).
ADMIN_PERMS = (
    Perm.REFERENCE_EDIT,
    Perm.ORG_EDIT,
    Perm.STAFF_EDIT,
    Perm.KEYS_EDIT,
    Perm.TERRITORY_EDIT,
)
# Roles that work for a unit: the unit's tasks page is theirs.
UNIT_ROLES = (Role.UNIT_LIAISON, Role.STATION_STAFF, Role.CENTER_STAFF)
CAMPAIGN_PERMS = (Perm.CAMPAIGN_MANAGE, Perm.SCREENING_RECORD, Perm.STATS_VIEW,
                  Perm.OPERATION_REPORT, Perm.OPERATION_MANAGE)  # fmt: skip


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    # url names (or "app:" prefixes) for which the entry is shown as the current page
    current: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def is_current(self, view_name: str) -> bool:
        names = self.current or (self.url_name,)
        return any(view_name == n or (n.endswith(":") and view_name.startswith(n)) for n in names)


def _n(key: str, label: str, url_name: str, *current: str) -> NavItem:
    return NavItem(key, pgettext_lazy("navigation", label), url_name, current)


HOME = _n("home", "Workbench", "home")
INBOX = _n("inbox", "Notifications", "cases:inbox")
CASES = _n("cases", "Cases", "cases:list", "cases:list", "cases:detail", "cases:map")
INTAKE = _n("intake", "Intake desk", "cases:intake")
PATROL = _n("patrol", "Patrol report", "cases:patrol")
PHONE = _n("phone", "Phone app", "phone:today", "phone:")
MY_REPORTS = _n("my_reports", "My reports", "my_reports")
UNIT_TASKS = _n("unit_tasks", "Unit tasks", "unit_tasks")
MY_DISPUTES = _n("my_disputes", "My disputes", "my_disputes")
MEDIATION = _n("mediation", "Mediation", "mediation:workbench", "mediation:")
# The judicial office (司法所) over the mediation committees of its street.
MEDIATION_SUPERVISION = _n(
    "mediation_supervision",
    "Mediation guidance",
    "mediation:supervision",
    "mediation:supervision",
    "mediation:supervision_case",
)
# Basic data (issue 18): the grid registries and key persons; the visits due list.
REGISTRY = _n("registry", "Basic data", "registry:residents", "registry:")
VISITS_DUE = _n("visits_due", "Visits due", "registry:visits_due", "registry:visits_due")
MONITOR = _n(
    "monitor", "Monitoring room", "analytics:dashboard", "analytics:dashboard", "analytics:cases"
)
SCREEN = _n("screen", "Big screen", "analytics:screen")
LEDGERS = _n("ledgers", "Ledgers", "analytics:ledgers", "analytics:ledgers", "analytics:report")
TERRITORY = _n("territory", "Territory", "territory:browser", "territory:")
# Issue 15: the case categories and routing rules, the administrator's daily reference data.
REFDATA = _n("refdata", "Categories and routing", "refdata:categories", "refdata:")
AUDIT = _n("audit", "Audit trail", "audit")
ACCOUNTABILITY = _n(
    "accountability", "Responsibility and assessment", "accountability:index", "accountability:"
)
# Issue 18: risks and warnings; screening campaigns and special operations.
RISK = _n("risk", "Risks and warnings", "risk:home", "risk:")
CAMPAIGNS = _n("campaigns", "Screening and operations", "campaigns:index", "campaigns:")
# Issue 19: public legal services (S7): the lawyers' queue, the network, the figures.
LEGAL = _n("legal", "Legal advice", "legal:index", "legal:")
# S5: emergency events, their structure, tasks and the situation view; plans and drills.
EMERGENCY = _n("emergency", "Emergency command", "emergency:index", "emergency:")
READ_LOG = _n("read_log", "Sensitive-read log", "read_log")
ADMIN = _n("admin", "Administration", "admin:index", "admin:")


def nav_for(access: Access) -> dict[str, bool]:
    """Which sections of the staff UI the user may open, by key; each page checks again."""
    case_view = access.has_perm(Perm.CASE_VIEW)
    stats = access.has_perm(Perm.STATS_VIEW)
    return {
        "home": bool(access.assignments),
        "inbox": case_view,
        "cases": case_view,
        "intake": access.has_perm(Perm.CASE_REGISTER),
        "patrol": access.has_role(Role.GRID_WORKER) and access.has_perm(Perm.CASE_REPORT),
        "my_reports": access.has_perm(Perm.CASE_REPORT),
        "phone": access.has_role(Role.GRID_WORKER) and access.has_perm(Perm.CASE_REPORT),
        "unit_tasks": access.has_role(*UNIT_ROLES) and access.has_perm(Perm.CASE_HANDLE),
        "my_disputes": access.has_perm(Perm.MEDIATION_HANDLE),
        "mediation": access.has_perm(Perm.MEDIATION_HANDLE),
        "mediation_supervision": access.has_perm(Perm.MEDIATION_SUPERVISE),
        "registry": access.has_perm(Perm.REGISTRY_VIEW),
        "visits_due": access.has_role(Role.GRID_WORKER) and access.has_perm(Perm.REGISTRY_VISIT),
        "monitor": stats,
        "screen": stats and access.has_role(Role.LEADER, Role.CENTER_STAFF),
        "ledgers": stats,
        "territory": access.has_perm(Perm.TERRITORY_VIEW),
        "refdata": access.has_role(Role.ADMIN) and access.has_perm(Perm.REFERENCE_EDIT),
        "audit": access.has_perm(Perm.AUDIT_VIEW),
        # The pages show each of these only what its leading group or member unit gives it.
        "accountability": access.has_role(Role.LEADER, Role.CENTER_STAFF, Role.UNIT_LIAISON),
        # Leaders and centre staff command; the pages show each user only their area's events.
        "emergency": access.has_role(Role.LEADER, Role.CENTER_STAFF),
        "read_log": access.has_perm(Perm.READLOG_VIEW),
        "admin": access.has_role(*ADMIN_SITE_ROLES)
        and any(access.has_perm(p) for p in ADMIN_PERMS),
        "risk": access.has_perm(Perm.RISK_VIEW),
        "campaigns": any(access.has_perm(p) for p in CAMPAIGN_PERMS),
        "legal": legal_may_open(access),
    }


# The order of the menu: daily work first, then reference and oversight.
NAV_ORDER = (
    HOME,
    INBOX,
    PHONE,
    PATROL,
    MY_REPORTS,
    INTAKE,
    CASES,
    UNIT_TASKS,
    MY_DISPUTES,
    MEDIATION,
    MEDIATION_SUPERVISION,
    VISITS_DUE,
    REGISTRY,
    RISK,
    CAMPAIGNS,
    LEGAL,
    MONITOR,
    SCREEN,
    LEDGERS,
    ACCOUNTABILITY,
    EMERGENCY,
    TERRITORY,
    REFDATA,
    AUDIT,
    READ_LOG,
    ADMIN,
)


def nav_items(
    access: Access, view_name: str = "", allowed: dict[str, bool] | None = None
) -> list[dict]:
    """The navigation entries the user may open, in menu order, the current one marked;
    `allowed`: nav_for(access) when the caller has it already (a check may cost a query)."""
    if allowed is None:
        allowed = nav_for(access)
    return [
        {"key": i.key, "label": i.label, "url": i.url, "current": i.is_current(view_name)}
        for i in NAV_ORDER
        if allowed.get(i.key)
    ]


def role_labels(access: Access) -> list[str]:
    """The display names of the user's roles, each once, in the order of `Role`."""
    held = access.roles
    return [str(label) for value, label in Role.choices if value in held]


def platform(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    access = access_for(user) if user is not None else None
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    nav = nav_for(access) if access is not None else {}
    return {
        "access": access,
        "nav": nav,
        "nav_items": nav_items(access, view_name, nav) if access is not None else [],
        "role_labels": role_labels(access) if access is not None else [],
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "MAP_TILE_SUBDOMAINS": settings.MAP_TILE_SUBDOMAINS,
        "MAP_LABEL_TILE_URL": settings.MAP_LABEL_TILE_URL,
    }
