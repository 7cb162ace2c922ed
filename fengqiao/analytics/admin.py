"""The monitoring room's settings an administrator edits (every change audited)."""

from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.analytics.models import IndicatorDisplay


@admin.register(IndicatorDisplay)
class IndicatorDisplayAdmin(AuditedAdmin):
    list_display = ["indicator", "decimals", "rounding", "note"]
