"""Database triggers for rules that span tables, which a CHECK constraint cannot express.

Each rule has a name (like a constraint), a table and a *violation* condition in SQL
that both SQLite and PostgreSQL understand, written against the row as ``NEW``. After
an insert or update that makes the condition true, the database aborts the statement
with an integrity error naming the rule. ``Model.clean()`` checks the same rule first
with a message a person understands; the trigger is the guarantee behind it.
"""

from django.db import migrations


def _sqlite_sql(name, table, condition):
    return [
        f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} FOR EACH ROW "
        f"WHEN ({condition}) BEGIN SELECT RAISE(ABORT, '{name}'); END;"
        for event in ("INSERT", "UPDATE")
    ]


def _postgresql_sql(name, table, condition):
    return [
        f"""CREATE OR REPLACE FUNCTION {name}_check() RETURNS trigger AS $$
BEGIN
  IF ({condition}) THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{name}', CONSTRAINT = '{name}';
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;""",
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_check();",
    ]


def _drop_sql(vendor, name, table):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}_insert;", f"DROP TRIGGER IF EXISTS {name}_update;"]
    return [f"DROP TRIGGER IF EXISTS {name} ON {table};", f"DROP FUNCTION IF EXISTS {name}_check();"]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def rule_trigger(name, table, condition):
    """A migration operation that installs (and on reverse, drops) one rule trigger."""

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            _run(schema_editor, _sqlite_sql(name, table, condition))
        elif vendor == "postgresql":
            _run(schema_editor, _postgresql_sql(name, table, condition))
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(vendor)

    def backwards(apps, schema_editor):
        _run(schema_editor, _drop_sql(schema_editor.connection.vendor, name, table))

    return migrations.RunPython(forwards, backwards, elidable=False)


TRIGGER_RULES = (
    "target_due_inside_strategy",
    "measurement_period_inside_strategy",
    "measurement_fills_indicator_dimensions",
    "measurement_value_matches_aggregation",
    "disbursement_within_commitment",
    "commitment_covers_disbursements",
)
