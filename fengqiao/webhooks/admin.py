"""Administrators read subscriptions, events and the delivery log, and replay failed deliveries."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.platform_admin import AuditedAdmin, ScopedInline
from fengqiao.accounts.roles import Perm
from fengqiao.webhooks import services
from fengqiao.webhooks.models import Delivery, DeliveryAttempt, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(AuditedAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    audit_hidden_fields = ("secret",)
    list_display = ["name", "url", "owner", "region", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    # Subscriptions are created by their owners (API); administrators may switch them off.
    fields = ["name", "url", "owner", "region", "event_types", "active", "created_at"]
    readonly_fields = ["url", "owner", "region", "event_types", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def scope_queryset(self, request, qs):
        return self.platform_access(request).visible(qs, self.admin_perm)


class AttemptInline(ScopedInline, admin.TabularInline):
    admin_perm = Perm.REFERENCE_EDIT
    model = DeliveryAttempt
    fields = ["at", "status_code", "duration_ms", "success", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditedAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    list_display = ["uuid", "event", "subscription", "state", "attempts", "next_attempt_at"]
    list_filter = ["state"]
    search_fields = ["uuid"]
    readonly_fields = [
        "uuid",
        "event",
        "subscription",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["replay"]

    def scope_queryset(self, request, qs):
        return self.platform_access(request).visible(qs, self.admin_perm)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Replay the selected failed deliveries"))
    def replay(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                services.replay_delivery(request.user, delivery.pk)
            except services.WebhookError as exc:
                self.message_user(request, f"{delivery.uuid}: {exc.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request, _("%(n)d deliveries queued again.") % {"n": done}, messages.SUCCESS
            )
