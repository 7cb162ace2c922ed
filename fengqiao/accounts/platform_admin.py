"""Admin plumbing shared by every app.

* The admin site is open to active accounts holding the administrator role only (not to
  `is_staff`, and there is no superuser bypass): see `admin_site_allowed`.
* `PlatformAdminMixin` makes a ModelAdmin's permissions follow a platform capability
  (`admin_perm`, e.g. Perm.ORG_EDIT) instead of Django's per-model permissions, scopes its
  queryset (`scope_queryset`) and the choices of its region / unit / grid fields to the
  administrator's scope.
* `AuditedAdmin` (which includes the mixin) writes every save and delete, inlines included, to
  the audit trail: who, when, what changed from what.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm, Role
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry, ChainAnchor, SensitiveAccess

HIDDEN = "***"


# Who may enter the admin site: each ModelAdmin then asks for its own capability (the security
# officer sees accounts, the auditor the read-only logs, the administrator reference data).
ADMIN_SITE_ROLES = (Role.ADMIN, Role.SECURITY_OFFICER, Role.AUDITOR)


def admin_site_allowed(request: HttpRequest) -> bool:
    """The admin site is for active accounts that hold the administrator, security officer or
    auditor role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return access_for(user).has_role(*ADMIN_SITE_ROLES)


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin has no login form of its own: anonymous users go to the platform's login page,
    logged-in users without the administrator role are refused."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if admin_site_allowed(request):
        return HttpResponseRedirect(target)
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(target, reverse("login"))


# The default site keeps its URLs and registry; only who may enter changes.
admin.site.has_permission = admin_site_allowed  # type: ignore[method-assign]
admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.site_header = _("Fengqiao safety construction and governance platform administration")
admin.site.site_title = _("Fengqiao administration")
admin.site.index_title = _("Reference data")
admin.site.site_url = "/"


if TYPE_CHECKING:
    _AdminBase = BaseModelAdmin[Any]
else:
    _AdminBase = object


class PlatformAdminMixin(_AdminBase):
    """Permissions from a platform capability, querysets and choices within the admin's scope."""

    # The capability that opens this admin; reference data by default.
    admin_perm: str = Perm.REFERENCE_EDIT
    # Fields whose values never go into the audit trail (only that they changed).
    audit_hidden_fields: tuple[str, ...] = ()

    def platform_access(self, request: HttpRequest) -> Access:
        return access_for(request.user)

    def _allowed(self, request: HttpRequest) -> bool:
        return admin_site_allowed(request) and self.platform_access(request).has_perm(
            self.admin_perm
        )

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        """Rows this administrator may see and edit. Unscoped reference data by default."""
        return qs

    def in_scope(self, request: HttpRequest, obj: models.Model) -> bool:
        qs = type(obj)._default_manager.filter(pk=obj.pk)
        return self.scope_queryset(request, qs).exists()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and (
            obj is None or obj.pk is None or self.in_scope(request, obj)
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def scoped_choices(
        self, request: HttpRequest, model: type[models.Model]
    ) -> QuerySet[Any] | None:
        """The choices of a region / unit / grid field: only those in the admin's scope."""
        from fengqiao.org.models import Unit
        from fengqiao.territory.models import Grid, Region

        access = self.platform_access(request)
        if issubclass(model, Region):
            return access.regions(self.admin_perm)
        if issubclass(model, Unit):
            return access.units(self.admin_perm)
        if issubclass(model, Grid):
            return access.grids(self.admin_perm)
        return None

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        scoped = self.scoped_choices(request, db_field.related_model)
        if scoped is not None:
            base = kwargs.get("queryset")
            kwargs["queryset"] = scoped if base is None else base.filter(pk__in=scoped.values("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        scoped = self.scoped_choices(request, db_field.related_model)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _full_snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete fields plus many-to-many ids (sorted), for objects already saved."""
    data = audit.snapshot(obj)
    if obj.pk is not None:
        for f in obj._meta.many_to_many:
            data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return data


def _hide(changes: dict[str, list[Any]], hidden: tuple[str, ...]) -> dict[str, list[Any]]:
    """Keep the fact that a hidden field (a password hash) changed, never its value."""
    return {
        k: ([None if v[0] is None else HIDDEN, HIDDEN] if k in hidden else v)
        for k, v in changes.items()
    }


class AuditedAdmin(PlatformAdminMixin, admin.ModelAdmin[Any]):
    """Every save and delete through this admin appends an AuditEntry (who, when, old → new)."""

    def _record(self, request: HttpRequest, action: str, obj: Any, changes: dict[str, Any]) -> None:
        audit.record(request.user, action, obj, _hide(changes, self.audit_hidden_fields))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj)
            action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
            self._record(request, action, obj, audit.diff(before, after))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
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
            self._record(request, AuditEntry.Action.UPDATE, obj, changed)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Inline rows (a user's role assignments) are recorded one by one.
        model = formset.model
        before: dict[Any, dict[str, Any]] = {}
        for f in formset.initial_forms:
            if f.instance.pk is not None and f.has_changed():
                stored = model._default_manager.filter(pk=f.instance.pk).first()
                if stored is not None:
                    before[stored.pk] = _full_snapshot(stored)
        for f in getattr(formset, "deleted_forms", []):
            if f.instance.pk is not None:
                snap = _full_snapshot(f.instance)
                self._record(
                    request,
                    AuditEntry.Action.DELETE,
                    f.instance,
                    {k: [v, None] for k, v in snap.items()},
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            snap = _full_snapshot(obj)
            self._record(request, AuditEntry.Action.CREATE, obj, audit.diff({}, snap))
        for obj, _fields in formset.changed_objects:
            changes = audit.diff(before.get(obj.pk, {}), _full_snapshot(obj))
            if changes:
                self._record(request, AuditEntry.Action.UPDATE, obj, changes)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._record(
                request,
                AuditEntry.Action.DELETE,
                obj,
                {k: [v, None] for k, v in audit.snapshot(obj).items()},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record(
                    request,
                    AuditEntry.Action.DELETE,
                    obj,
                    {k: [v, None] for k, v in audit.snapshot(obj).items()},
                )
            super().delete_queryset(request, queryset)


class ScopedInline(PlatformAdminMixin):
    """Mix into a TabularInline/StackedInline: the capability decides, rows are scoped.

    Django passes the parent object to an inline's permission checks; the parent admin has
    already checked that one, so it is not checked again here.
    """

    def in_scope(self, request: HttpRequest, obj: models.Model) -> bool:
        return True


class ReadOnlyAdmin(PlatformAdminMixin, admin.ModelAdmin[Any]):
    """The logs: nobody adds, changes or deletes a row here, whatever their role."""

    admin_perm = Perm.AUDIT_VIEW

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedLogAdmin(ReadOnlyAdmin):
    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        return self.platform_access(request).visible(qs, self.admin_perm)


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedLogAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id"]


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ScopedLogAdmin):
    admin_perm = Perm.READLOG_VIEW
    list_display = ["at", "actor", "object_type", "object_id", "field", "purpose"]


@admin.register(ChainAnchor)
class ChainAnchorAdmin(ReadOnlyAdmin):
    list_display = ["at", "chain", "seq", "event", "hash"]
    search_fields = ["chain"]
