"""Bounds of intake input shared by the API serializers, the forms and the intake service."""

# People involved in one case: far above any real matter, far below the database's integer.
MAX_PEOPLE_INVOLVED = 1_000_000

# A case's description (the REST schema's maxLength; Open311 allows less of its own text).
MAX_DESCRIPTION = 10_000
