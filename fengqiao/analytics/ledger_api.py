"""GET /api/v1/analytics/ledgers/{ledger}/: the uniform ledgers as JSON pages.

The same rows, columns and header figures as the Excel export of /monitor/ledgers/ (one
definition in fengqiao.analytics.ledgers), with the same filters and the same scope (the caller
needs Perm.STATS_VIEW and sees the cases of their statistics scope), in limit/offset pages.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.analytics import ledgers
from fengqiao.analytics.api import _require_stats
from fengqiao.analytics.errors import BadFilter
from fengqiao.analytics.filters import parse_filters
from fengqiao.analytics.periods import PERIOD_PATTERN
from fengqiao.api.pagination import BoundedLimitOffsetPagination

CELL = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
LEDGER_PAGE = {
    "type": "object",
    "properties": {
        "ledger": {"type": "string", "enum": list(ledgers.LEDGERS)},
        "name": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "header": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The figures printed above the ledger, with their formulas.",
        },
        "count": {"type": "integer"},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
        "results": {
            "type": "array",
            "items": {"type": "array", "items": CELL},
            "description": "One row per line, in the order of `columns`; the first cell is the "
            "line number.",
        },
    },
    "required": ["ledger", "name", "columns", "header", "count", "next", "previous", "results"],
}


class LedgerView(APIView):
    @extend_schema(
        summary="Ledger rows",
        description="A uniform ledger (screening, follow-up visits, supervision) inside the "
        "caller's statistics scope, page by page; the same rows as the Excel export.",
        parameters=[
            OpenApiParameter("ledger", str, OpenApiParameter.PATH, enum=list(ledgers.LEDGERS)),
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
            OpenApiParameter("limit", int, description="rows per page (at most 1000)"),
            OpenApiParameter("offset", int),
        ],
        responses={200: LEDGER_PAGE},
        tags=["analytics"],
    )
    def get(self, request: Request, ledger: str) -> Response:
        _require_stats(request)
        if ledger not in ledgers.LEDGERS:
            raise NotFound()  # DRF's message, translated
        try:
            filters = parse_filters(request.user, request.query_params)
        except BadFilter as e:
            raise ValidationError(e.as_detail()) from None
        qs = ledgers.queryset(ledger, request.user, filters)
        paginator = BoundedLimitOffsetPagination()
        # Paginate the ids only (count and bounds); the page's lines come from ledgers.rows.
        page = paginator.paginate_queryset(qs.values_list("pk", flat=True), request, view=self)
        offset = paginator.offset
        rows: list[list[Any]] = (
            list(ledgers.rows(ledger, qs, offset=offset, limit=len(page))) if page else []
        )
        return Response(
            {
                "ledger": ledger,
                "name": str(ledgers.LEDGERS[ledger]),
                "columns": [str(c) for c in ledgers.columns(ledger)],
                "header": [str(line) for line in ledgers.header_lines(ledger, filters)],
                "count": paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": rows,
            }
        )
