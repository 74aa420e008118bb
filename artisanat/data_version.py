"""The data version: one row (``artisanat.DataVersion``) that every write to a figure's
source tables changes, and the cache of whole figures keyed on it.

Why: the home dashboard rolls up every indicator of the strategy at four dates and every
visible contract — work that does not grow with history (stored figures) but is large
(≈ 500 indicators). The minister's office reads it far more often than partners write,
so it is computed once per data version and served from the cache until a write
changes the version. The issue's rule is “caching only where invalidation is exact”:

- **Every write bumps the version, in its own transaction.** Database triggers on every
  table of the sector's data (the tables of every app that calls :func:`track` in its
  ``ready()`` — not the history, idempotency or authentication tables) update the row in the
  statement that writes, so a page, the API, the admin, an import, ``bulk_create`` or a
  raw ``QuerySet.update()`` all bump it; signals would miss the bulk paths. A reader
  never sees a write without its bump (same commit) nor a bump without its write.
- **The version is read before the data.** A figure computed after reading version V
  contains at least every write of V; at worst it also contains a later one, cached
  under V — harmless, since V is no longer current once that later write committed.
- **The stamp makes keys unique across rollbacks and flushes.** On PostgreSQL it is the
  writing transaction's id (never reused), on SQLite a random 64-bit number; a rolled
  back write brings back the old (version, stamp), whose cached figure is the old data's.
  The row is created by ``migrate`` (and after a ``flush``); without it nothing is cached.
- **The key carries what else the figure depends on**: who reads it (ministry or a
  partner organisation, and whether it may validate), the language, and the scope
  (date, phase, region, filière).

On PostgreSQL the bump is one ``UPDATE`` per statement (``FOR EACH STATEMENT``): a
500-row bulk insert bumps once. It serialises writing transactions on that row from
their first write to their commit — writes here are short and every service locks its
rows before it writes (strategy/services.py), so no cycle can form through it. SQLite
(``FOR EACH ROW`` only) already runs one writer at a time (``BEGIN IMMEDIATE``).

Like the other triggers, these are a set of the trigger registry (artisanat/triggers.py),
(re)installed after every ``migrate``: SQLite drops a table's triggers when a migration
rebuilds it."""

from django.apps import apps
from django.core.cache import cache
from django.db import connection as default_connection
from django.utils.translation import get_language

from artisanat import permissions
from artisanat.triggers import TriggerSet, present_triggers

TABLE = "artisanat_dataversion"
#: app label → the tables of that app that no figure reads (see ``track``).
_TRACKED = {}
FUNCTION = "artisanat_bump_data_version"
PREFIX = "dataversion_"
EVENTS = ("INSERT", "UPDATE", "DELETE")
MISSING = object()


def track(app_label, *, exclude=()):
    """Every write to a table of ``app_label`` bumps the version (called in the app's
    ``ready()``), except the tables of ``exclude``: those no figure reads, or those
    written only together with a table that bumps."""
    _TRACKED[app_label] = frozenset(exclude)


def source_tables():
    """Every table of the sector's data (models and many-to-many tables), sorted."""
    tables = set()
    for label, exclude in _TRACKED.items():
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            table = model._meta.db_table
            kept = model._meta.managed and not model._meta.proxy and not model.__name__.startswith("Historical")
            if kept and table not in exclude and table != TABLE:
                tables.add(table)
    return sorted(tables)


def _sqlite_table(table):
    for event in EVENTS:
        name = f"{PREFIX}{table}_{event.lower()}"
        yield f"DROP TRIGGER IF EXISTS {name};"
        yield (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN "
            f"INSERT INTO {TABLE} (id, version, stamp) VALUES (1, 1, random()) "
            f"ON CONFLICT (id) DO UPDATE SET version = version + 1, stamp = random(); END;"
        )


def _postgresql_function():
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {TABLE} (id, version, stamp) VALUES (1, 1, txid_current()) "
        f"ON CONFLICT (id) DO UPDATE SET version = {TABLE}.version + 1, stamp = txid_current(); "
        "RETURN NULL; END $$;"
    )


def _postgresql_table(table):
    name = f"{PREFIX}{table}"
    yield f"DROP TRIGGER IF EXISTS {name} ON {table};"
    yield (
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();"
    )


def _first_row(stamp):
    """The row from the start (a new or flushed database), so that figures are cached
    before the first write too."""
    return f"INSERT INTO {TABLE} (id, version, stamp) VALUES (1, 1, {stamp}) ON CONFLICT (id) DO NOTHING"


def _sqlite_sql(connection, tables):
    if TABLE not in tables:
        return []
    return [_first_row("random()"), *(s for t in source_tables() if t in tables for s in _sqlite_table(t))]


def _postgresql_sql(connection, tables):
    if TABLE not in tables:
        return []
    return [
        _first_row("txid_current()"),
        _postgresql_function(),
        *(s for t in source_tables() if t in tables for s in _postgresql_table(t)),
    ]


def _drop_sqlite(connection, tables):
    return [f"DROP TRIGGER IF EXISTS {PREFIX}{t}_{e.lower()}" for t in source_tables() if t in tables for e in EVENTS]


def _drop_postgresql(connection, tables):
    return [f"DROP TRIGGER IF EXISTS {PREFIX}{t} ON {t}" for t in source_tables() if t in tables]


DATA_VERSION = TriggerSet(
    "data_version",
    sqlite=_sqlite_sql,
    postgresql=_postgresql_sql,
    drop_sqlite=_drop_sqlite,
    drop_postgresql=_drop_postgresql,
)


def install_triggers(connection=default_connection):
    """Create (or re-create) the bump on every source table that exists. Idempotent."""
    DATA_VERSION.install(connection)


def drop_triggers(connection=default_connection, tables=None):
    """Remove the bump from ``tables`` (default: all) — for a bulk load, which calls
    ``bump()`` once and ``install_triggers()`` in the same transaction."""
    DATA_VERSION.drop(connection, tables)


def installed_tables(connection=default_connection):
    """Source tables that carry the bump (for tests and checks)."""
    return {table for table, name in present_triggers(connection) if name.startswith(PREFIX)}


def bump(connection=default_connection):
    """Change the version by hand (after a load that ran without the triggers)."""
    stamp = "txid_current()" if connection.vendor == "postgresql" else "random()"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (id, version, stamp) VALUES (1, 1, {stamp}) "
            f"ON CONFLICT (id) DO UPDATE SET version = {TABLE}.version + 1, stamp = {stamp}"
        )


def current():
    """``"version-stamp"`` as committed now (one query), or None without a row."""
    from artisanat.models import DataVersion

    row = DataVersion.objects.filter(pk=1).values_list("version", "stamp").first()
    return f"{row[0]}-{row[1]}" if row else None


def reader_key(user):
    """What of the reader a figure depends on: ministry or which partner, may validate."""
    if permissions.is_ministry(user):
        who = "ministry"
    elif permissions.is_reporter(user):
        who = f"org{permissions.organisation_id_of(user)}"
    else:
        who = "none"
    return f"{who}-{'v' if permissions.can_validate(user) else 'r'}"


def cached(name, user, parts, compute):
    """``compute()`` once per data version, reader, language and ``parts`` (the scope);
    read from the cache afterwards. The version is read first (module docstring)."""
    version = current()
    if version is None:
        return compute()
    scope = "|".join("" if part is None else str(getattr(part, "pk", part)) for part in parts)
    key = f"figures:{name}:{version}:{reader_key(user)}:{get_language()}:{scope}"
    value = cache.get(key, MISSING)
    if value is MISSING:
        value = compute()
        cache.set(key, value)
    return value
