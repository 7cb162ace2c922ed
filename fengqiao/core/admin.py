"""Admin plumbing shared by every app: changes made in the admin are written to the audit trail."""

from django.contrib import admin
from django.db import transaction

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry, SensitiveAccess


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete through this admin appends an AuditEntry (who, when, old → new)."""

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj)
            action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
            audit.record(request.user, action, obj, audit.diff(before, after))

    def save_related(self, request, form, formsets, change):
        # Many-to-many changes (a worker's grids, a role's grids) are part of the record too.
        obj = form.instance
        m2m_before = {
            f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
            for f in obj._meta.many_to_many
            if change
        }
        super().save_related(request, form, formsets, change)
        m2m_after = {
            f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
            for f in obj._meta.many_to_many
        }
        changed = {
            k: [m2m_before.get(k, []), v]
            for k, v in m2m_after.items()
            if m2m_before.get(k, []) != v
        }
        if changed:
            audit.record(request.user, AuditEntry.Action.UPDATE, obj, changed)

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(
                request.user,
                AuditEntry.Action.DELETE,
                obj,
                {k: [v, None] for k, v in audit.snapshot(obj).items()},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(
                    request.user,
                    AuditEntry.Action.DELETE,
                    obj,
                    {k: [v, None] for k, v in audit.snapshot(obj).items()},
                )
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id"]


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "object_type", "object_id", "field", "purpose"]
