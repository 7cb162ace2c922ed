"""Administration of the organisation: sectors (reference data), units and grid workers."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.accounts.roles import Perm
from fengqiao.core.masking import mask_phone
from fengqiao.org.models import GridWorker, Sector, Unit


@admin.register(Sector)
class SectorAdmin(AuditedAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    admin_perm = Perm.ORG_EDIT
    list_display = ["name", "kind", "region", "parent", "sector", "active"]
    list_filter = ["kind", "active", "sector"]
    search_fields = ["name", "short_name", "region__name", "region__code"]
    list_select_related = ["region", "parent", "sector"]
    autocomplete_fields: list[str] = []

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return self.platform_access(request).units(self.admin_perm, qs)


@admin.register(GridWorker)
class GridWorkerAdmin(AuditedAdmin):
    admin_perm = Perm.ORG_EDIT
    list_display = ["__str__", "employment_type", "background", "station", "masked_phone", "active"]
    list_filter = ["employment_type", "background", "active"]
    search_fields = ["user__name", "user__username", "grids__code", "grids__name"]
    list_select_related = ["user", "station"]
    filter_horizontal = ["grids"]

    @admin.display(description=_("work phone"))
    def masked_phone(self, obj: GridWorker) -> str:
        return mask_phone(obj.phone)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return self.platform_access(request).grid_workers(self.admin_perm, qs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = self.platform_access(request).users(self.admin_perm)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
