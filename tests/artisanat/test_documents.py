"""Uploaded documents (issue 12, items 1 and 2; artisanat/documents.py): the types
accepted are recognised from the content, not the name; hostile files are refused
whatever they are called; the size is checked before the file is read; a stored file has
a random name in a folder no URL serves; the download answer is an attachment with
``nosniff`` and a sandboxing Content-Security-Policy, from the application or through
``X-Accel-Redirect`` / ``X-Sendfile``; the settings refuse a private folder inside a
served one; the migrations move the files of older versions."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import Resolver404, resolve

from artisanat import documents
from strategy.models import Measurement
from tests import documents as samples

PROJECT = Path(__file__).resolve().parents[2]
STORED = re.compile(r"^evidence/\d{4}/\d{2}/[0-9a-f]{32}\.[a-z]+$")


# ---------------------------------------------------------------- what is accepted


@pytest.mark.parametrize(
    ("name", "content", "code", "extension"), samples.ACCEPTED, ids=[s[0] for s in samples.ACCEPTED]
)
def test_every_accepted_type_is_recognised_from_its_content(name, content, code, extension):
    kind = documents.sniff(io.BytesIO(content), name)
    assert (kind.code, kind.extension) == (code, extension)


@pytest.mark.parametrize(("name", "content"), samples.HOSTILE, ids=[n for n, _c in samples.HOSTILE])
def test_hostile_files_are_refused_for_their_content(name, content):
    with pytest.raises(ValidationError) as refused:
        documents.sniff(io.BytesIO(content), name)
    assert refused.value.code == "document_type"
    assert "Type de fichier non accepté" in refused.value.messages[0]


@pytest.mark.parametrize(("name", "content"), samples.MACROS, ids=[n for n, _c in samples.MACROS])
def test_office_documents_with_macros_are_refused(name, content):
    with pytest.raises(ValidationError) as refused:
        documents.sniff(io.BytesIO(content), name)
    assert refused.value.code == "document_macros"


def test_a_pdf_that_holds_html_is_a_pdf_and_is_never_rendered():
    """A polyglot starting with %PDF- is accepted as a PDF: its answer is application/pdf,
    an attachment, nosniff and sandboxed (see the download tests), so no browser renders
    the HTML inside it as a page of the portal."""
    assert documents.sniff(io.BytesIO(b"%PDF-1.4\n" + samples.HTML), "x.pdf") is documents.PDF


def test_javascript_under_a_csv_name_is_text_served_as_csv():
    """Text has no signature: under a .csv name and without markup it is a CSV. It is
    served as text/csv with nosniff, which browsers refuse to run as a script."""
    assert documents.sniff(io.BytesIO(samples.JS), "x.csv") is documents.CSV


class Unreadable(io.BytesIO):
    """A file of a given size that must not be read."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def read(self, *args):
        raise AssertionError("read before its size was checked")


def test_the_size_is_checked_before_anything_is_read(settings):
    settings.DOCUMENT_MAX_BYTES = 4096
    with pytest.raises(ValidationError) as refused:
        documents.sniff(Unreadable(4097), "rapport.pdf")
    assert refused.value.code == "document_too_large"
    assert "taille maximale" in refused.value.messages[0]
    documents.sniff(io.BytesIO(samples.PDF.ljust(4096, b" ")), "rapport.pdf")  # at the limit: accepted


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        documents.sniff(io.BytesIO(b""), "vide.pdf")
    assert refused.value.code == "document_empty"


@pytest.mark.parametrize(
    ("client", "kind", "shown"),
    [
        ("rapport annuel.pdf", documents.PDF, "rapport annuel.pdf"),
        ("RAPPORT.PDF", documents.PDF, "RAPPORT.pdf"),
        ("../../etc/passwd", documents.PDF, "passwd.pdf"),
        ("C:\\Users\\fca\\bilan.xlsx", documents.XLSX, "bilan.xlsx"),
        ("x.php00.pdf", documents.PDF, "x.php00.pdf"),
        ("x.html", documents.PDF, "x.pdf"),  # the extension of the type found
        (".htaccess", documents.PDF, "htaccess.pdf"),
        ("photo.JPEG", documents.JPEG, "photo.jpeg"),
        ("rapport\u202efdp.exe", documents.PDF, "rapportfdp.pdf"),  # no right-to-left override
        ('a<b>:"c"|?*;.csv', documents.CSV, "a_b_c.csv"),
        ("تقرير.pdf", documents.PDF, "تقرير.pdf"),
        ("", documents.PDF, "document.pdf"),
        ("x" * 300 + ".pdf", documents.PDF, "x" * 150 + ".pdf"),
    ],
)
def test_the_name_shown_and_offered_is_the_clients_made_safe(client, kind, shown):
    assert documents.display_name(client, kind) == shown


# ---------------------------------------------------------------- storage


def test_stored_under_a_random_name_outside_every_served_folder(make_measurement, indicator, org_a, partner_a):
    measurement = make_measurement(indicator, org_a, partner_a)
    measurement.evidence = samples.upload("mon rapport <script>.pdf", samples.PDF)
    measurement.full_clean()
    measurement.save()
    name = measurement.evidence.name
    assert STORED.match(name), name
    assert "rapport" not in name and "script" not in name
    assert measurement.evidence_name == "mon rapport _script.pdf"
    path = Path(measurement.evidence.path).resolve()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert path.read_bytes() == samples.PDF
    for served in (settings.MEDIA_ROOT, settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not path.is_relative_to(Path(served).resolve())
    # Its URL is the download view of its row, never the file's place.
    assert measurement.evidence.url == f"/strategie/mesures/{measurement.pk}/piece/"
    with pytest.raises(ValueError):
        documents.private_storage().url(name)


def test_a_save_that_skips_validation_still_refuses_a_hostile_file(make_measurement, indicator, org_a, partner_a):
    """DocumentField.pre_save checks whatever saves the row (a shell, bulk_create)."""
    measurement = make_measurement(indicator, org_a, partner_a)
    before = sorted(Path(settings.PRIVATE_MEDIA_ROOT).rglob("*"))
    measurement.evidence = samples.upload("x.pdf", samples.HTML)
    with pytest.raises(ValidationError), transaction.atomic():
        measurement.save()
    assert sorted(Path(settings.PRIVATE_MEDIA_ROOT).rglob("*")) == before
    measurement.refresh_from_db()
    assert not measurement.evidence


def test_full_clean_names_the_field(make_measurement, indicator, org_a, partner_a):
    measurement = make_measurement(indicator, org_a, partner_a)
    measurement.evidence = samples.upload("x.svg", samples.SVG)
    with pytest.raises(ValidationError) as refused:
        measurement.full_clean()
    assert "Type de fichier non accepté" in refused.value.message_dict["evidence"][0]


def test_clearing_the_document_clears_its_name(make_measurement, indicator, org_a, partner_a):
    measurement = make_measurement(indicator, org_a, partner_a)
    measurement.evidence = samples.upload("rapport.pdf", samples.PDF)
    measurement.save()
    measurement.evidence = ""
    measurement.save()
    measurement.refresh_from_db()
    assert (measurement.evidence.name, measurement.evidence_name) == ("", "")


@pytest.mark.parametrize("path", ["/media/evidence/2026/12/x.pdf", "/media/contracts/x.pdf", "/private/evidence/x.pdf"])
def test_no_url_serves_the_files_themselves(client, path, settings):
    for debug in (True, False):
        settings.DEBUG = debug
        with pytest.raises(Resolver404):
            resolve(path)
    assert client.get(path).status_code == 404
    assert "static(" not in (PROJECT / "config" / "urls.py").read_text()


# ---------------------------------------------------------------- the answer


@pytest.fixture
def stored(make_measurement, indicator, org_a, partner_a):
    measurement = make_measurement(indicator, org_a, partner_a)
    measurement.evidence = samples.upload("Relevé 2024 « final ».pdf", samples.PDF)
    measurement.save()
    return measurement


def assert_document_headers(response, content_type="application/pdf"):
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_answer_is_an_attachment_that_is_never_rendered(stored, settings):
    response = documents.document_response(stored.evidence, stored.evidence_name)
    assert_document_headers(response)
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Relev%C3%A9%202024%20%C2%AB%20final%20%C2%BB.pdf"
    )
    assert b"".join(response.streaming_content) == samples.PDF
    assert "X-Accel-Redirect" not in response and "X-Sendfile" not in response


def test_behind_nginx_the_answer_is_an_x_accel_redirect(stored, settings):
    settings.DOCUMENT_X_ACCEL_REDIRECT = "/protected/"
    response = documents.document_response(stored.evidence, stored.evidence_name)
    assert_document_headers(response)
    assert response["X-Accel-Redirect"] == f"/protected/{stored.evidence.name}"
    assert re.fullmatch(r"/protected/evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", response["X-Accel-Redirect"])
    assert response.content == b""
    assert "X-Sendfile" not in response


def test_behind_apache_the_answer_is_an_x_sendfile(stored, settings):
    settings.DOCUMENT_X_SENDFILE = True
    response = documents.document_response(stored.evidence, stored.evidence_name)
    assert_document_headers(response)
    assert response["X-Sendfile"] == str(Path(settings.PRIVATE_MEDIA_ROOT) / stored.evidence.name)
    assert response.content == b""


def test_a_missing_file_is_a_404(stored):
    from django.http import Http404

    Path(stored.evidence.path).unlink()
    with pytest.raises(Http404):
        documents.document_response(stored.evidence, stored.evidence_name)


# ---------------------------------------------------------------- settings


def start_django(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_", "DATABASE_URL"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.PRIVATE_MEDIA_ROOT, s.DOCUMENT_MAX_BYTES, repr(s.DOCUMENT_X_ACCEL_REDIRECT), s.DOCUMENT_X_SENDFILE)"],
        cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_document_settings_have_safe_defaults_and_are_read_from_the_environment(tmp_path):
    done = start_django()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(PROJECT / "private"), str(8 * 1024 * 1024), "''", "False"]
    done = start_django(
        ARTISANAT_PRIVATE_MEDIA_ROOT=str(tmp_path),
        ARTISANAT_DOCUMENT_MAX_BYTES="2048",
        ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT="/protected/",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path), "2048", "'/protected/'", "False"]
    assert "/private/" in (PROJECT / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ARTISANAT_PRIVATE_MEDIA_ROOT": str(PROJECT / "media" / "private")}, "DJANGO_MEDIA_ROOT"),
        ({"ARTISANAT_PRIVATE_MEDIA_ROOT": str(PROJECT / "staticfiles")}, "DJANGO_STATIC_ROOT"),
        ({"ARTISANAT_PRIVATE_MEDIA_ROOT": str(PROJECT / "static" / "docs")}, "STATICFILES_DIRS"),
        ({"ARTISANAT_DOCUMENT_MAX_BYTES": str(10 * 1024 * 1024)}, "ARTISANAT_DOCUMENT_MAX_BYTES"),
        ({"ARTISANAT_DOCUMENT_MAX_BYTES": "lots"}, "ARTISANAT_DOCUMENT_MAX_BYTES"),
        ({"ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT": "protected"}, "ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT"),
        ({"ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT": "/a b/"}, "ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT"),
        (
            {"ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT": "/protected/", "ARTISANAT_DOCUMENT_X_SENDFILE": "1"},
            "ARTISANAT_DOCUMENT_X_SENDFILE",
        ),
    ],
)
def test_a_bad_document_setting_stops_start_up_naming_it(env, named):
    done = start_django(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert named in done.stderr.strip().splitlines()[-1]


# ---------------------------------------------------------------- the migrations


MIGRATE_ENV_KEYS = ("DJANGO_", "ARTISANAT_", "DATABASE_URL")
SQL_SNIPPET = """
import json, sys
from django.db import connection
out = []
with connection.cursor() as cursor:
    for statement in json.loads({statements!r}):
        cursor.execute(statement)
        out.append(cursor.fetchall() if cursor.description else None)
print(json.dumps(out))
"""


@pytest.fixture
def migration_database(tmp_path):
    """An empty database of the engine under test: a SQLite file, or a new PostgreSQL
    database on the test server (make test-postgres), dropped afterwards."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import uuid

    import psycopg2

    params = settings.DATABASES["default"]
    user, password = params["USER"] or "", f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    server = f"postgres://{user}{password}@{params['HOST']}:{params['PORT']}"
    name = f"documents_{uuid.uuid4().hex[:8]}"

    def run(statement):
        admin = psycopg2.connect(f"{server}/postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()

    run(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migrations_move_the_files_of_older_versions_and_back(tmp_path, migration_database):
    """On a database migrated before this change (SQLite, or PostgreSQL under make
    test-postgres): files under MEDIA_ROOT move to the private folder under random
    names, a hostile one is quarantined, a missing one is taken off its row; backwards,
    they go back under MEDIA_ROOT."""
    media, private = tmp_path / "media", tmp_path / "private"
    env = {k: v for k, v in os.environ.items() if not k.startswith(MIGRATE_ENV_KEYS)}
    env.update(
        DJANGO_DEBUG="1",
        DATABASE_URL=migration_database,
        DJANGO_MEDIA_ROOT=str(media),
        ARTISANAT_PRIVATE_MEDIA_ROOT=str(private),
    )

    def manage(*args):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    def sql(*statements):
        return json.loads(manage("shell", "-v", "0", "-c", SQL_SNIPPET.format(statements=json.dumps(statements))))

    manage("migrate", "-v", "0")
    manage("shell", "-c", "from tests.artisanat.test_documents import make_legacy_rows; make_legacy_rows()")
    manage("migrate", "strategy", "0004", "-v", "0")
    manage("migrate", "contracts", "0001", "-v", "0")
    (media / "evidence/2024/05").mkdir(parents=True)
    (media / "contracts").mkdir()
    (media / "evidence/2024/05/rapport.pdf").write_bytes(samples.PDF)
    (media / "evidence/2024/05/x.html").write_bytes(samples.HTML)
    (media / "contracts/CP-1.pdf").write_bytes(samples.PDF)
    ids = [row[0] for row in sql("SELECT id FROM strategy_measurement ORDER BY id")[0]]
    names = ["evidence/2024/05/rapport.pdf", "evidence/2024/05/x.html", "evidence/gone.pdf"]
    sql(
        *(
            f"UPDATE strategy_measurement SET evidence = '{name}' WHERE id = {pk}"
            for pk, name in zip(ids, names, strict=True)
        ),
        "UPDATE contracts_contratprogramme SET document = 'contracts/CP-1.pdf'",
    )

    out = manage("migrate")
    assert f"Measurement {ids[1]}: evidence 'evidence/2024/05/x.html' refused" in out
    assert f"Measurement {ids[2]}: evidence 'evidence/gone.pdf' is missing" in out
    rows, contract = sql(
        "SELECT evidence, evidence_name FROM strategy_measurement ORDER BY id",
        "SELECT document, document_name FROM contracts_contratprogramme",
    )
    assert STORED.match(rows[0][0]) and rows[0][1] == "rapport.pdf"
    assert rows[1] == ["", ""] and rows[2] == ["", ""]
    assert re.fullmatch(r"contracts/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", contract[0][0]) and contract[0][1] == "CP-1.pdf"
    assert (private / rows[0][0]).read_bytes() == samples.PDF
    assert (private / "quarantine/evidence/2024/05/x.html").read_bytes() == samples.HTML
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == []  # nothing left to serve
    # Every trigger set is back after the migration dropped some (artisanat/triggers.py).
    check = "from django.db import connection; from artisanat.triggers import install_all, present_trigger_names; "
    check += "before = present_trigger_names(connection); install_all(connection); "
    check += "print(len(before), before == present_trigger_names(connection))"
    count, complete = manage("shell", "-v", "0", "-c", check).split()
    assert int(count) > 10 and complete == "True"

    manage("migrate", "strategy", "0004", "-v", "0")
    manage("migrate", "contracts", "0001", "-v", "0")
    back = sql("SELECT evidence FROM strategy_measurement ORDER BY id")[0][0][0]
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/rapport\.pdf", back)
    assert (media / back).read_bytes() == samples.PDF


def make_legacy_rows():
    """Three measurements and a contract, in the database of the migration test."""
    import datetime as dt
    from decimal import Decimal

    from artisanat.choices import OrganisationKind
    from artisanat.models import Organisation
    from contracts.models import ContratProgramme
    from strategy.models import Axis, Indicator, Phase, Strategy

    strategy = Strategy.objects.create(name="S", start_date=dt.date(2021, 1, 1), end_date=dt.date(2030, 12, 31))
    phase = Phase.objects.create(
        strategy=strategy, code="relance", name="Relance", order=1,
        start_date=dt.date(2021, 1, 1), end_date=dt.date(2022, 12, 31),
    )  # fmt: skip
    axis = Axis.objects.create(strategy=strategy, number=1, title="Axe")
    org = Organisation.objects.create(name="FCA", acronym="FCA", kind=OrganisationKind.CHAMBER)
    indicator = Indicator.objects.create(
        code="IND", name="I", axis=axis, unit="count", aggregation="sum",
        baseline_value=Decimal(0), baseline_date=dt.date(2020, 12, 31), baseline_source="x",
    )  # fmt: skip
    for year in (2021, 2022, 2023):
        Measurement.objects.create(
            indicator=indicator, organisation=org, value=Decimal(1),
            period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31),
        )  # fmt: skip
    ContratProgramme.objects.create(
        reference="CP-1", title="C", kind="transversal", phase=phase,
        start_date=dt.date(2021, 1, 1), end_date=dt.date(2022, 12, 31),
    )  # fmt: skip
