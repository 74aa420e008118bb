"""The one registry of database triggers.

Some guarantees cannot be a CHECK constraint: a rule that spans tables, history that
may only grow, the data version every write bumps, the stored figures kept in the
transaction of the write. Each is a set of triggers that an app declares once, in its
``AppConfig.ready()``, with :func:`register`; after every ``migrate`` (and ``flush``)
one ``post_migrate`` receiver (artisanat/apps.py) installs every registered set, in the
order they were registered. Why after every migrate: SQLite rebuilds a table to alter
it and drops its triggers on the way, so a trigger created once by a migration would
silently vanish at the next schema change.

A :class:`TriggerSet` names its SQL for each database this project runs on (SQLite and
PostgreSQL), how to drop it and which trigger names prove it is present; this module
holds what they all repeat — the choice by vendor, the list of triggers present, the
install/drop loop. Cross-table *rules* (:class:`Rule`) are the most common kind: an app
lists them in its ``db_rules.py`` and registers them with :func:`register_rules`; their
messages are what the API and the pages show when the database refuses a write."""

import re
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db import connections

SUPPORTED = ("sqlite", "postgresql")
_REGISTRY = {}


def vendor_of(connection):
    """``connection.vendor``, refused unless it is one this project supports."""
    if connection.vendor not in SUPPORTED:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(connection.vendor)
    return connection.vendor


def present_triggers(connection=default_connection):
    """``{(table, trigger name)}`` of every trigger the database holds (not the
    PostgreSQL internal ones behind foreign keys)."""
    with connection.cursor() as cursor:
        if vendor_of(connection) == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
        return set(cursor.fetchall())


def present_trigger_names(connection=default_connection):
    return {name for _table, name in present_triggers(connection)}


def run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@dataclass(frozen=True)
class TriggerSet:
    """A named set of triggers.

    ``sqlite`` / ``postgresql``: ``f(connection, tables)`` → the statements that
    (re)create the set, given the tables that exist (idempotent: each drops what it
    creates first). ``drop_sqlite`` / ``drop_postgresql``: ``f(connection, tables)`` →
    the statements that remove it (optional: a set that is never dropped has none)."""

    name: str
    sqlite: object
    postgresql: object
    drop_sqlite: object = None
    drop_postgresql: object = None

    def install(self, connection=default_connection, tables=None):
        existing = set(connection.introspection.table_names())
        builder = getattr(self, vendor_of(connection))
        run(connection, builder(connection, existing if tables is None else existing & set(tables)))

    def drop(self, connection=default_connection, tables=None):
        builder = getattr(self, f"drop_{vendor_of(connection)}")
        if builder is None:
            raise NotImplementedError(f"{self.name} is never dropped")
        existing = set(connection.introspection.table_names())
        run(connection, builder(connection, existing if tables is None else existing & set(tables)))


def register(trigger_set):
    """Declare ``trigger_set`` (once per name; a second call replaces it in place)."""
    _REGISTRY[trigger_set.name] = trigger_set
    return trigger_set


def registered():
    return list(_REGISTRY.values())


def install_all(connection=default_connection):
    """(Re)create every registered set, in registration order. Idempotent."""
    for trigger_set in registered():
        trigger_set.install(connection)


def install_after_migrate(sender, using, **kwargs):
    """post_migrate receiver (artisanat/apps.py): every table exists by then."""
    install_all(connections[using])


def free_sqlite_tables(connection, tables):
    """For a migration that rebuilds or alters ``tables`` on an existing SQLite database:
    drop every trigger whose SQL names one of them first. SQLite refuses to drop or
    rename a table that another table's trigger reads (a rebuild does both) and to drop a
    column that a trigger names. The post_migrate receiver above reinstalls every
    registered set once the migrations have run. Nothing to do on PostgreSQL."""
    if vendor_of(connection) != "sqlite":
        return
    names = [re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE) for table in tables]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        doomed = [name for name, sql in cursor.fetchall() if any(n.search(sql or "") for n in names)]
        for name in doomed:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


# ---------------------------------------------------------------- cross-table rules


@dataclass(frozen=True)
class Rule:
    """A rule that spans tables: a name (like a constraint), a table, a *violation*
    condition in SQL that SQLite and PostgreSQL both understand, written against the
    changed row as ``NEW``, and the message a person reads. After an insert or update
    that makes the condition true, the database aborts the statement with an integrity
    error naming the rule. ``Model.clean()`` checks the same rule first with a message;
    the trigger is the guarantee behind it, whatever path writes (admin, bulk insert,
    raw SQL).

    ``update_violation`` (optional) replaces ``violation`` for updates, written against
    ``NEW`` and ``OLD``: for a rule that only some changes can break (an indicator's
    frequency changing under its rows), or that rows recorded before it existed may
    break without being frozen by it (strategy/db_rules.py)."""

    name: str
    table: str
    violation: str
    message: str = field(compare=False)
    update_violation: str | None = None
    # (table, column) pairs the SQL reads that a migration added later: the rule is not
    # installed on a database migrated back before them (SQLite and PostgreSQL accept a
    # trigger naming a missing column, then fail every write it fires on).
    needs: tuple = ()

    def violation_on(self, event):
        return self.update_violation if event == "update" and self.update_violation else self.violation


def _rule_sqlite(rule):
    statements = []
    for event in ("insert", "update"):
        trigger = f"{rule.name}_{event}"
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger};",
            f"CREATE TRIGGER {trigger} AFTER {event.upper()} ON {rule.table} FOR EACH ROW "
            f"WHEN ({rule.violation_on(event)}) BEGIN SELECT RAISE(ABORT, '{rule.name}'); END;",
        ]
    return statements


def _rule_postgresql(rule):
    raise_it = (
        f"RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{rule.name}', CONSTRAINT = '{rule.name}';"
    )
    if rule.update_violation:
        body = f"""  IF TG_OP = 'UPDATE' THEN
    IF ({rule.update_violation}) THEN
      {raise_it}
    END IF;
  ELSIF ({rule.violation}) THEN
    {raise_it}
  END IF;"""
    else:
        body = f"""  IF ({rule.violation}) THEN
    {raise_it}
  END IF;"""
    return [
        f"""CREATE OR REPLACE FUNCTION {rule.name}_check() RETURNS trigger AS $$
BEGIN
{body}
  RETURN NULL;
END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {rule.name} ON {rule.table};",
        f"CREATE TRIGGER {rule.name} AFTER INSERT OR UPDATE ON {rule.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {rule.name}_check();",
    ]


_RULES = {}


def _installable(connection, rules, tables):
    """The rules whose table exists and whose ``needs`` columns all do."""
    columns = {}
    with connection.cursor() as cursor:
        for table in {table for rule in rules for table, _column in rule.needs}:
            description = connection.introspection.get_table_description(cursor, table) if table in tables else []
            columns[table] = {column.name for column in description}
    return [
        rule for rule in rules if rule.table in tables and all(column in columns[table] for table, column in rule.needs)
    ]


def _drop_sqlite(rule):
    return [f"DROP TRIGGER IF EXISTS {rule.name}_{event}" for event in ("insert", "update")]


def _drop_postgresql(rule):
    return [f"DROP TRIGGER IF EXISTS {rule.name} ON {rule.table}"]


def _install_rules(connection, rules, tables, create, drop):
    """(Re)create the installable rules; drop those whose columns are gone (a database
    migrated back: PostgreSQL keeps a table's triggers through the change)."""
    installable = _installable(connection, rules, tables)
    statements = [s for r in rules if r.table in tables and r not in installable for s in drop(r)]
    return statements + [s for r in installable for s in create(r)]


def register_rules(app_label, rules):
    """Register an app's cross-table rules as the trigger set ``<app>_rules``."""
    rules = tuple(rules)
    _RULES[app_label] = rules
    return register(
        TriggerSet(
            f"{app_label}_rules",
            sqlite=lambda connection, tables: _install_rules(connection, rules, tables, _rule_sqlite, _drop_sqlite),
            postgresql=lambda connection, tables: _install_rules(
                connection, rules, tables, _rule_postgresql, _drop_postgresql
            ),
            drop_sqlite=lambda connection, tables: [
                f"DROP TRIGGER IF EXISTS {r.name}_{event}" for r in rules for event in ("insert", "update")
            ],
            drop_postgresql=lambda connection, tables: [
                f"DROP TRIGGER IF EXISTS {r.name} ON {r.table}" for r in rules if r.table in tables
            ],
        )
    )


def rules():
    """Every registered rule, all apps together."""
    return [rule for app_rules in _RULES.values() for rule in app_rules]


def rule_messages():
    """rule name → the message a person reads, for the surfaces that turn the
    database's refusal into a 400/409 or a form error."""
    return {rule.name: rule.message for rule in rules()}


def installed_rules(connection=default_connection):
    """Names of the rules whose triggers are present (for tests and checks)."""
    names = present_trigger_names(connection)
    if vendor_of(connection) == "sqlite":  # one trigger per event: both must be there
        return {r.name for r in rules() if {f"{r.name}_insert", f"{r.name}_update"} <= names}
    return {rule.name for rule in rules()} & names
