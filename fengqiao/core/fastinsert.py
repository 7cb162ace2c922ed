"""INSERTs of model instances with the SQL built once per process, for the hot write paths.

`Model.save()` and `QuerySet.bulk_create()` compile the same INSERT again on every call; for the
case intake (a case, its history, parties, an inbox item on every report) that compiling costs
more CPU than the database spends on the rows. `insert(objs)` asks Django's own insert compiler
for the SQL once per model, field list, row count and database, then converts each value with the
compiler's own `pre_save_val` and `prepare_value` (defaults, auto_now, JSON and time zone
handling exactly as `save()` does). Like `save()` and unlike `bulk_create()`, it sends
pre_save and post_save to the model's receivers (a library's model may fill a field in one).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

_compiled: dict[tuple, tuple[str, Any, list, list] | None] = {}


def _compile(
    model: type[Model], with_pk: bool, rows: int, using: str, fetch_pk: bool = True
) -> tuple | None:
    """(sql, compiler, fields, returning), or None where this database needs Django's own
    path (no RETURNING for several rows, or an INSERT split into several statements)."""
    key = (model, with_pk, rows, using, fetch_pk)
    if key in _compiled:
        return _compiled[key]
    meta = model._meta
    fields = [
        f
        for f in meta.local_concrete_fields
        if not f.generated and (with_pk or f is not meta.auto_field)
    ]
    connection = connections[using]
    returning = [] if with_pk or not fetch_pk else list(meta.db_returning_fields)
    if returning and rows > 1 and not connection.features.can_return_rows_from_bulk_insert:
        _compiled[key] = None
        return None
    query = InsertQuery(model)
    # Placeholder objects: only the SQL text is kept; values are converted per call below.
    query.insert_values(fields, [model() for _ in range(rows)])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = returning or None
    statements = compiler.as_sql()
    if len(statements) != 1:
        _compiled[key] = None
        return None
    sql = statements[0][0]
    # What the compiler itself applies to returned values (e.g. SQLite's integer ids).
    cols = [f.get_col(meta.db_table) for f in returning]
    returning = [
        (f.attname, col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        for f, col in zip(returning, cols, strict=True)
    ]
    found = (sql, compiler, fields, returning)
    _compiled[key] = found
    return found


def insert(objs: Sequence[Model], using: str = DEFAULT_DB_ALIAS, *, fetch_pk: bool = True) -> None:
    """INSERT these instances of one model in one statement and set their primary keys.

    Either every instance has its primary key set already (taken from a sequence) or none has.
    `fetch_pk=False`: the database's new ids are not read back (a log row nobody refers to), so
    inside `pipelined()` the statement does not wait for its answer; such instances keep no pk
    and must not be saved again.
    """
    if not objs:
        return
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    if any(type(o) is not model or (o.pk is not None) != with_pk for o in objs):
        raise ValueError("insert() takes instances of one model, all with or all without a pk")
    connection = connections[using]
    compiled = None
    if with_pk or not fetch_pk or connection.features.can_return_columns_from_insert:
        compiled = _compile(model, with_pk, len(objs), using, fetch_pk)
    if compiled is None:
        for obj in objs:  # Django's own path: same rows, same signals
            obj.save(force_insert=True, using=using)
        return
    sql, compiler, fields, returning = compiled
    if pre_save.has_listeners(model):
        for obj in objs:
            pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    rows = [
        [compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields] for obj in objs
    ]
    if len(rows) > 1 and "UNNEST(" in sql:
        # PostgreSQL's multi-row form takes one array per column (see its assemble_as_sql).
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            for obj, row in zip(objs, cursor.fetchall(), strict=True):
                for (attname, col, converters), value in zip(returning, row, strict=True):
                    for conv in converters:
                        value = conv(value, col, connection)
                    setattr(obj, attname, value)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    if post_save.has_listeners(model):
        for obj in objs:
            post_save.send(
                sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
            )


@contextmanager
def pipelined(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside a transaction on PostgreSQL: send the statements of the block without waiting for
    each answer (psycopg's pipeline mode). A statement whose result is read (a SELECT, an INSERT
    returning ids) still waits; writes whose answers nobody reads travel together, one round
    trip instead of one each. An error surfaces at the next read or at the end of the block,
    still inside the transaction, which then rolls back as usual. Elsewhere: no change."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    # An error reported at the pipeline's end comes as Django's own exception (IntegrityError …).
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
