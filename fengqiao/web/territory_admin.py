"""Admin for the territory: regions, grids, site types, and CSV / GeoJSON upload pages.

Saves and deletes go through `fengqiao.territory.services` (validation, audit, spatial index);
the forms run the same validators first so problems show next to the field. Permissions, lists
and choices follow `Perm.TERRITORY_EDIT` and its scope (see `fengqiao.accounts.platform_admin`).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.platform_admin import AuditedAdmin
from fengqiao.accounts.roles import Perm
from fengqiao.territory import imports, services
from fengqiao.territory.models import Grid, Region, SiteType

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ActorForm(forms.ModelForm):
    """A model form that knows who edits, to check the territory scope in `clean`."""

    def __init__(self, *args, actor: Any = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor


class ActorFormAdmin:
    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        actor = request.user

        class ScopedForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=actor, **kw)

        return ScopedForm


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    dry_run = forms.BooleanField(
        label=_("Only check the file, import nothing"), required=False, initial=False
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."), code="too_big")
        return f


class ImportViewMixin:
    """A custom admin page `<changelist>/import/` that uploads a file to an importer."""

    importer = None
    import_help = ""

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        # The admin site lets administrators in; the upload itself needs the territory capability.
        if not access_for(request.user).has_perm(Perm.TERRITORY_EDIT):
            raise PermissionDenied
        report = None
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = type(self).importer(
                upload.read(),
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                filename=upload.name[:100],
            )
            if report.ok and not report.dry_run:
                messages.success(request, report.summary())
                info = self.model._meta.app_label, self.model._meta.model_name
                return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(things)s") % {"things": self.model._meta.verbose_name_plural},
            "form": form,
            "report": report,
            "import_help": self.import_help,
        }
        return TemplateResponse(request, "admin/territory/import.html", context)


class RegionForm(ActorForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]

    def clean(self):
        data = super().clean()
        errors = services.region_errors(
            code=data.get("code") or "",
            level=data.get("level"),
            kind=data.get("kind") or "",
            parent=data.get("parent"),
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
        )
        parent = data.get("parent")
        if parent is not None and not services.can_edit_path(self.actor, parent.path):
            self.add_error("parent", _("You may not edit the territory of this region."))
            return data
        if parent is None and self.actor is not None:
            self.add_error("parent", _("Only the system may add or move top-level regions."))
            return data
        if self.instance.pk is None and data.get("code"):
            services.version_errors(data["code"], data.get("valid_from"), errors=errors)
        for field_name, errs in errors.items():
            target = field_name if field_name in self.fields else None
            if target is None or target not in self.errors:
                self.add_error(target, errs)
        return data

    def validate_unique(self) -> None:
        # (code, valid_from) versions are checked by the services with a clearer message.
        pass


@admin.register(Region)
class RegionAdmin(ImportViewMixin, ActorFormAdmin, AuditedAdmin):
    admin_perm = Perm.TERRITORY_EDIT
    form = RegionForm
    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    change_list_template = "admin/territory/region/change_list.html"
    importer = staticmethod(imports.import_regions)
    import_help = _(
        "A CSV file (UTF-8) with the columns code, name, level or kind, parent_code, valid_from, "
        "valid_to. Dates are YYYY-MM-DD. A row with a known code and a later valid_from adds a "
        "new version and closes the previous one."
    )

    def scope_queryset(self, request, qs):
        return access_for(request.user).regions(Perm.TERRITORY_EDIT, qs)

    def save_model(self, request, obj, form, change):
        services.save_region(request.user, obj)

    def delete_model(self, request, obj):
        services.delete_region(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_region(request.user, obj)


class GridForm(ActorForm):
    boundary = forms.JSONField(
        label=_("boundary (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("A GeoJSON Polygon or MultiPolygon in WGS 84 longitude/latitude."),
    )

    class Meta:
        model = Grid
        fields = ["code", "name", "community", "kind", "site_type", "boundary", "active"]

    def clean(self):
        data = super().clean()
        community = data.get("community")
        if community is not None and not services.can_edit_path(self.actor, community.path):
            self.add_error("community", _("You may not edit the territory of this region."))
            return data
        if "boundary" not in data or "code" not in data:
            return data
        try:
            services.validate_grid(
                code=data["code"],
                community=community,
                boundary=data["boundary"],
                exclude_pk=self.instance.pk,
                check_overlaps=data.get("active", True),
            )
        except ValidationError as exc:
            for field_name, errs in exc.error_dict.items():
                if field_name not in self.errors:
                    self.add_error(field_name, errs)
        return data

    def validate_unique(self) -> None:
        # The grid validator reports a taken code already.
        pass


@admin.register(Grid)
class GridAdmin(ImportViewMixin, ActorFormAdmin, AuditedAdmin):
    admin_perm = Perm.TERRITORY_EDIT
    form = GridForm
    list_display = ["code", "name", "community", "kind", "site_type", "active", "updated_at"]
    list_filter = ["kind", "active", "site_type"]
    search_fields = ["code", "name", "community__name"]
    list_select_related = ["community", "site_type"]
    change_list_template = "admin/territory/grid/change_list.html"
    importer = staticmethod(imports.import_grids)
    import_help = _(
        "A GeoJSON FeatureCollection of Polygon or MultiPolygon features in WGS 84. Properties: "
        "code (15 digits: the community code and 001–999), name, community_code, kind (basic or "
        "dedicated) and optionally site_type (a site type code)."
    )

    def scope_queryset(self, request, qs):
        return access_for(request.user).grids(Perm.TERRITORY_EDIT, qs)

    def save_model(self, request, obj, form, change):
        services.save_grid(request.user, obj)

    def delete_model(self, request, obj):
        services.delete_grid(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_grid(request.user, obj)


@admin.register(SiteType)
class SiteTypeAdmin(AuditedAdmin):
    admin_perm = Perm.TERRITORY_EDIT
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
