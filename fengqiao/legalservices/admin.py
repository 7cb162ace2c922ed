"""The network (points, lawyers, duty hours), the topics and the legal-aid case types as data
(every change audited). Questions change only through the actions (pages and API)."""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.accounts.roles import Perm

from .models import AidCaseType, Lawyer, ServicePoint, Topic


class ScopedByRegion(AuditedAdmin):
    admin_perm = Perm.ORG_EDIT
    path = "region__path"

    def scope_queryset(self, request, qs):
        scope = self.platform_access(request).scope(self.admin_perm)
        return qs.filter(scope.q(path=self.path))


class LawyerInline(admin.TabularInline):
    model = Lawyer
    extra = 0
    raw_id_fields = ["user"]


@admin.register(ServicePoint)
class ServicePointAdmin(ScopedByRegion):
    list_display = ["name", "level", "region", "parent", "duty_hours", "active"]
    list_filter = ["level", "active"]
    raw_id_fields = ["region", "parent"]
    filter_horizontal = ["staff"]
    inlines = [LawyerInline]


@admin.register(Lawyer)
class LawyerAdmin(ScopedByRegion):
    path = "point__region__path"
    list_display = ["name", "firm", "point", "phone", "active"]
    raw_id_fields = ["user", "point"]


@admin.register(Topic)
class TopicAdmin(AuditedAdmin):
    list_display = ["name", "code", "sort", "active"]


@admin.register(AidCaseType)
class AidCaseTypeAdmin(AuditedAdmin):
    list_display = ["name", "code", "no_means_test", "sort", "active"]
