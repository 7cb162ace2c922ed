"""Reference data of the basic data, edited by administrators without code (every change
audited): X extension kinds and their typed fields, key person kinds with their visit
schedules, place kinds, retention rules."""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin, ScopedInline
from fengqiao.registry.models import (
    KeyPersonKind,
    PlaceKind,
    RegistryField,
    RegistryKind,
    RetentionRule,
)


class RegistryFieldInline(ScopedInline, admin.TabularInline):
    model = RegistryField
    extra = 1
    fields = ["order", "code", "label", "type", "required", "choices", "max_length"]


@admin.register(RegistryKind)
class RegistryKindAdmin(AuditedAdmin):
    list_display = ["code", "name", "base", "active"]
    list_editable = ["active"]
    inlines = [RegistryFieldInline]


@admin.register(KeyPersonKind)
class KeyPersonKindAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "group",
        "visit_interval_days",
        "has_risk_levels",
        "helping_sector",
        "retention_days",
        "active",
    ]
    list_editable = ["active"]


@admin.register(PlaceKind)
class PlaceKindAdmin(AuditedAdmin):
    list_display = ["code", "name", "area", "active"]
    list_editable = ["active"]


@admin.register(RetentionRule)
class RetentionRuleAdmin(AuditedAdmin):
    list_display = ["subject", "days", "active"]
    list_editable = ["days", "active"]
