"""Reference data of cases, edited by administrators (every change audited)."""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.cases.models import Category, Channel, DeadlinePolicy, RoutingRule


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "parent",
        "family",
        "kind",
        "public",
        "civil_dispute",
        "active",
        "sort",
    ]
    list_filter = ["family", "kind", "public", "civil_dispute", "active"]
    search_fields = ["code", "name"]


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    list_display = ["code", "name", "public", "active", "sort"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ["order", "name", "active", "category", "region", "channel", "min_risk",
                    "target_level", "target_unit"]  # fmt: skip
    list_editable = ["active"]
    autocomplete_fields = []


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdmin):
    list_display = ["name", "active", "kind", "category", "level", "priority",
                    "acknowledge_limit", "handle_limit", "verify_limit", "unit"]  # fmt: skip
    list_filter = ["kind", "priority", "unit", "active"]
