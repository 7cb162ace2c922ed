"""The leading group, member units and the assessment scheme as data (every change audited).
Letters, reports and results change only through the actions (pages and API)."""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.accounts.roles import Perm

from .models import (
    AdjustmentRule,
    GroupMember,
    LeadingGroup,
    MemberUnit,
    Scheme,
    SchemeIndicator,
)


class ScopedByDistrict(AuditedAdmin):
    """Rows of the leading groups of the districts the administrator's scope holds."""

    admin_perm = Perm.ORG_EDIT
    path = "region__path"

    def scope_queryset(self, request, qs):
        scope = self.platform_access(request).scope(self.admin_perm)
        return qs.filter(scope.q(path=self.path))


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0


@admin.register(LeadingGroup)
class LeadingGroupAdmin(ScopedByDistrict):
    list_display = ["year", "name", "region"]
    inlines = [GroupMemberInline]


@admin.register(MemberUnit)
class MemberUnitAdmin(ScopedByDistrict):
    path = "group__region__path"
    list_display = ["unit", "group", "sort"]
    list_filter = ["group"]
    filter_horizontal = ["liaisons"]


class IndicatorInline(admin.TabularInline):
    model = SchemeIndicator
    extra = 0


class RuleInline(admin.TabularInline):
    model = AdjustmentRule
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(ScopedByDistrict):
    path = "group__region__path"
    list_display = ["name", "group", "subject_kind", "period_start", "period_end"]
    inlines = [IndicatorInline, RuleInline]
