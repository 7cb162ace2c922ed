"""REST API of the basic data (/api/v1/registry/): the same scoped queries and actions as the
pages. Personal fields are masked unless the caller may see them (reads logged)."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.errors import error, error_body
from fengqiao.api.pagination import BoundedLimitOffsetPagination as LimitOffsetPagination
from fengqiao.api.parsers import JSONParser
from fengqiao.cases.errors import CaseError
from fengqiao.core.masking import batched_sensitive_reads
from fengqiao.registry import services, visits
from fengqiao.registry.models import (
    ExtraRecord,
    House,
    Household,
    IdType,
    KeyPerson,
    KeyPersonKind,
    Organisation,
    Place,
    Resident,
    Sex,
    Visit,
    VisitMethod,
)


def _error(e: CaseError) -> Response:
    return Response(
        error_body([error(x.code, x.message, x.field or None) for x in e.errors]), status=e.status
    )


def _access(request: Request, perm: str = Perm.REGISTRY_VIEW) -> Access:
    access = access_for(request.user)
    if not access.has_perm(perm):
        raise PermissionDenied()
    return access


class ResidentSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id",
            "grid",
            "kind",
            "left_behind",
            "name",
            "former_name",
            "sex",
            "birth_date",
            "ethnicity",
            "native_place",
            "marital_status",
            "political_status",
            "education",
            "religion",
            "occupation",
            "workplace",
            "registered_address",
            "current_address",
            "id_type",
            "id_number",
            "phone",
            "health",
            "inflow_reason",
            "arrived_on",
            "permit_number",
            "household",
            "relation_to_head",
            "house",
            "ended_on",
            "extra",
            "version",
        ]

    def _shown(self, obj: Resident, field: str) -> str:
        access: Access = self.context["access"]
        full = services.may_see_sensitive(access, obj)
        return services.disclosed(access, obj, field, allowed=full, purpose="api")

    def get_id_number(self, obj: Resident) -> str:
        return self._shown(obj, "id_number")

    def get_phone(self, obj: Resident) -> str:
        return self._shown(obj, "phone")

    def get_health(self, obj: Resident) -> str:
        return self._shown(obj, "health")


class ResidentInputSerializer(serializers.Serializer):
    grid = strict.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(Resident.Kind.choices, required=False)
    left_behind = serializers.ChoiceField(Resident.LeftBehind.choices, required=False)
    name = serializers.CharField(max_length=50, required=False)
    sex = serializers.ChoiceField(Sex.choices, required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    ethnicity = serializers.CharField(max_length=20, required=False, allow_blank=True)
    occupation = serializers.CharField(max_length=50, required=False, allow_blank=True)
    registered_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    current_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    id_type = serializers.ChoiceField(IdType.choices, required=False)
    # A citizen ID (17 digits and a check character) or another document's number.
    id_number = serializers.RegexField(
        r"^[0-9A-Za-z]{0,40}$", max_length=40, required=False, allow_blank=True
    )
    phone = serializers.RegexField(
        r"^(1[3-9][0-9]{9}|(0[0-9]{2,3}-?)?[2-9][0-9]{6,7})?$",
        max_length=30,
        required=False,
        allow_blank=True,
    )
    health = serializers.CharField(max_length=500, required=False, allow_blank=True)
    relation_to_head = serializers.CharField(max_length=20, required=False, allow_blank=True)
    # The household (and house) of the same grid: how a household's members are set.
    household = strict.IntegerField(required=False, allow_null=True, min_value=1)
    house = strict.IntegerField(required=False, allow_null=True, min_value=1)
    ended_on = serializers.DateField(required=False, allow_null=True)
    extra = serializers.DictField(required=False)


class ResidentCreateSerializer(ResidentInputSerializer):
    grid = strict.IntegerField(min_value=1)
    kind = serializers.ChoiceField(Resident.Kind.choices)
    name = serializers.CharField(max_length=50)


class ResidentList(generics.ListAPIView):
    """Residents of the grids in the caller's scope; `q`: a name's start or an exact ID."""

    parser_classes = [JSONParser]
    serializer_class = ResidentSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> Any:
        access = _access(self.request)
        qs = services.visible(access, Resident).filter(anonymised_at__isnull=True)
        grid = self.request.query_params.get("grid")
        if grid:
            if not grid.isdigit():
                raise NotFound()
            qs = qs.filter(grid_id=int(grid))
        qs = services.search_residents(qs, self.request.query_params.get("q", "")[:60])
        return qs.order_by("grid_id", "name", "id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "access": access_for(self.request.user)}

    @extend_schema(
        operation_id="registry_residents_list",
        parameters=[OpenApiParameter("grid", int), OpenApiParameter("q", str)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with batched_sensitive_reads(), services.planned_per_search():
            return super().get(request, *args, **kwargs)

    @extend_schema(request=ResidentCreateSerializer, responses={201: ResidentSerializer})
    def post(self, request: Request) -> Response:
        access = _access(request, Perm.REGISTRY_EDIT)
        body = ResidentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            r = services.save_resident(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        with batched_sensitive_reads():
            data = ResidentSerializer(r, context={"access": access}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ResidentDetail(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=ResidentSerializer)
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        try:
            r = services.get(access, Resident, pk)
        except CaseError as e:
            return _error(e)
        with batched_sensitive_reads():
            return Response(ResidentSerializer(r, context={"access": access}).data)

    @extend_schema(request=ResidentInputSerializer, responses=ResidentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        access = _access(request, Perm.REGISTRY_EDIT)
        body = ResidentInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            r = services.save_resident(request.user, dict(body.validated_data), pk)
        except CaseError as e:
            return _error(e)
        with batched_sensitive_reads():
            return Response(ResidentSerializer(r, context={"access": access}).data)


class KeyPersonKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyPersonKind
        fields = [
            "id",
            "code",
            "name",
            "group",
            "visit_interval_days",
            "has_risk_levels",
            "interval_by_level",
            "helping_sector",
        ]


class KeyPersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="resident.name", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    visit_state = serializers.SerializerMethodField()

    class Meta:
        model = KeyPerson
        fields = [
            "id",
            "resident",
            "name",
            "kind",
            "kind_name",
            "grid",
            "risk_level",
            "responsible",
            "helping_unit",
            "started_on",
            "ended_on",
            "active",
            "last_visit_on",
            "next_visit_due",
            "visit_state",
            "version",
        ]

    def get_visit_state(self, obj: KeyPerson) -> str:
        return visits.state_of(obj.next_visit_due, timezone.localdate())


class KeyPersonInputSerializer(serializers.Serializer):
    resident = strict.IntegerField(required=False, min_value=1)
    kind = strict.IntegerField(required=False, min_value=1)
    risk_level = strict.IntegerField(required=False, allow_null=True, min_value=0, max_value=5)
    responsible = strict.IntegerField(required=False, allow_null=True, min_value=1)
    helping_unit = strict.IntegerField(required=False, allow_null=True, min_value=1)
    started_on = serializers.DateField(required=False)
    ended_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class KeyPersonCreateSerializer(KeyPersonInputSerializer):
    resident = strict.IntegerField(min_value=1)
    kind = strict.IntegerField(min_value=1)


class KeyPersonKindList(generics.ListAPIView):
    serializer_class = KeyPersonKindSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> Any:
        _access(self.request)
        return KeyPersonKind.objects.filter(active=True)


class KeyPersonList(generics.ListAPIView):
    """Active key persons in scope; filter by grid, kind, `state=overdue`, `q`."""

    parser_classes = [JSONParser]
    serializer_class = KeyPersonSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> Any:
        access = _access(self.request)
        qs = services.visible(access, KeyPerson).filter(active=True)
        params = self.request.query_params
        for name, field in (("grid", "grid_id"), ("kind", "kind_id")):
            raw = params.get(name)
            if raw:
                if not raw.isdigit():
                    raise NotFound()
                qs = qs.filter(**{field: int(raw)})
        if params.get("state") == "overdue":
            qs = qs.filter(next_visit_due__lt=timezone.localdate())
        q = params.get("q", "")[:60]
        if q:
            qs = services.search_key_persons(qs, q)
        return services.by_due_date(qs.select_related("resident", "kind"), bool(q))

    @extend_schema(
        operation_id="registry_key_persons_list",
        parameters=[
            OpenApiParameter("grid", int),
            OpenApiParameter("kind", int),
            OpenApiParameter("q", str),
            OpenApiParameter("state", str, enum=["overdue"]),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with services.planned_per_search():
            return super().get(request, *args, **kwargs)

    @extend_schema(request=KeyPersonCreateSerializer, responses={201: KeyPersonSerializer})
    def post(self, request: Request) -> Response:
        _access(request, Perm.REGISTRY_EDIT)
        body = KeyPersonCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            kp = services.save_key_person(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(KeyPersonSerializer(kp).data, status=status.HTTP_201_CREATED)


class KeyPersonDetail(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=KeyPersonSerializer)
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        try:
            return Response(KeyPersonSerializer(services.get(access, KeyPerson, pk)).data)
        except CaseError as e:
            return _error(e)

    @extend_schema(request=KeyPersonInputSerializer, responses=KeyPersonSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        _access(request, Perm.REGISTRY_EDIT)
        body = KeyPersonInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("resident", None)
        try:
            return Response(
                KeyPersonSerializer(services.save_key_person(request.user, data, pk)).data
            )
        except CaseError as e:
            return _error(e)


class VisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = [
            "id",
            "key_person",
            "visited_on",
            "method",
            "visitor",
            "met_in_person",
            "findings",
            "risk_found",
            "risk_level_after",
            "case",
            "created_at",
        ]


class CaseFromVisitSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class VisitInputSerializer(serializers.Serializer):
    visited_on = serializers.DateField(required=False)
    method = serializers.ChoiceField(VisitMethod.choices, required=False)
    met_in_person = strict.BooleanField(required=False, default=True)
    findings = serializers.CharField(max_length=4000)
    risk_found = strict.BooleanField(required=False, default=False)
    risk_level_after = strict.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=5
    )
    case = CaseFromVisitSerializer(required=False)


class VisitList(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=VisitSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        access = _access(request)
        try:
            kp = services.get(access, KeyPerson, pk)
        except CaseError as e:
            return _error(e)
        return Response(VisitSerializer(kp.visits.all()[:200], many=True).data)

    @extend_schema(request=VisitInputSerializer, responses={201: VisitSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _access(request, Perm.REGISTRY_VISIT)
        body = VisitInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            visit = visits.record_visit(request.user, pk, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class DueRowSerializer(serializers.Serializer):
    key_person = strict.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    state = serializers.CharField()


class VisitsDue(APIView):
    """The caller's visits due (overdue first): the phone's today list."""

    @extend_schema(operation_id="registry_visits_due", responses=DueRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        _access(request, Perm.REGISTRY_VISIT)
        rows = visits.visits_due_for(request.user, timezone.localdate())
        data = [
            {
                "key_person": r.key_person.pk,
                "name": r.key_person.resident.name,
                "kind": r.key_person.kind.name,
                "due_on": r.due_on,
                "state": r.state,
            }
            for r in rows
        ]
        return Response(DueRowSerializer(data, many=True).data)


# -- households, houses, places, organisations: scoped lists --------------------------------


class HouseholdSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "grid",
            "number",
            "kind",
            "house",
            "address",
            "head_name",
            "members",
            "extra",
        ]

    def get_members(self, obj: Household) -> list[int]:
        return [m.pk for m in obj.members.all()]


class HouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = House
        fields = [
            "id",
            "grid",
            "address",
            "building_code",
            "use",
            "tenure",
            "area",
            "owner_name",
            "extra",
        ]


class PlaceSerializer(serializers.ModelSerializer):
    kind_name = serializers.CharField(source="kind.name", read_only=True)

    class Meta:
        model = Place
        fields = [
            "id",
            "grid",
            "name",
            "kind",
            "kind_name",
            "address",
            "principal",
            "licence_number",
            "lon",
            "lat",
            "key_place",
            "extra",
        ]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "grid",
            "name",
            "kind",
            "credit_code",
            "legal_representative",
            "address",
            "employees",
            "has_party_organisation",
            "has_union",
            "extra",
        ]


def _grid_list(model: Any, serializer: Any, op: str, related: tuple[str, ...] = ()) -> Any:
    class View(generics.ListAPIView):
        serializer_class = serializer
        pagination_class = LimitOffsetPagination

        def get_queryset(self) -> Any:
            access = _access(self.request)
            qs = services.visible(access, model).filter(anonymised_at__isnull=True)
            grid = self.request.query_params.get("grid")
            if grid:
                if not grid.isdigit():
                    raise NotFound()
                qs = qs.filter(grid_id=int(grid))
            if related:
                qs = qs.prefetch_related(*related)
            return qs.order_by("grid_id", "id")

        @extend_schema(operation_id=op, parameters=[OpenApiParameter("grid", int)])
        def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
            return super().get(request, *args, **kwargs)

    View.__name__ = View.__qualname__ = f"{model.__name__}List"
    return View


HouseholdList = _grid_list(Household, HouseholdSerializer, "registry_households_list", ("members",))
HouseList = _grid_list(House, HouseSerializer, "registry_houses_list")
PlaceList = _grid_list(Place, PlaceSerializer, "registry_places_list")
OrganisationList = _grid_list(Organisation, OrganisationSerializer, "registry_organisations_list")


class ExtraRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtraRecord
        fields = ["id", "kind", "grid", "name", "extra", "created_at"]


class ExtraRecordInputSerializer(serializers.Serializer):
    kind = strict.IntegerField(min_value=1)
    grid = strict.IntegerField(min_value=1)
    name = serializers.CharField(max_length=100)
    extra = serializers.DictField(required=False)


class ExtraRecordList(generics.ListAPIView):
    """Rows of the local registries (X) in scope; `kind` narrows to one registry."""

    parser_classes = [JSONParser]
    serializer_class = ExtraRecordSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> Any:
        access = _access(self.request)
        qs = services.visible(access, ExtraRecord).filter(anonymised_at__isnull=True)
        for name, field in (("kind", "kind_id"), ("grid", "grid_id")):
            raw = self.request.query_params.get(name)
            if raw:
                if not raw.isdigit():
                    raise NotFound()
                qs = qs.filter(**{field: int(raw)})
        return qs.order_by("kind_id", "grid_id", "id")

    @extend_schema(
        operation_id="registry_records_list",
        parameters=[OpenApiParameter("kind", int), OpenApiParameter("grid", int)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ExtraRecordInputSerializer, responses={201: ExtraRecordSerializer})
    def post(self, request: Request) -> Response:
        _access(request, Perm.REGISTRY_EDIT)
        body = ExtraRecordInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            record = services.save_extra_record(request.user, dict(body.validated_data))
        except CaseError as e:
            return _error(e)
        return Response(ExtraRecordSerializer(record).data, status=status.HTTP_201_CREATED)
