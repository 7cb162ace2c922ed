"""Planner statistics for the cases table (PostgreSQL only).

A finer histogram of region_path: with the default 100 buckets, a district's path prefix
(0.8 % of a province's cases) fell inside one bucket and PostgreSQL expected 992 cases instead of
80,000, and read a district's cases by path for the dashboard's list (237 ms) instead of walking
its partial index (8 ms).

A case's state, overdue flag, card and risk go together (an overdue case is mostly open, a red
card is overdue). Without these statistics PostgreSQL multiplies their selectivities as if they
were independent, expects several times fewer open overdue cases than there are, and at 10 M
cases chose a lossy bitmap scan (534 ms) over walking the dashboard's partial index (17 ms).
"""

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS case_state_stats (dependencies, mcv) "
    "ON state, is_overdue, supervision_level, risk_level FROM cases_case"
)
DROP = "DROP STATISTICS IF EXISTS case_state_stats"
TARGET = "ALTER TABLE cases_case ALTER COLUMN region_path SET STATISTICS %s"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute(TARGET % 1000)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(TARGET % -1)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_open_case_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
