"""Full-text search over Chinese text: one API, PostgreSQL (tsvector + GIN) or SQLite (FTS5).

Usage::

    from fengqiao.search import index

    # Keep the index in step with your model, inside the transaction that saves it:
    index.index_document("case", case.pk, f"{case.title}\\n{case.description}")
    index.remove_document("case", case.pk)
    index.index_many("case", ((c.pk, c.text) for c in cases))   # bulk (re)indexing

    # Search composes with the caller's permission-scoped queryset, inside the database:
    qs = access_for(user).scope(perm).q(Case.objects.all(), ...)
    qs = qs.filter(pk__in=index.matching_ids("case", "松林 噪音"))   # every word must occur
    qs = index.search(qs, "case", "松林 噪音")                        # the same, shorter

`kind` names the indexed model ("case", "region" …); one object has at most one document per
kind. Text and queries are segmented by fengqiao.search.text. matching_ids() returns a subquery
(RawSQL), never a list of ids, so a million documents stay in the database; a query with no
searchable word (only punctuation or stop words) matches nothing. User input reaches the
database only as a query parameter. Ranking is not provided: ordering is the caller's business.

Tables (created by this app's migration for the database in use):
PostgreSQL: search_document(kind, object_id, tsv) with a GIN index on tsv,
  tsv = strip(to_tsvector('simple', <space-joined tokens>)) (no positions: smaller rows, as
  nothing here ranks), matched with plainto_tsquery('simple', …), which ANDs the words and is
  safe for any input.
SQLite: FTS5 table search_document(kind UNINDEXED, object_id UNINDEXED, body) plus search_key
  mapping (kind, object_id) to the FTS rowid; matched with "tok1" AND "tok2" (quoted strings).
"""

import time
from collections.abc import Iterable
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from fengqiao.search.text import document_tokens, query_terms

BATCH_SIZE = 2000
MAX_KIND_CHARS = 40


def _vendor(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"fengqiao.search supports PostgreSQL and SQLite, not {vendor}")
    return vendor


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not kind or len(kind) > MAX_KIND_CHARS:
        raise ValueError(f"kind must be a non-empty string of at most {MAX_KIND_CHARS} characters")
    return kind


def body(text: str) -> str:
    """What is stored for `text`: its tokens joined by spaces."""
    return " ".join(document_tokens(text or ""))


def index_document(kind: str, object_id: int, text: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Index (or re-index) one object's text."""
    index_many(kind, [(object_id, text)], using=using)


def index_many(
    kind: str,
    items: Iterable[tuple[int, str]],
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Index many (object_id, text) pairs in batches; returns how many were written."""
    _check_kind(kind)
    vendor = _vendor(using)
    written = 0
    iterator = iter(items)
    while chunk := list(islice(iterator, batch_size)):
        # Last text wins when an id repeats within a batch (an upsert may touch a row once).
        rows = {int(object_id): body(text) for object_id, text in chunk}
        write_bodies(kind, rows, using=using, vendor=vendor)
        written += len(rows)
    return written


def write_bodies(
    kind: str, rows: dict[int, str], using: str = DEFAULT_DB_ALIAS, vendor: str | None = None
) -> None:
    """Store already-segmented bodies (object_id → space-joined tokens): for bulk loaders."""
    vendor = vendor or _vendor(using)
    ids, bodies = list(rows), list(rows.values())
    # No savepoint: inside a caller's transaction (an intake) a failure fails the whole of it.
    with transaction.atomic(using=using, savepoint=False), connections[using].cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "INSERT INTO search_document (kind, object_id, tsv) "
                "SELECT %s, u.object_id, strip(to_tsvector('simple', u.body)) "
                "FROM unnest(%s::bigint[], %s::text[]) AS u(object_id, body) "
                "ON CONFLICT (kind, object_id) DO UPDATE SET tsv = EXCLUDED.tsv",
                [kind, ids, bodies],
            )
            return
        cursor.executemany(
            "INSERT INTO search_key (kind, object_id) VALUES (%s, %s) "
            "ON CONFLICT (kind, object_id) DO NOTHING",
            [(kind, object_id) for object_id in ids],
        )
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT object_id, id FROM search_key WHERE kind = %s AND object_id IN ({placeholders})",
            [kind, *ids],
        )
        rowids = dict(cursor.fetchall())
        cursor.executemany(
            "DELETE FROM search_document WHERE rowid = %s", [(rowids[i],) for i in ids]
        )
        cursor.executemany(
            "INSERT INTO search_document (rowid, kind, object_id, body) VALUES (%s, %s, %s, %s)",
            [(rowids[i], kind, i, rows[i]) for i in ids],
        )


def remove_document(kind: str, object_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Remove one object's document (no error if there is none)."""
    _check_kind(kind)
    vendor = _vendor(using)
    # No savepoint: inside a caller's transaction (an intake) a failure fails the whole of it.
    with transaction.atomic(using=using, savepoint=False), connections[using].cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "DELETE FROM search_document WHERE kind = %s AND object_id = %s",
                [kind, int(object_id)],
            )
            return
        cursor.execute(
            "DELETE FROM search_document WHERE rowid IN "
            "(SELECT id FROM search_key WHERE kind = %s AND object_id = %s)",
            [kind, int(object_id)],
        )
        cursor.execute(
            "DELETE FROM search_key WHERE kind = %s AND object_id = %s", [kind, int(object_id)]
        )


def match_expression(terms: list[str], vendor: str) -> str:
    """The full-text query parameter for `terms` (all required)."""
    if vendor == "postgresql":
        return " ".join(terms)  # plainto_tsquery ANDs the words and ignores any operators
    # FTS5: each term a quoted string ("" escapes a quote), so no input is read as syntax.
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def matching_ids(kind: str, query: str, using: str = DEFAULT_DB_ALIAS) -> RawSQL | list[int]:
    """The ids of `kind` objects whose text contains every word of `query`.

    Use as ``Model.objects.filter(pk__in=matching_ids(kind, query))``: the search runs as a
    subquery of the caller's query. An empty list when the query has no searchable word.
    """
    _check_kind(kind)
    vendor = _vendor(using)
    terms = query_terms(query)
    if not terms:
        return []
    expression = match_expression(terms, vendor)
    if vendor == "postgresql":
        return RawSQL(
            "SELECT object_id FROM search_document "
            "WHERE kind = %s AND tsv @@ plainto_tsquery('simple', %s)",
            (kind, expression),
        )
    return RawSQL(
        "SELECT object_id FROM search_document WHERE search_document MATCH %s AND kind = %s",
        (expression, kind),
    )


_TERM_SHARES: tuple[float, dict[str, float]] = (0.0, {})
TERM_SHARES_SECONDS = 600


def least_term_share(query: str, using: str = DEFAULT_DB_ALIAS) -> float:
    """PostgreSQL: the share of documents holding the rarest word of `query`, from the
    statistics ANALYZE keeps on the most common words (0.0 for a word not among them, and on
    SQLite). An upper bound of the share of documents that match the whole query."""
    global _TERM_SHARES
    if _vendor(using) != "postgresql":
        return 0.0
    terms = query_terms(query)
    if not terms:
        return 0.0
    read_at, shares = _TERM_SHARES
    if time.monotonic() - read_at > TERM_SHARES_SECONDS:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT u.word, u.share FROM pg_stats s, "
                "unnest(s.most_common_elems::text::text[], "
                "s.most_common_elem_freqs::text::float8[]) AS u(word, share) "
                "WHERE s.tablename = 'search_document' AND s.attname = 'tsv'"
            )
            shares = dict(cursor.fetchall())
        _TERM_SHARES = (time.monotonic(), shares)
    return min(shares.get(term, 0.0) for term in terms)


def matching_among(
    kind: str, query: str, object_ids: list[int], using: str = DEFAULT_DB_ALIAS
) -> set[int]:
    """Which of `object_ids` match `query`: one probe per id through the (kind, object_id)
    key, whatever the words' frequency (for walking a list newest first)."""
    _check_kind(kind)
    terms = query_terms(query)
    if not terms or not object_ids:
        return set()
    vendor = _vendor(using)
    expression = match_expression(terms, vendor)
    with connections[using].cursor() as cursor:
        if vendor == "postgresql":
            # ts_match_vq is the function behind @@: the same test, but one the GIN index cannot
            # answer. With @@ PostgreSQL, taking words that always occur together for rare,
            # reads every match from the GIN index to AND it with the ids (宅基地: 66,000
            # entries, 26 ms for 783 ids, against 4 ms for the 783 key probes).
            cursor.execute(
                "SELECT object_id FROM search_document WHERE kind = %s "
                "AND object_id = ANY(%s) AND ts_match_vq(tsv, plainto_tsquery('simple', %s))",
                [kind, list(object_ids), expression],
            )
            return {row[0] for row in cursor.fetchall()}
        found: set[int] = set()
        for start in range(0, len(object_ids), 500):  # SQLite's limit on parameters
            chunk = [int(i) for i in object_ids[start : start + 500]]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT k.object_id FROM search_key k "
                "JOIN search_document ON search_document.rowid = k.id "
                f"WHERE k.kind = %s AND k.object_id IN ({placeholders}) "
                "AND search_document MATCH %s",
                [kind, *chunk, expression],
            )
            found.update(row[0] for row in cursor.fetchall())
        return found


def search(queryset: QuerySet, kind: str, query: str) -> QuerySet:
    """`queryset` narrowed to objects whose `kind` document matches `query`."""
    return queryset.filter(pk__in=matching_ids(kind, query, using=queryset.db))


def document_count(kind: str, using: str = DEFAULT_DB_ALIAS) -> int:
    """How many documents of `kind` are indexed (for checks and benchmarks)."""
    _check_kind(kind)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_document WHERE kind = %s", [kind])
        return cursor.fetchone()[0]
