"""``manage.py backup`` and ``manage.py restore`` (artisanat/backup.py).

The drill, on SQLite and on PostgreSQL: load the strategy and the demo data, back up,
restore into an EMPTY database, then compare the rows of every table and the figures
the portal shows (dashboard, indicators, contracts), computed by a separate process
against each database (tests/artisanat/drill_probe.py) — identical. Then the refusals:
a non-empty target without --force, a missing file, a file that is no backup, a backup
of the other engine, missing PostgreSQL programs; and the credentials of DATABASE_URL
never on pg_dump's command line."""

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from artisanat import backup as backup_module
from artisanat.backup import BackupError

pytestmark = pytest.mark.slow  # the backup drills: make test-slow, and CI

PROJECT = Path(__file__).resolve().parents[2]
PROBE = "from tests.artisanat.drill_probe import main; main()"


def _env(database_url, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ARTISANAT_")) and k not in {"DATABASE_URL", "PYTHONPATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=database_url,
        DEMO_PASSWORD="un-mot-de-passe-de-demonstration",
        **extra,
    )
    return env


def manage(database_url, *args, check=True):
    done = subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=PROJECT,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
    return done


def seed(database_url):
    for command in (["migrate", "--noinput", "-v0"], ["load_strategy"], ["seed_demo"]):
        manage(database_url, *command)


def fingerprint(database_url):
    done = manage(database_url, "shell", "-c", PROBE)
    line = next(line for line in done.stdout.splitlines() if line.startswith("FINGERPRINT "))
    return json.loads(line.removeprefix("FINGERPRINT "))


def assert_identical(source, restored):
    assert restored["rows"] == source["rows"]
    # A drill on an empty database would prove nothing.
    assert source["rows"]["strategy_measurement"] > 0
    assert source["rows"]["strategy_historicalmeasurement"] > 0
    assert source["rows"]["contracts_disbursement"] > 0
    assert restored["dashboard"] == source["dashboard"]
    assert restored["indicators"] == source["indicators"]
    assert restored["contracts"] == source["contracts"]
    assert any(figures[0] not in (None, "None") for figures in source["indicators"].values())


def error_of(done):
    assert done.returncode != 0
    return done.stderr.strip().splitlines()[-1]


# ---------------------------------------------------------------- SQLite


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite drill; PostgreSQL has its own below")
def test_sqlite_drill_backup_restore_into_an_empty_database_is_identical(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target_path = tmp_path / "restauree.sqlite3"
    target_url = f"sqlite:///{target_path}"
    archive = tmp_path / "sauvegarde.sqlite3"
    seed(source_url)
    source = fingerprint(source_url)

    done = manage(source_url, "backup", archive)
    assert f"{len(source['rows'])} tables, {sum(source['rows'].values())} lignes" in done.stdout
    assert archive.read_bytes().startswith(b"SQLite format 3\x00")
    assert not archive.with_name(archive.name + ".partial").exists()
    # One self-contained file (not left in WAL mode).
    with sqlite3.connect(archive) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    assert not target_path.exists()
    done = manage(target_url, "restore", archive)
    assert "restauré" in done.stdout
    assert_identical(source, fingerprint(target_url))

    # A second restore into the now non-empty database is refused and changes nothing…
    with sqlite3.connect(target_path) as db:
        db.execute("DELETE FROM strategy_measurement WHERE id = (SELECT MAX(id) FROM strategy_measurement)")
    changed = fingerprint(target_url)
    assert changed["rows"]["strategy_measurement"] == source["rows"]["strategy_measurement"] - 1
    assert "pas vide" in error_of(manage(target_url, "restore", archive, check=False))
    assert fingerprint(target_url) == changed
    # …unless forced: then the target is the backup again.
    manage(target_url, "restore", archive, "--force")
    assert_identical(source, fingerprint(target_url))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs the commands on SQLite files")
def test_sqlite_refusals_name_the_problem(tmp_path):
    url = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    assert "introuvable" in error_of(manage(url, "restore", tmp_path / "absent.sqlite3", check=False))
    text = tmp_path / "notes.txt"
    text.write_text("pas une sauvegarde\n")
    assert "pas une sauvegarde reconnue" in error_of(manage(url, "restore", text, check=False))
    dump = tmp_path / "pg.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    message = error_of(manage(url, "restore", dump, check=False))
    assert "PostgreSQL" in message and "SQLite" in message
    # A SQLite file that is not one of ours.
    other = tmp_path / "autre.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    assert "django_migrations" in error_of(manage(url, "restore", other, check=False))
    assert not (tmp_path / "vide.sqlite3").exists()  # refusals create no empty database
    # Backing up a database that does not exist, or over an existing file.
    assert "n'existe pas" in error_of(manage(url, "backup", tmp_path / "b.sqlite3", check=False))
    assert "existe déjà" in error_of(manage(url, "backup", text, check=False))
    assert text.read_text() == "pas une sauvegarde\n"


# ---------------------------------------------------------------- PostgreSQL programs


def test_missing_postgresql_programs_are_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump introuvable dans PG_BIN"):
        backup_module.pg_program("pg_dump")
    monkeypatch.delenv("PG_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup_module, "DEBIAN_PG_ROOT", tmp_path / "postgresql")
    with pytest.raises(BackupError, match="apt-get install postgresql-client"):
        backup_module.pg_program("pg_restore")
    # Found in PG_BIN when it is there.
    program = tmp_path / "pg_restore"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    assert backup_module.pg_program("pg_restore") == str(program)


def test_credentials_reach_pg_dump_through_the_environment_not_argv(tmp_path, monkeypatch):
    calls = []

    def fake_run(command, *, env, **kwargs):
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup_module.subprocess, "run", fake_run)
    monkeypatch.setattr(backup_module, "pg_program", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("PGHOST", "ailleurs.example")  # a stray variable must not redirect the dump
    database = {
        "NAME": "artisanat",
        "USER": "portail",
        "PASSWORD": "mot de passe secret ; $(rm -rf /)",
        "HOST": "db.example.ma",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "require", "options": "-c statement_timeout=30000"},
    }
    backup_module._pg_backup(database, tmp_path / "x.dump.partial")
    backup_module._pg_restore(database, tmp_path / "x.dump", force=True)
    for command, env in calls:
        assert not any("secret" in part or "portail" in part for part in command)
        assert (env["PGPASSWORD"], env["PGUSER"], env["PGHOST"], env["PGPORT"]) == (
            database["PASSWORD"],
            "portail",
            "db.example.ma",
            "5433",
        )
        assert (env["PGDATABASE"], env["PGSSLMODE"]) == ("artisanat", "require")
        assert "PGOPTIONS" not in env  # no statement timeout on a long dump
    assert calls[0][0][1:3] == ["--format=custom", "--no-password"]
    assert {"--clean", "--if-exists", "--single-transaction", "--exit-on-error"} <= set(calls[1][0])


# ---------------------------------------------------------------- PostgreSQL drill


def _server_url(settings_dict, name):
    user = settings_dict["USER"] or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    return f"postgres://{user}{password}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"


@pytest.fixture
def fresh_pg_databases():
    """Two new databases on the test server (dropped afterwards): names → URLs."""
    import psycopg2

    settings_dict = settings.DATABASES["default"]
    admin_url = _server_url(settings_dict, "postgres")
    names = [f"drill_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("source", "cible")]

    def run(statement):
        admin = psycopg2.connect(admin_url)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()

    for name in names:
        run(f'CREATE DATABASE "{name}"')
    try:
        yield [_server_url(settings_dict, name) for name in names]
    finally:
        for name in names:
            run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump / pg_restore need PostgreSQL (make test-postgres)"
)
def test_postgresql_drill_backup_restore_into_an_empty_database_is_identical(tmp_path, fresh_pg_databases):
    source_url, target_url = fresh_pg_databases
    archive = tmp_path / "sauvegarde.dump"
    seed(source_url)
    source = fingerprint(source_url)

    done = manage(source_url, "backup", archive)
    assert f"{len(source['rows'])} tables, {sum(source['rows'].values())} lignes" in done.stdout
    assert archive.read_bytes().startswith(b"PGDMP")

    manage(target_url, "restore", archive)
    assert_identical(source, fingerprint(target_url))
    # The rules installed by migrations (triggers) came back too: the disbursement
    # ceiling still refuses, in the restored database.
    check = (
        "from django.db import IntegrityError, transaction; from contracts.models import Disbursement; "
        "d = Disbursement.objects.select_related('commitment').first(); "
        "import datetime as dt\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        Disbursement.objects.create(commitment=d.commitment, date=d.date, amount=d.commitment.amount * 2)\n"
        "    print('ACCEPTED')\n"
        "except IntegrityError:\n"
        "    print('REFUSED')\n"
    )
    assert "REFUSED" in manage(target_url, "shell", "-c", check).stdout

    assert "pas vide" in error_of(manage(target_url, "restore", archive, check=False))
    manage(target_url, "restore", archive, "--force")
    assert_identical(source, fingerprint(target_url))
    sqlite_file = tmp_path / "s.sqlite3"
    with sqlite3.connect(sqlite_file) as db:
        db.execute("CREATE TABLE t (x)")
    message = error_of(manage(target_url, "restore", sqlite_file, check=False))
    assert "SQLite" in message and "PostgreSQL" in message
