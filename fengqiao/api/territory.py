"""REST endpoints for regions and grids, scoped like the UI."""

import math
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.api import fields as strict
from fengqiao.api.parsers import JSONParser
from fengqiao.territory import locate
from fengqiao.territory.models import Grid, OutlineSource, Region


class RegionSerializer(serializers.ModelSerializer):
    outline = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text="The region's outline as a GeoJSON Polygon or MultiPolygon (WGS 84 "
        "longitude/latitude), or null when it has none.",
    )
    outline_source = serializers.ChoiceField(
        choices=OutlineSource.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the outline was made: drawn on the map, or derived from the grids; "
        "empty when the region has no outline.",
    )

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "kind",
            "parent",
            "valid_from",
            "valid_to",
            "outline",
            "outline_source",
        ]


class GridSerializer(serializers.ModelSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "community",
            "community_code",
            "kind",
            "site_type",
            "boundary",
        ]


class RegionList(generics.ListAPIView):
    """The regions you may see, with their outlines; ?level=4 (streets) or 5 (communities)
    narrows the list, ?has_outline=1 keeps those with an outline."""

    serializer_class = RegionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "level",
                int,
                description="Only regions of this level (1 province … 5 community/village).",
                enum=[1, 2, 3, 4, 5],
            ),
            OpenApiParameter(
                "has_outline", bool, description="Only regions with (true) or without an outline."
            ),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = access_for(self.request.user).regions(Perm.TERRITORY_VIEW).order_by("code")
        params = self.request.query_params
        level = params.get("level", "")
        if level:
            if level not in {"1", "2", "3", "4", "5"}:
                raise serializers.ValidationError(
                    {"level": [_("Choose a level from 1 (province) to 5 (community/village).")]}
                )
            qs = qs.filter(level=int(level))
        has = params.get("has_outline", "")
        if has:
            if has not in {"0", "1", "true", "false"}:
                raise serializers.ValidationError({"has_outline": [_("Send true or false.")]})
            qs = qs.filter(outline__isnull=has in {"0", "false"})
        return qs


class GridList(generics.ListAPIView):
    serializer_class = GridSerializer

    def get_queryset(self):
        return (
            access_for(self.request.user)
            .grids(Perm.TERRITORY_VIEW)
            .select_related("community")
            .order_by("code")
        )


# Bulk point lookup ---------------------------------------------------------------------------

MAX_LOCATE_POINTS = 10_000


class LocateRequestSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=strict.FloatField(), min_length=2, max_length=2),
        max_length=MAX_LOCATE_POINTS,
        help_text="[[longitude, latitude], …] in WGS 84; at most 10,000 points.",
    )

    def to_internal_value(self, data):
        # Checked by hand: 10,000 points through nested DRF fields is slow and the errors
        # would not say which point is wrong in one line.
        if not isinstance(data, dict) or "points" not in data:
            raise serializers.ValidationError({"points": [_("This field is required.")]})
        points = data["points"]
        if not isinstance(points, list):
            raise serializers.ValidationError(
                {"points": [_("Send a list of [longitude, latitude] pairs.")]}
            )
        if len(points) > MAX_LOCATE_POINTS:
            raise serializers.ValidationError(
                {
                    "points": [
                        _("At most %(max)s points per request, not %(n)s.")
                        % {"max": MAX_LOCATE_POINTS, "n": len(points)}
                    ]
                }
            )
        lons: list[float] = []
        lats: list[float] = []
        errors: list[str] = []
        for k, p in enumerate(points):
            problem = _point_problem(p)
            if problem:
                errors.append(_("Point %(index)s: %(problem)s") % {"index": k, "problem": problem})
                if len(errors) >= 20:
                    break
                continue
            lons.append(float(p[0]))
            lats.append(float(p[1]))
        if errors:
            raise serializers.ValidationError({"points": errors})
        return {"lons": lons, "lats": lats}


def _point_problem(p: Any) -> str:
    if not isinstance(p, list | tuple) or len(p) != 2:
        return _("a point is a pair [longitude, latitude].")
    lon, lat = p
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in (lon, lat)):
        return _("longitude and latitude must be numbers.")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        return _("longitude must be between -180 and 180.")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        return _("latitude must be between -90 and 90.")
    return ""


class LocateResponseSerializer(serializers.Serializer):
    grids = serializers.ListField(
        child=serializers.CharField(allow_null=True),
        help_text="For each point, in order, the code of the grid containing it, or null when "
        "it is in no grid you may see.",
    )


class TerritoryViewPermission(permissions.BasePermission):
    message = _("You have no access to the territory.")

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).has_perm(Perm.TERRITORY_VIEW)


class LocateView(APIView):
    """Which grid is each point in? Only grids the user may see are answered.

    A user without the territory view capability at all (e.g. an account with no role) gets 403;
    a user with it gets null for points in grids outside their scope, exactly as for points in
    no grid, so the answer reveals nothing beyond their scope.
    """

    # The platform's defaults (authenticated; token scope) plus the capability.
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, TerritoryViewPermission]
    # The POST only reads (the points do not fit a query string): read-only tokens may use it.
    parser_classes = [JSONParser]
    read_only_token_methods = ("POST",)

    @extend_schema(
        request=LocateRequestSerializer,
        responses={
            200: LocateResponseSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
        },
        summary="Locate points in grids",
        examples=[
            OpenApiExample(
                "Two points",
                value={"points": [[131.0025, 45.775], [120.0, 30.0]]},
                request_only=True,
            ),
            OpenApiExample(
                "Answer",
                value={"grids": ["230903013001001", None]},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = LocateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lons, lats = serializer.validated_data["lons"], serializer.validated_data["lats"]
        visible = dict(
            access_for(request.user).grids(Perm.TERRITORY_VIEW).values_list("id", "code")
        )
        ids = locate.get_locator().locate_many(lons, lats, allowed=list(visible))
        return Response({"grids": [visible.get(i) for i in ids.tolist()]})
