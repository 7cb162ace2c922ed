"""Administration of staff accounts and their role assignments, within the admin's scope."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access
from fengqiao.accounts.models import RoleAssignment, ScopeType, User
from fengqiao.accounts.roles import Perm
from fengqiao.core import audit
from fengqiao.core.admin import HIDDEN, AuditedAdmin, ScopedInline
from fengqiao.core.masking import mask_phone
from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Grid


def assignments_in_scope(access: Access, perm: str, qs: QuerySet) -> QuerySet:
    """Role assignments whose region, unit or every grid lies inside the scope of `perm`."""
    scope = access.scope(perm)
    outside_grids = Grid.objects.exclude(pk__in=access.grids(perm).values("pk"))
    with_outside_grid = RoleAssignment.grids.through.objects.filter(grid__in=outside_grids).values(
        "roleassignment_id"
    )
    return qs.filter(
        (Q(scope_type=ScopeType.REGION) & scope.q(path="region__path"))
        | Q(scope_type=ScopeType.UNIT, unit__in=access.units(perm))
        | (Q(scope_type=ScopeType.GRIDS) & ~Q(pk__in=with_outside_grid))
    )


def users_in_scope(access: Access, perm: str, qs: QuerySet) -> QuerySet:
    """Accounts all of whose active assignments, and whose unit, lie inside the scope of `perm`.

    Accounts with neither unit nor role (just created, or retired) are visible to every
    administrator, so that someone can give them a role.
    """
    if access.scope(perm).empty:
        return qs.none()
    active = RoleAssignment.objects.filter(active=True)
    outside = active.exclude(pk__in=assignments_in_scope(access, perm, active).values("pk"))
    return qs.filter(Q(unit__isnull=True) | Q(unit__in=access.units(perm))).exclude(
        pk__in=outside.values("user_id")
    )


class StaffCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "name", "phone", "unit")


class StaffChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class RoleAssignmentInline(ScopedInline, admin.TabularInline):
    model = RoleAssignment
    admin_perm = Perm.STAFF_EDIT
    extra = 0
    fields = ["role", "scope_type", "region", "unit", "grids", "active"]
    filter_horizontal = ["grids"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return assignments_in_scope(self.platform_access(request), self.admin_perm, qs)


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
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
    filter_horizontal: list[str] = []

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return users_in_scope(self.platform_access(request), self.admin_perm, qs)

    def save_model(self, request, obj, form, change):
        if not change:
            # A password an administrator chose is known to two people: the owner replaces it.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
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
