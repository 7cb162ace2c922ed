"""REST writes of houses, households, places and organisations (/api/v1/registry/<registry>/):
the desk's field specs (`records.SPECS`) and its one action (`records.save_record`), so the API
and the pages share validation, scope (registry.edit over the grid; 404 outside it), history
and audit. Phones are write-only in clear and read masked unless the caller may see them (each
clear read logged). A household's members are the residents linked to it: read here, changed
through a resident's `household`."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError
from fengqiao.core.masking import batched_sensitive_reads
from fengqiao.registry import records, services
from fengqiao.registry.api import (
    HouseholdList,
    HouseholdSerializer,
    HouseList,
    HouseSerializer,
    OrganisationList,
    OrganisationSerializer,
    PlaceList,
    PlaceSerializer,
    _access,
    _error,
)
from fengqiao.registry.models import Household, Resident

# The same pattern as a resident's phone (a mobile number or a fixed line with its area code).
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|(0[0-9]{2,3}-?)?[2-9][0-9]{6,7})?$"

KINDS = ("houses", "households", "places", "organisations")


def _input_field(spec: records.Spec, f: records.Field, create: bool) -> serializers.Field:
    required = create and f.required
    if f.type == "phone":
        return serializers.RegexField(
            PHONE_PATTERN, max_length=30, required=False, allow_blank=True, write_only=True
        )
    model_field: Any = records._field(spec, f.name)
    if f.type == "text":
        max_length = getattr(model_field, "max_length", None) or 2000
        return serializers.CharField(
            max_length=max_length, required=required, allow_blank=not required
        )
    if f.type == "choice":
        return serializers.ChoiceField(model_field.choices, required=required)
    if f.type == "bool":
        return strict.BooleanField(required=False)
    if f.type == "date":
        return serializers.DateField(required=False, allow_null=True)
    if f.type == "decimal":
        return serializers.DecimalField(
            max_digits=9, decimal_places=2, min_value=0, required=False, allow_null=True
        )
    if f.type == "coord":
        limit = 180 if f.name == "lon" else 90
        return strict.FloatField(min_value=-limit, max_value=limit, required=False, allow_null=True)
    if f.type == "int":
        return strict.IntegerField(min_value=0, max_value=10**7, required=False, allow_null=True)
    if f.type == "place_kind":
        return strict.IntegerField(min_value=1, required=required)
    if f.type == "house":
        return strict.IntegerField(min_value=1, required=False, allow_null=True)
    raise ValueError(f.type)


def _input_serializer(slug: str, create: bool) -> type[serializers.Serializer]:
    spec = records.SPECS[slug]
    attrs: dict[str, Any] = {
        "grid": strict.IntegerField(min_value=1, required=create),
        **{f.name: _input_field(spec, f, create) for f in spec.fields},
        "extra": serializers.DictField(required=False),
    }
    name = spec.model.__name__ + ("Create" if create else "Input") + "Serializer"
    return type(name, (serializers.Serializer,), attrs)


class HouseDetailSerializer(HouseSerializer):
    owner_phone = serializers.SerializerMethodField()

    class Meta(HouseSerializer.Meta):
        fields = [*HouseSerializer.Meta.fields, "owner_phone", "ended_on", "version"]

    def get_owner_phone(self, obj: Any) -> str:
        return _phone(self, obj, "owner_phone")


class HouseholdDetailSerializer(HouseholdSerializer):
    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "ended_on", "version"]

    def get_members(self, obj: Household) -> list[int]:
        # Only the members the caller may see (a resident of another grid stays hidden).
        access: Access = self.context["access"]
        qs = services.visible(access, Resident).filter(household=obj)
        return list(qs.order_by("id").values_list("pk", flat=True)[:500])


class PlaceDetailSerializer(PlaceSerializer):
    principal_phone = serializers.SerializerMethodField()

    class Meta(PlaceSerializer.Meta):
        fields = [*PlaceSerializer.Meta.fields, "principal_phone", "notes", "ended_on", "version"]

    def get_principal_phone(self, obj: Any) -> str:
        return _phone(self, obj, "principal_phone")


class OrganisationDetailSerializer(OrganisationSerializer):
    phone = serializers.SerializerMethodField()

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "phone", "ended_on", "version"]

    def get_phone(self, obj: Any) -> str:
        return _phone(self, obj, "phone")


def _phone(ser: serializers.Serializer, obj: Any, field: str) -> str:
    """The phone masked unless the caller may see it in clear (that read logged)."""
    access: Access = ser.context["access"]
    allowed = services.may_see_sensitive(access, obj)
    return services.disclosed(access, obj, field, allowed=allowed, purpose="api")


OUTPUT: dict[str, type[serializers.ModelSerializer]] = {
    "houses": HouseDetailSerializer,
    "households": HouseholdDetailSerializer,
    "places": PlaceDetailSerializer,
    "organisations": OrganisationDetailSerializer,
}
CREATE = {slug: _input_serializer(slug, True) for slug in KINDS}
UPDATE = {slug: _input_serializer(slug, False) for slug in KINDS}


def _shown(slug: str, obj: Any, access: Access) -> Any:
    with batched_sensitive_reads():
        return OUTPUT[slug](obj, context={"access": access}).data


def _create_view(slug: str, listing: Any) -> Any:
    """The registry's scoped list (GET) with the desk's create (POST) on the same path."""
    spec = records.SPECS[slug]

    class Create(listing):
        parser_classes = [JSONParser]

        @extend_schema(
            operation_id=f"registry_{slug}_create",
            request=CREATE[slug],
            responses={201: OUTPUT[slug]},
        )
        def post(self, request: Request) -> Response:
            access = _access(request, Perm.REGISTRY_EDIT)
            body = CREATE[slug](data=request.data)
            body.is_valid(raise_exception=True)
            try:
                obj = records.save_record(request.user, spec, dict(body.validated_data))
            except CaseError as e:
                return _error(e)
            return Response(_shown(slug, obj, access), status=status.HTTP_201_CREATED)

    Create.__name__ = Create.__qualname__ = f"{spec.model.__name__}ListCreate"
    return Create


def _detail_view(slug: str) -> type[APIView]:
    spec = records.SPECS[slug]

    class Detail(APIView):
        parser_classes = [JSONParser]

        @extend_schema(operation_id=f"registry_{slug}_retrieve", responses=OUTPUT[slug])
        def get(self, request: Request, pk: int) -> Response:
            access = _access(request)
            try:
                obj = services.get(access, spec.model, pk)
            except CaseError as e:
                return _error(e)
            return Response(_shown(slug, obj, access))

        @extend_schema(
            operation_id=f"registry_{slug}_partial_update",
            request=UPDATE[slug],
            responses=OUTPUT[slug],
        )
        def patch(self, request: Request, pk: int) -> Response:
            access = _access(request, Perm.REGISTRY_EDIT)
            body = UPDATE[slug](data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            try:
                obj = records.save_record(request.user, spec, dict(body.validated_data), pk)
            except CaseError as e:
                return _error(e)
            return Response(_shown(slug, obj, access))

    Detail.__name__ = Detail.__qualname__ = f"{spec.model.__name__}Detail"
    return Detail


LIST_CREATE_VIEWS = {
    "houses": _create_view("houses", HouseList),
    "households": _create_view("households", HouseholdList),
    "places": _create_view("places", PlaceList),
    "organisations": _create_view("organisations", OrganisationList),
}
DETAIL_VIEWS = {slug: _detail_view(slug) for slug in KINDS}
