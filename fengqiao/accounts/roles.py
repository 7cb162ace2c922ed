"""Roles and what each may do. A role is always held over a scope (see RoleAssignment)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    STATION_STAFF = "station_staff", _("station staff")
    CENTER_STAFF = "center_staff", _("center staff")
    MEDIATOR = "mediator", _("mediator")
    # 司法所: guides the people's mediation committees of its street (人民调解法 art. 5).
    JUDICIAL_OFFICE = "judicial_office", _("judicial office supervisor")
    UNIT_LIAISON = "unit_liaison", _("member-unit liaison")
    LEADER = "leader", _("leader")
    ADMIN = "admin", _("administrator")
    # Separation of duties (等保 2.0 三员): the system administrator keeps the platform's data,
    # the security officer its accounts, roles and keys, the auditor reads the audit trail and
    # the read log. No account holds two of them (accounts.actions.assign_role).
    SECURITY_OFFICER = "security_officer", _("security officer")
    AUDITOR = "auditor", _("auditor")


# Roles of which an account holds at most one.
SEPARATED_ROLES = frozenset({Role.ADMIN, Role.SECURITY_OFFICER, Role.AUDITOR})


class Perm:
    """Capability codes. Views and services ask `access.scope(Perm.X)` or `access.can(Perm.X, obj)`."""

    TERRITORY_VIEW = "territory.view"
    TERRITORY_EDIT = "territory.edit"
    ORG_VIEW = "org.view"
    ORG_EDIT = "org.edit"
    STAFF_VIEW = "staff.view"
    STAFF_EDIT = "staff.edit"
    REFERENCE_EDIT = "reference.edit"
    AUDIT_VIEW = "audit.view"
    READLOG_VIEW = "audit.reads"  # the log of sensitive reads
    KEYS_EDIT = "keys.edit"  # API tokens, Open311 client keys
    SENSITIVE_VIEW = "sensitive.view"
    # Cases (issue 3) and later domains add their codes here.
    CASE_VIEW = "case.view"
    CASE_REPORT = "case.report"
    CASE_REGISTER = "case.register"
    CASE_TRIAGE = "case.triage"
    CASE_HANDLE = "case.handle"
    CASE_SUPERVISE = "case.supervise"
    CASE_VISIT = "case.visit"
    MEDIATION_HANDLE = "mediation.handle"
    # The judicial office's guidance: registers, dossiers, figures, reviews of hard cases.
    MEDIATION_SUPERVISE = "mediation.supervise"
    STATS_VIEW = "stats.view"
    # Basic data (issue 18): the grid registries and key persons; visits to key persons.
    REGISTRY_VIEW = "registry.view"
    REGISTRY_EDIT = "registry.edit"
    REGISTRY_VISIT = "registry.visit"
    # Risk, early warning, screening campaigns, special operations (issue 18).
    RISK_VIEW = "risk.view"
    RISK_HANDLE = "risk.handle"  # assess risks, work warnings
    RISK_RULES = "risk.rules"  # edit and dry-run warning rules
    SCREENING_RECORD = "screening.record"
    CAMPAIGN_MANAGE = "campaign.manage"
    OPERATION_REPORT = "operation.report"
    OPERATION_MANAGE = "operation.manage"


_VIEW = {Perm.TERRITORY_VIEW, Perm.ORG_VIEW, Perm.CASE_VIEW}
# Issue 18: who sees and works risks, warnings, campaigns and special operations.
_RISK: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({Perm.RISK_VIEW, Perm.SCREENING_RECORD}),
    Role.STATION_STAFF: frozenset({Perm.RISK_VIEW, Perm.RISK_HANDLE, Perm.SCREENING_RECORD}),
    Role.CENTER_STAFF: frozenset(
        {Perm.RISK_VIEW, Perm.RISK_HANDLE, Perm.RISK_RULES, Perm.CAMPAIGN_MANAGE}
        | {Perm.OPERATION_MANAGE, Perm.OPERATION_REPORT}
    ),
    Role.UNIT_LIAISON: frozenset({Perm.RISK_VIEW, Perm.RISK_HANDLE, Perm.OPERATION_REPORT}),
    Role.LEADER: frozenset({Perm.RISK_VIEW}),
    Role.ADMIN: frozenset({Perm.RISK_RULES}),
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset(
        _VIEW
        | {
            Perm.CASE_REPORT,
            Perm.CASE_HANDLE,
            Perm.CASE_VISIT,
            Perm.REGISTRY_VIEW,
            Perm.REGISTRY_EDIT,
            Perm.REGISTRY_VISIT,
        }
    ),
    Role.STATION_STAFF: frozenset(
        _VIEW
        | {
            Perm.STAFF_VIEW,
            Perm.CASE_REPORT,
            Perm.CASE_REGISTER,
            Perm.CASE_HANDLE,
            Perm.CASE_VISIT,
            Perm.STATS_VIEW,
            Perm.SENSITIVE_VIEW,
            Perm.REGISTRY_VIEW,
            Perm.REGISTRY_EDIT,
            Perm.REGISTRY_VISIT,
        }
    ),
    Role.CENTER_STAFF: frozenset(
        _VIEW
        | {
            Perm.STAFF_VIEW,
            Perm.CASE_REPORT,
            Perm.CASE_REGISTER,
            Perm.CASE_TRIAGE,
            Perm.CASE_HANDLE,
            Perm.CASE_SUPERVISE,
            Perm.CASE_VISIT,
            Perm.STATS_VIEW,
            Perm.SENSITIVE_VIEW,
            Perm.REGISTRY_VIEW,
            Perm.REGISTRY_EDIT,
        }
    ),
    Role.MEDIATOR: frozenset(
        _VIEW | {Perm.CASE_HANDLE, Perm.MEDIATION_HANDLE, Perm.SENSITIVE_VIEW}
    ),
    Role.UNIT_LIAISON: frozenset(_VIEW | {Perm.CASE_HANDLE, Perm.CASE_REGISTER}),
    # No case list of the street: only the mediations of its committees (mediation.supervise).
    Role.JUDICIAL_OFFICE: frozenset({Perm.TERRITORY_VIEW, Perm.ORG_VIEW, Perm.MEDIATION_SUPERVISE}),
    Role.LEADER: frozenset(
        _VIEW | {Perm.STAFF_VIEW, Perm.CASE_SUPERVISE, Perm.STATS_VIEW, Perm.REGISTRY_VIEW}
    ),
    Role.ADMIN: frozenset(
        _VIEW
        | {
            Perm.TERRITORY_EDIT,
            Perm.ORG_EDIT,
            Perm.STAFF_VIEW,
            Perm.REFERENCE_EDIT,
            Perm.STATS_VIEW,
        }
    ),
    # Accounts, roles and keys (API tokens, Open311 client keys) only, and they are the
    # security officer's alone: no reference data, no cases, no audit trail.
    Role.SECURITY_OFFICER: frozenset(
        {Perm.TERRITORY_VIEW, Perm.ORG_VIEW, Perm.STAFF_VIEW, Perm.STAFF_EDIT, Perm.KEYS_EDIT}
    ),
    # Reads the audit trail and the read log of its scope; changes nothing.
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW, Perm.READLOG_VIEW, Perm.STAFF_VIEW}),
}
for _role, _perms in _RISK.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms
