"""Bulk loads (``manage.py seed_scale``): a table's secondary indexes are dropped while
the rows go in and built once at the end, and SQLite gets a larger page cache and
in-memory temporary storage for the load only.

Keeping ten indexes current row by row costs more than writing the rows: each insert
walks every B-tree, most of them in an order unrelated to the insertion order
(``status``, ``organisation``…), so pages are read and written again and again. One
``CREATE INDEX`` after the load sorts the table once per index.

What is dropped: only plain, non-unique indexes that no constraint stands behind —
on SQLite those whose ``PRAGMA index_list`` says ``unique = 0`` and ``origin = 'c'``
(``CREATE INDEX``), on PostgreSQL those that are not unique and not a constraint's
index. Unique indexes and constraint indexes stay and check every row as it goes in.
The indexes are recreated from the very definitions the database held before the load
(``sqlite_master.sql`` on SQLite, ``pg_get_indexdef`` on PostgreSQL), in their
original order, so the schema after the load is the one ``migrate`` made.

All of it inside the caller's transaction (DDL is transactional on both databases):
on error the rollback brings the indexes back as they were. On PostgreSQL,
``DROP INDEX`` locks the table until the commit — for loads, never for a live site."""

from contextlib import contextmanager

from django.db import connection as default_connection

# SQLite page cache for the load: a negative value is in KiB (256 MiB here), instead of
# the default 2 MiB — the load is one transaction whose dirty pages would otherwise spill
# to the WAL and be read back all along (a third of the old load's time was system
# calls), and the index builds sort in it. 1 GiB saves another ~10 % at 400 000 rows
# for ~60 MB more peak memory there; 256 MiB keeps the peak under 700 MB at a million.
SQLITE_LOAD_CACHE_KIB = 256 * 1024


def secondary_indexes(table, connection=default_connection):
    """``[(name, definition), …]`` of ``table``'s plain non-unique indexes, in creation
    order, with the SQL that recreates each exactly."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_list({connection.ops.quote_name(table)})")
            plain = {row[1] for row in cursor.fetchall() if row[2] == 0 and row[3] == "c"}
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "ORDER BY rowid",
                [table],
            )
            return [(name, sql) for name, sql in cursor.fetchall() if name in plain]
        if connection.vendor == "postgresql":
            cursor.execute(
                """SELECT c.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                ORDER BY c.oid""",
                [connection.ops.quote_name(table)],
            )
            return list(cursor.fetchall())
    return []


def all_index_definitions(table, connection=default_connection):
    """Every index of ``table`` with its definition, by name (for checks and tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        else:
            cursor.execute(
                """SELECT c.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = %s::regclass""",
                [connection.ops.quote_name(table)],
            )
        return dict(cursor.fetchall())


@contextmanager
def indexes_built_after(*models, connection=default_connection):
    """Drop the plain secondary indexes of ``models``' tables for the block, then
    recreate them, exactly, once the rows are in. Must run inside a transaction. Yields
    the list of the dropped indexes' names."""
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_built_after() runs inside a transaction (atomic).")
    dropped = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            for name, definition in secondary_indexes(model._meta.db_table, connection):
                cursor.execute(f"DROP INDEX {quote(name)}")
                dropped.append((name, definition))
    yield [name for name, _definition in dropped]
    if dropped and connection.vendor == "postgresql":
        # PostgreSQL builds no index on a table with pending trigger events: the
        # deferred foreign key checks of the new rows run now (SET CONSTRAINTS ALL
        # IMMEDIATE, then back to DEFERRED), as they would have at the commit.
        connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, definition in dropped:
            cursor.execute(definition)


@contextmanager
def sqlite_load_pragmas(connection=default_connection):
    """A larger page cache and in-memory temporary storage for the block (SQLite only),
    then the connection's previous values. Durability settings (``synchronous``,
    ``journal_mode``) are left alone. SQLite changes ``temp_store`` only outside a
    transaction: enter this block before ``atomic()`` (inside one, only the cache grows)."""
    if connection.vendor != "sqlite":
        yield
        return
    outside = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_LOAD_CACHE_KIB:d}")
        if outside:
            cursor.execute("PRAGMA temp_store")
            temp_store = cursor.fetchone()[0]
            cursor.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size):d}")
            if outside:
                cursor.execute(f"PRAGMA temp_store = {int(temp_store):d}")
