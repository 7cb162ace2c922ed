"""Administration of staff accounts and their role assignments, within the admin's scope."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts import twofactor
from fengqiao.accounts.actions import separation_error
from fengqiao.accounts.models import RoleAssignment, User
from fengqiao.accounts.platform_admin import HIDDEN, AuditedAdmin, ScopedInline
from fengqiao.accounts.roles import Perm
from fengqiao.core import audit
from fengqiao.core.masking import mask_phone
from fengqiao.core.models import AuditEntry


class StaffCreationForm(AdminUserCreationForm[User]):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "name", "phone", "unit")


class StaffChangeForm(UserChangeForm[User]):
    class Meta(UserChangeForm.Meta):
        model = User


class RoleAssignmentFormSet(BaseInlineFormSet[RoleAssignment, User, Any]):
    """Separation of duties over the whole form: the rows kept active here plus the account's
    active assignments outside the administrator's scope (not shown) hold at most one of
    administrator, security officer and auditor."""

    def clean(self) -> None:
        super().clean()
        roles = []
        shown = set()
        for form in self.forms:
            if form.instance.pk is not None:
                shown.add(form.instance.pk)
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not data.get("active", True):
                continue
            roles.append(data.get("role", ""))
        if self.instance.pk is not None:
            roles += list(
                RoleAssignment.objects.filter(user=self.instance, active=True)
                .exclude(pk__in=shown)
                .values_list("role", flat=True)
            )
        error = separation_error(roles)
        if error is not None:
            raise error.error_dict["role"][0]


class RoleAssignmentInline(ScopedInline, admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    formset = RoleAssignmentFormSet
    admin_perm = Perm.STAFF_EDIT
    extra = 0
    fields = ["role", "scope_type", "region", "unit", "grids", "active"]
    filter_horizontal = ["grids"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        return self.platform_access(request).role_assignments(self.admin_perm, qs)


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin[User]):
    admin_perm = Perm.STAFF_EDIT
    audit_hidden_fields = ("password",)
    inlines = [RoleAssignmentInline]
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ["username", "name", "unit", "masked_phone", "is_active", "last_login"]
    list_filter = ["is_active", "assignments__role"]
    search_fields = ["username", "name", "unit__name"]
    list_select_related = ["unit"]
    ordering = ["username"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["name", "phone", "email", "unit"]}),
        (
            _("Status"),
            {"fields": ["is_active", "must_change_password", "last_login", "date_joined"]},
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "password1", "password2", "name", "phone", "unit"],
            },
        ),
    ]
    filter_horizontal = ()
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor login (lost phone)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for user in queryset:
            try:
                twofactor.reset(user, actor=request.user)
                done += 1
            except PermissionDenied as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
        self.message_user(
            request, gettext("Two-factor login reset for %(n)d accounts.") % {"n": done}
        )

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        return self.platform_access(request).users(self.admin_perm, qs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            # A password an administrator chose is known to two people: the owner replaces it.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, id)
                if user is not None:
                    if user.pk != request.user.pk:
                        user.must_change_password = True
                        user.save(update_fields=["must_change_password"])
                    # That the password changed is recorded, never the hash.
                    audit.record(
                        request.user,
                        AuditEntry.Action.UPDATE,
                        user,
                        {"password": [HIDDEN, HIDDEN]},
                    )
        return response


# django-otp's own device admins would show device secrets: devices change only through
# fengqiao.accounts.twofactor (the owner's security page, the reset action above).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
