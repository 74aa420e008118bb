"""History is append-only: database triggers refuse to change or delete a history row.

django-simple-history writes one row per change in the ``historical*`` tables (and the
``historical*_<m2m>`` tables of the many-to-many snapshots). The product never alters
them (no admin for them, revert disabled, read-only history pages); these triggers are
the guarantee behind that, whatever path writes (admin, shell, raw SQL of the
application's connection). They are named ``<history table>_append_only`` (PostgreSQL,
one for both statements) and ``<history table>_append_only_update`` / ``_delete``
(SQLite), the table name shortened with a hash where PostgreSQL's 63 characters demand:

- UPDATE is refused, except exactly the one legitimate change: deleting a user sets
  ``history_user_id`` to NULL on their rows (``on_delete=SET_NULL``) and nothing else;
- DELETE is refused.

An administrator's maintenance (``manage.py flush``, which this project's ``flush``
command wraps, or a deliberate purge) runs inside :func:`history_maintenance`, which
unlocks the current connection only: on SQLite through the SQL function
``artisanat_history_unlocked()`` that every connection of the application registers
(a connection without it, such as the ``sqlite3`` shell, cannot change history at
all); on PostgreSQL through the session setting ``artisanat.history_maintenance``.
``TRUNCATE`` on PostgreSQL (what ``flush`` runs there) is a table owner's statement
and fires no row trigger.

The triggers are the set ``HISTORY_GUARDS`` of the trigger registry
(artisanat/triggers.py), (re)installed after every ``migrate`` like the others.
"""

import hashlib
import threading
from contextlib import contextmanager

from django.apps import apps

from artisanat.triggers import TriggerSet, present_trigger_names

GUARD = "history_append_only"
SQLITE_UNLOCK_FUNCTION = "artisanat_history_unlocked"
PG_SETTING = "artisanat.history_maintenance"

_state = threading.local()


def _unlocked():
    return 1 if getattr(_state, "unlocked", False) else 0


def register_sqlite_function(sender, connection, **kwargs):
    """connection_created: give every SQLite connection the unlock function the triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_UNLOCK_FUNCTION, 0, _unlocked)


@contextmanager
def history_maintenance(connection):
    """Let this thread's ``connection`` delete or rewrite history rows (administrators'
    maintenance only; nothing in the product calls it)."""
    previous = getattr(_state, "unlocked", False)
    _state.unlocked = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
    try:
        yield
    finally:
        _state.unlocked = previous
        if connection.vendor == "postgresql" and not previous:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', false)", [PG_SETTING])


def is_historical(model):
    names = {f.name for f in model._meta.fields}
    return {"history_id", "history_type", "history_date"} <= names or ("m2m_history_id" in names and "history" in names)


def history_tables():
    """Tables of every historical model (and of their many-to-many snapshots)."""
    return sorted({m._meta.db_table for m in apps.get_models() if is_historical(m)})


MAX_NAME = 63  # PostgreSQL's identifier length; a longer name would be silently cut


def _trigger_name(table):
    """``<table>_append_only`` (the SQLite triggers add ``_update`` / ``_delete``); a
    table name too long for that is shortened and made unique by a hash of it."""
    room = MAX_NAME - len("_append_only_update")
    base = table if len(table) <= room else f"{table[: room - 9]}_{hashlib.sha1(table.encode()).hexdigest()[:8]}"
    return f"{base}_append_only"


def _trigger_names(table):
    name = _trigger_name(table)
    return f"{name}_update", f"{name}_delete"


def _sqlite_table(connection, table):
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    update, delete = _trigger_names(table)
    if "history_user_id" in columns:
        same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in columns if c != "history_user_id")
        user_nulled = f"(NEW.history_user_id IS NULL AND OLD.history_user_id IS NOT NULL AND {same})"
    else:
        user_nulled = "0"
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{GUARD}'); END;"
    return [
        f"DROP TRIGGER IF EXISTS {update};",
        f"CREATE TRIGGER {update} BEFORE UPDATE ON {table} FOR EACH ROW "
        f"WHEN NOT ({SQLITE_UNLOCK_FUNCTION}() OR {user_nulled}) {raise_}",
        f"DROP TRIGGER IF EXISTS {delete};",
        f"CREATE TRIGGER {delete} BEFORE DELETE ON {table} FOR EACH ROW WHEN NOT {SQLITE_UNLOCK_FUNCTION}() {raise_}",
    ]


_PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger AS $$
BEGIN
  IF current_setting('{PG_SETTING}', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) ->> 'history_user_id') IS NULL
     AND (to_jsonb(OLD) ->> 'history_user_id') IS NOT NULL
     AND (to_jsonb(NEW) - 'history_user_id') = (to_jsonb(OLD) - 'history_user_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{GUARD}', CONSTRAINT = '{GUARD}';
END; $$ LANGUAGE plpgsql;"""


def _postgresql_table(connection, table):
    name = _trigger_name(table)
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
        f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {GUARD}();",
    ]


def _guarded(tables):
    return [t for t in history_tables() if t in tables]


def _sqlite_sql(connection, tables):
    return [s for table in _guarded(tables) for s in _sqlite_table(connection, table)]


def _postgresql_sql(connection, tables):
    guarded = _guarded(tables)
    return ([_PG_FUNCTION] if guarded else []) + [s for t in guarded for s in _postgresql_table(connection, t)]


HISTORY_GUARDS = TriggerSet("history_append_only", sqlite=_sqlite_sql, postgresql=_postgresql_sql)


def guarded_tables(connection):
    """History tables whose append-only trigger is present (for tests and checks)."""
    names = present_trigger_names(connection)
    if connection.vendor == "sqlite":
        return {t for t in history_tables() if set(_trigger_names(t)) <= names}
    return {t for t in history_tables() if _trigger_name(t) in names}


def fit_change_reason(sender, history_instance, **kwargs):
    """pre_create_historical_record: a reason longer than the history column (100
    characters, when a validator's return or reopen reason may run to 2,000) is shortened
    with "…" instead of failing the whole change on PostgreSQL (SQLite does not check
    lengths). The full text stays on the row (``Measurement.status_reason``) and in that
    column of the same history row."""
    reason = history_instance.history_change_reason
    limit = history_instance._meta.get_field("history_change_reason").max_length
    if reason and limit and len(reason) > limit:
        history_instance.history_change_reason = reason[: limit - 1].rstrip() + "…"
