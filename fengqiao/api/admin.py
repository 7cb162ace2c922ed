"""Administrators issue, narrow to read-only and revoke API tokens here (through the services)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.platform_admin import AuditedAdmin, ReadOnlyAdmin
from fengqiao.accounts.roles import Perm
from fengqiao.api import tokens
from fengqiao.api.models import ApiToken, IdempotencyRecord


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    admin_perm = Perm.KEYS_EDIT
    list_display = [
        "prefix",
        "name",
        "user",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    ]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username", "user__name"]
    actions = ["revoke", "make_read_only"]

    def scope_queryset(self, request, qs):
        return qs.filter(user__in=tokens.manageable_users(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = tokens.manageable_users(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "read_only"]
        return [
            "user",
            "name",
            "prefix",
            "read_only",
            "created_at",
            "created_by",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Tokens change only through the actions (revoke, read-only), which are audited.
        return self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row stays as the record of who could call the API

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable on an existing token
        try:
            issued = tokens.issue_token(
                obj.user, actor=request.user, name=obj.name, read_only=obj.read_only
            )
        except PermissionDenied as exc:
            # The add form is already validated; fail loudly rather than pretend it was saved.
            raise PermissionDenied(str(exc)) from exc
        obj.pk = issued.token.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(
            request,
            gettext("The API token is %(secret)s — copy it now: it is shown only this once.")
            % {"secret": issued.secret},
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields; the service wrote the audit entry

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        done = 0
        for token in queryset.select_related("user"):
            try:
                tokens.revoke_token(token, actor=request.user)
                done += 1
            except PermissionDenied as exc:
                self.message_user(request, f"{token}: {exc}", messages.ERROR)
        self.message_user(request, gettext("%(n)d tokens revoked.") % {"n": done})

    @admin.action(description=_("Make the selected tokens read-only"))
    def make_read_only(self, request, queryset):
        done = 0
        for token in queryset.select_related("user"):
            try:
                tokens.set_read_only(token, True, actor=request.user)
                done += 1
            except PermissionDenied as exc:
                self.message_user(request, f"{token}: {exc}", messages.ERROR)
        self.message_user(request, gettext("%(n)d tokens made read-only.") % {"n": done})


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "owner", "method", "path", "status_code", "state", "expires_at"]
    list_filter = ["state", "method"]
    search_fields = ["key", "path", "owner"]
    exclude = ["body"]
