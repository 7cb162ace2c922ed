"""REST API of the monitoring room: indicator definitions and values, scoped like the pages."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.analytics import indicators as ind
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.filters import parse_filters, query_string
from fengqiao.analytics.indicators import INDICATORS, Indicator, Value
from fengqiao.analytics.periods import PERIOD_PATTERN


def _definition(i: Indicator) -> dict[str, Any]:
    return {
        "code": i.code,
        "name": str(i.name),
        "formula": str(i.formula),
        "counts": str(i.counts),
        "period_field": str(i.period_field),
        "style": i.style,
        "rounding": str(i.rounding),
        "numerator_measures": list(i.numerator),
        "denominator_measures": list(i.denominator),
        "kind": i.kind,
        "per_period": not i.org,
    }


DefinitionSerializer = inline_serializer(
    "IndicatorDefinition",
    {
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "formula": serializers.CharField(),
        "counts": serializers.CharField(),
        "period_field": serializers.CharField(),
        "style": serializers.ChoiceField(choices=["count", "percent", "days"]),
        "rounding": serializers.CharField(),
        "numerator_measures": serializers.ListField(child=serializers.CharField()),
        "denominator_measures": serializers.ListField(child=serializers.CharField()),
        "kind": serializers.CharField(),
        "per_period": serializers.BooleanField(),
    },
)

ValueSerializer = inline_serializer(
    "IndicatorPeriodValue",
    {
        "period": serializers.CharField(),
        "value": serializers.CharField(allow_null=True, help_text="decimal as text"),
        "display": serializers.CharField(),
        "numerator": serializers.IntegerField(allow_null=True),
        "denominator": serializers.IntegerField(allow_null=True),
    },
)

ValuesSerializer = inline_serializer(
    "IndicatorValue",
    {
        "indicator": serializers.CharField(),
        "name": serializers.CharField(),
        "formula": serializers.CharField(),
        "rounding": serializers.CharField(),
        "period": serializers.CharField(),
        "value": serializers.CharField(allow_null=True, help_text="decimal as text"),
        "display": serializers.CharField(),
        "numerator": serializers.IntegerField(allow_null=True),
        "denominator": serializers.IntegerField(allow_null=True),
        "previous": ValueSerializer.__class__(allow_null=True),
        "same_period_last_year": ValueSerializer.__class__(allow_null=True),
        "cases_url": serializers.CharField(allow_null=True),
        "denominator_cases_url": serializers.CharField(allow_null=True),
    },
)


def _require_stats(request: Request) -> None:
    if not access_for(request.user).has_perm(Perm.STATS_VIEW):
        raise PermissionDenied()


class IndicatorListView(APIView):
    @extend_schema(
        summary="Indicator definitions",
        description="Every indicator once: name, formula, what counts, period field, rounding.",
        responses={200: DefinitionSerializer.__class__(many=True)},
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        _require_stats(request)
        return Response([_definition(i) for i in INDICATORS.values()])


def _period_value(i: Indicator, period_code: str, v: Value | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "period": period_code,
        "value": None if v.value is None else str(v.value),
        "display": v.display(i.style),
        "numerator": v.numerator,
        "denominator": v.denominator,
    }


class IndicatorValueView(APIView):
    @extend_schema(
        summary="Indicator value",
        description="The value of one indicator inside the caller's statistics scope, with its "
        "numerator, denominator, formula, rounding, the previous period, the same period a year "
        "before and the URL of the cases behind it.",
        parameters=[
            OpenApiParameter("indicator", str, required=True, enum=list(INDICATORS)),
            OpenApiParameter("region", int, description="region id (its subtree)"),
            OpenApiParameter("grid", int),
            OpenApiParameter("unit", int, description="handling unit id"),
            OpenApiParameter("category", str, description="category id or code (its subtree)"),
            OpenApiParameter("channel", str, description="channel id or code"),
            OpenApiParameter(
                "period",
                str,
                description="2026-03 | 2026-Q1 | 2026 | 2026-01-01..2026-03-31",
                pattern=PERIOD_PATTERN,
            ),
        ],
        responses=ValuesSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        _require_stats(request)
        code = request.query_params.get("indicator", "")
        i = INDICATORS.get(code)
        if i is None:
            raise ValidationError({"indicator": ["Unknown indicator."]})
        try:
            filters = parse_filters(request.user, request.query_params)
        except BadFilter as e:
            raise ValidationError(e.as_detail()) from None
        fig = ind.evaluate([code], filters)[code]
        base = request.build_absolute_uri(reverse("analytics:cases"))
        current = _period_value(i, filters.period.code, fig.current)
        body = {
            "indicator": code,
            "name": str(i.name),
            "formula": str(i.formula),
            "rounding": str(i.rounding),
            **current,
            "previous": _period_value(i, filters.period.previous().code, fig.previous),
            "same_period_last_year": _period_value(
                i, filters.period.last_year().code, fig.last_year
            ),
            "cases_url": None if i.org else base + "?" + query_string(filters, indicator=code),
            "denominator_cases_url": base
            + "?"
            + query_string(filters, indicator=code, part="denominator")
            if i.denominator
            else None,
        }
        return Response(body)
