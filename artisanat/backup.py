"""Backup and restore of the whole database (``manage.py backup`` / ``manage.py restore``).

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``, found in ``PG_BIN``, else
  on ``PATH``, else in Debian's ``/usr/lib/postgresql/<version>/bin``. The credentials
  of ``DATABASE_URL`` reach them through the environment (``PGPASSWORD`` …), never on
  the command line, where any local user could read them.
- SQLite: the online backup API (``sqlite3.Connection.backup``), a consistent copy
  of a live database (WAL included), never a copy of the file.

A backup is written to ``PATH.partial`` and renamed when complete, so a failed or
interrupted backup never leaves a truncated file under the expected name. A restore
goes into an empty database; ``force`` replaces what is there."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections

from artisanat.env import env_str

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
FORMAT_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL (pg_dump -Fc)"}
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")


class BackupError(CommandError):
    """A backup or restore that cannot be done; the message says why."""


def engine_of(alias="default"):
    vendor = connections[alias].vendor
    if vendor not in FORMAT_NAMES:
        raise BackupError(f"Base de données non prise en charge : {vendor}.")
    return vendor


def format_of(path):
    """ "sqlite", "postgresql" or None, from the file's first bytes."""
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def table_names(alias="default"):
    """Tables of the database (Django's and any other), views excluded."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        return [t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t"]


def row_counts(alias="default"):
    """{table: rows} for every table of the database."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(table_names(alias)):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from introspection
            counts[table] = cursor.fetchone()[0]
    return counts


# ---------------------------------------------------------------- PostgreSQL


def pg_program(name):
    """Path of pg_dump / pg_restore: PG_BIN, else PATH, else Debian's newest version."""
    configured = env_str("PG_BIN")
    if configured:
        candidate = Path(configured) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"{name} introuvable dans PG_BIN={configured}.")
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        (p for p in DEBIAN_PG_ROOT.glob("*/bin") if p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
        reverse=True,
    )
    for directory in versions:
        if os.access(directory / name, os.X_OK):
            return str(directory / name)
    raise BackupError(
        f"{name} introuvable (ni PG_BIN, ni PATH, ni {DEBIAN_PG_ROOT}/*/bin) : installez les outils clients "
        "PostgreSQL (apt-get install postgresql-client) ou indiquez leur dossier dans PG_BIN."
    )


PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def pg_environment(settings_dict):
    """The process environment with the connection's parameters as libpq variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") or k == "PG_BIN"}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS") or {}
    values.update({variable: options.get(option) for option, variable in PG_OPTION_ENV.items()})
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _run(command, env):
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué (code {done.returncode}) : {done.stderr.strip()[-2000:]}")
    return done


def _pg_backup(settings_dict, partial):
    env = pg_environment(settings_dict)
    _run([pg_program("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"], env)


def _pg_restore(settings_dict, path, *, force):
    env = pg_environment(settings_dict)
    command = [
        pg_program("pg_restore"),
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={settings_dict['NAME']}",
    ]
    if force:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)], env)


# ---------------------------------------------------------------- SQLite


def _sqlite_backup(settings_dict, partial):
    source_path = Path(settings_dict["NAME"])
    timeout = (settings_dict.get("OPTIONS") or {}).get("timeout", 20)
    source = sqlite3.connect(source_path, timeout=timeout)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # one step: a consistent snapshot of the live database
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()


def _check_sqlite_file(path):
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            has_migrations = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} n'est pas une base SQLite lisible : {exc}.") from None
    if check != "ok":
        raise BackupError(f"{path} est endommagé (PRAGMA quick_check : {check}).")
    if not has_migrations:
        raise BackupError(f"{path} n'est pas une sauvegarde de ce portail (aucune table django_migrations).")


def _sqlite_restore(settings_dict, path):
    _check_sqlite_file(path)
    timeout = (settings_dict.get("OPTIONS") or {}).get("timeout", 20)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(settings_dict["NAME"], timeout=timeout)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


# ---------------------------------------------------------------- entry points


def backup(path, *, alias="default", force=False):
    """Write a backup of the database to ``path``; returns {table: rows} backed up."""
    path = Path(path)
    vendor = engine_of(alias)
    if path.exists() and not force:
        raise BackupError(f"{path} existe déjà : choisissez un autre nom ou ajoutez --force pour le remplacer.")
    if not path.parent.is_dir():
        raise BackupError(f"Le dossier {path.parent} n'existe pas.")
    settings_dict = connections[alias].settings_dict
    if vendor == "sqlite" and not Path(settings_dict["NAME"]).is_file():
        # Checked before connecting: connecting would create an empty database.
        raise BackupError(f"La base SQLite {settings_dict['NAME']} n'existe pas.")
    counts = row_counts(alias)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if vendor == "postgresql":
            _pg_backup(settings_dict, partial)
        else:
            _sqlite_backup(settings_dict, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def restore(path, *, alias="default", force=False):
    """Restore the backup ``path`` into the (empty) database; returns {table: rows} restored."""
    path = Path(path)
    vendor = engine_of(alias)
    if not path.is_file():
        raise BackupError(f"Fichier de sauvegarde introuvable : {path}.")
    found = format_of(path)
    if found is None:
        raise BackupError(
            f"{path} n'est pas une sauvegarde reconnue (ni une base SQLite, ni un fichier pg_dump au format custom)."
        )
    if found != vendor:
        raise BackupError(
            f"{path} est une sauvegarde {FORMAT_NAMES[found]} ; la base configurée (DATABASE_URL) est "
            f"{FORMAT_NAMES[vendor]}."
        )
    settings_dict = connections[alias].settings_dict
    missing_file = vendor == "sqlite" and not Path(settings_dict["NAME"]).exists()
    existing = [] if missing_file else table_names(alias)  # connecting would create the file
    if existing and not force:
        raise BackupError(
            f"La base cible n'est pas vide ({len(existing)} tables) : restaurez dans une base vide, "
            "ou ajoutez --force pour remplacer son contenu."
        )
    connections[alias].close()  # no lock of ours on the target while it is rewritten
    if vendor == "postgresql":
        _pg_restore(settings_dict, path, force=force)
    else:
        _sqlite_restore(settings_dict, path)
    return row_counts(alias)
