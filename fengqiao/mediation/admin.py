"""Reference data of people's mediation, edited by administrators (every change audited).

Mediators join and leave committees through `actions.add_mediator` / `remove_mediator`, which
enforce the committee size (art. 8); the admin only edits specialties and committee settings.
"""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.mediation.models import CommitteeSetting, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(AuditedAdmin):
    list_display = ["code", "name", "active", "sort"]
    list_editable = ["active", "sort"]


@admin.register(CommitteeSetting)
class CommitteeSettingAdmin(AuditedAdmin):
    list_display = ["committee", "doc_prefix", "time_limit_working_days"]
