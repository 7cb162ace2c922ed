"""Administrators edit Open311 service descriptions and attributes (reference data, audited) and
issue and revoke client keys (through fengqiao.open311.clients)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.platform_admin import AuditedAdmin, ScopedInline
from fengqiao.accounts.roles import Perm
from fengqiao.api.tokens import manageable_users
from fengqiao.open311 import clients
from fengqiao.open311.models import (
    LIST_DATATYPES,
    AttributeValue,
    Open311Client,
    ServiceAttribute,
    ServiceInfo,
)


@admin.register(ServiceInfo)
class ServiceInfoAdmin(AuditedAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    list_display = ["category", "keywords"]
    search_fields = ["category__code", "category__name", "keywords"]


class AttributeValueInline(ScopedInline, admin.TabularInline):
    admin_perm = Perm.REFERENCE_EDIT
    model = AttributeValue
    extra = 1
    fields = ["key", "name", "sort"]


class AttributeValuesFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        attribute = self.instance
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("key")
        ]
        if attribute.datatype in LIST_DATATYPES and not kept:
            raise ValidationError(gettext("A list attribute needs at least one option."))


AttributeValueInline.formset = AttributeValuesFormSet


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(AuditedAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    list_display = ["category", "order", "code", "datatype", "required", "variable", "active"]
    list_filter = ["datatype", "required", "active"]
    search_fields = ["code", "description", "category__code", "category__name"]
    inlines = [AttributeValueInline]


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedAdmin):
    admin_perm = Perm.KEYS_EDIT
    list_display = [
        "name",
        "prefix",
        "channel",
        "account",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["channel", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account":
            kwargs["queryset"] = manageable_users(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "channel", "account"]
        return ["name", "prefix", "channel", "account", "created_at", "created_by",
                "last_used_at", "revoked_at"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # A key changes only through the revoke action (audited); issue a new one otherwise.
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row records who could submit

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:

            class BindingForm(form):
                def clean(self):
                    data = super().clean()
                    if data.get("channel") is not None:
                        clients.check_binding(data["channel"], data.get("account"))
                    return data

            return BindingForm
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            issued = clients.issue_client(
                obj.name, obj.channel, actor=request.user, account=obj.account
            )
        except (PermissionDenied, ValidationError) as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = issued.client.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(
            request,
            gettext("The Open311 api_key is %(secret)s — copy it now: it is shown only this once.")
            % {"secret": issued.secret},
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields; the service wrote the audit entry

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        done = 0
        for client in queryset:
            clients.revoke_client(client, actor=request.user)
            done += 1
        self.message_user(request, gettext("%(n)d keys revoked.") % {"n": done})
