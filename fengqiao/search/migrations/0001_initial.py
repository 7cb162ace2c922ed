"""The search tables, created with the DDL of the database in use (see fengqiao.search.index)."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE TABLE search_document (
        id bigserial PRIMARY KEY,
        kind varchar(40) NOT NULL,
        object_id bigint NOT NULL,
        tsv tsvector NOT NULL,
        CONSTRAINT search_document_kind_object UNIQUE (kind, object_id)
    )
    """,
    "CREATE INDEX search_document_tsv ON search_document USING gin (tsv)",
]
POSTGRESQL_DROP = ["DROP TABLE IF EXISTS search_document"]

SQLITE = [
    # FTS5 rows are addressed by rowid; search_key maps (kind, object_id) to it.
    """
    CREATE TABLE search_key (
        id integer PRIMARY KEY,
        kind varchar(40) NOT NULL,
        object_id bigint NOT NULL,
        UNIQUE (kind, object_id)
    )
    """,
    """
    CREATE VIRTUAL TABLE search_document USING fts5(
        kind UNINDEXED, object_id UNINDEXED, body, tokenize = 'unicode61'
    )
    """,
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_document", "DROP TABLE IF EXISTS search_key"]


def _run(schema_editor, statements_by_vendor):
    vendor = schema_editor.connection.vendor
    if vendor not in statements_by_vendor:
        raise RuntimeError(f"fengqiao.search supports PostgreSQL and SQLite, not {vendor}")
    for statement in statements_by_vendor[vendor]:
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create, drop)]
