"""SQLite: let bulk inserts use the library's real limit on query parameters.

Django 5.2 assumes SQLite's old compile-time default of 999 parameters per query, so a
bulk insert of 500 measurements (24 columns) is cut into 13 INSERT statements and its
history rows into 16 more. The SQLite that Python ships reports its actual limit
(``SQLITE_LIMIT_VARIABLE_NUMBER``, 32,766 or more since SQLite 3.32); reading it on
every new connection makes such an insert one statement, as on PostgreSQL (Django 6.0
does the same)."""

import sqlite3

#: Never more than this per statement, whatever the library allows.
CAP = 32766


def use_sqlite_parameter_limit(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    try:
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python < 3.11: keep Django's 999
        return
    connection.features.max_query_params = min(limit, CAP)
