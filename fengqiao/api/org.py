"""REST endpoints for units and staff, scoped like the UI (read-only; both are edited in the admin).

Units: those `access_for(user).units(Perm.ORG_VIEW)` returns, as in the territory browser.
Staff: active accounts whose unit lies in the user's Perm.STAFF_VIEW scope; phone numbers
masked, as in the staff admin list.
"""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import RoleAssignment, User
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.core.masking import mask_phone
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Region


class UnitSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    sector = serializers.CharField(source="sector.code", read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "sector",
            "region",
            "region_code",
            "parent",
            "address",
            "phone",
            "active",
        ]
        read_only_fields = fields


class UnitFilters(serializers.Serializer):
    kind = serializers.ChoiceField(UnitKind.choices, required=False)
    region = serializers.CharField(
        required=False, max_length=20, help_text=_("A region code: units in its subtree.")
    )
    active = strict.BooleanField(required=False, allow_null=True, default=None)


def _region_subtree(qs: QuerySet, code: str, field: str) -> QuerySet:
    region = Region.objects.filter(code=code).first()
    if region is None:
        return qs.none()
    return qs.filter(**{f"{field}__path__startswith": region.path})


class UnitList(generics.ListAPIView):
    """Units you may see, ordered by region code, kind and name."""

    serializer_class = UnitSerializer

    @extend_schema(parameters=[UnitFilters])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        filters = UnitFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = access_for(self.request.user).units(Perm.ORG_VIEW).select_related("region", "sector")
        if f.get("kind"):
            qs = qs.filter(kind=f["kind"])
        if f.get("region"):
            qs = _region_subtree(qs, f["region"], "region")
        if f.get("active") is not None:
            qs = qs.filter(active=f["active"])
        return qs.order_by("region__code", "kind", "name", "id")


class StaffRoleSerializer(serializers.ModelSerializer):
    # Plain strings, as in /api/v1/me/ (role codes: fengqiao.accounts.roles.Role).
    role = serializers.CharField(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    scope_type = serializers.CharField(read_only=True)
    region = serializers.CharField(source="region.code", read_only=True, allow_null=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "role_label", "scope_type", "region", "unit"]
        read_only_fields = fields


class StaffSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True, allow_null=True)
    phone = serializers.SerializerMethodField(help_text=_("Masked: 139****1234."))
    roles = StaffRoleSerializer(source="active_roles", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "unit", "unit_name", "phone", "roles"]
        read_only_fields = fields

    def get_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)


class StaffFilters(serializers.Serializer):
    unit = strict.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text=_("Only staff of this unit.")
    )
    region = serializers.CharField(
        required=False, max_length=20, help_text=_("A region code: staff of units in its subtree.")
    )


class StaffList(generics.ListAPIView):
    """Active staff of the units in your staff scope, ordered by unit and username."""

    serializer_class = StaffSerializer

    @extend_schema(parameters=[StaffFilters])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        filters = StaffFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        units = access_for(self.request.user).units(Perm.STAFF_VIEW)
        qs = User.objects.filter(is_active=True, unit__in=units)
        if f.get("unit"):
            qs = qs.filter(unit_id=f["unit"])
        if f.get("region"):
            qs = _region_subtree(qs, f["region"], "unit__region")
        roles = RoleAssignment.objects.filter(active=True).select_related("region")
        return (
            qs.select_related("unit")
            .prefetch_related(Prefetch("assignments", queryset=roles, to_attr="active_roles"))
            .order_by("unit__name", "username", "id")
        )
