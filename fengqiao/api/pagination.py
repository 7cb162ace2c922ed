"""Limit/offset pagination with bounds: a huge limit or offset must not reach the database
(SQLite overflows its integers and answers 500)."""

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**12


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 1000

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
