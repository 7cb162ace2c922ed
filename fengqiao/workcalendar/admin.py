from django.contrib import admin

from fengqiao.accounts.platform_admin import AuditedAdmin, ScopedInline
from fengqiao.workcalendar.models import CalendarOverride, HolidayNotice
from fengqiao.workcalendar.notices import notice_changed


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedAdmin):
    list_display = ["date", "is_workday", "name", "notice"]
    list_filter = ["is_workday", "notice"]
    search_fields = ["name", "note"]
    date_hierarchy = "date"


class NoticeDayInline(ScopedInline, admin.TabularInline):
    model = CalendarOverride
    fields = ["date", "is_workday", "name"]
    extra = 3


@admin.register(HolidayNotice)
class HolidayNoticeAdmin(AuditedAdmin):
    """A year's notice with its days off and make-up workdays; saving it recomputes the
    deadlines counted on that year's provisional holidays."""

    list_display = ["year", "title", "loaded_at", "loaded_by"]
    fields = ["year", "title", "note"]
    inlines = [NoticeDayInline]

    def save_model(self, request, obj, form, change):
        obj.loaded_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        notice_changed(form.instance)
