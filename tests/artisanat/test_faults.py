"""A database that stops answering (issue 6, item 7): pages and API answer 503 quickly
with the generic body and ``Retry-After`` (no traceback), ``/healthz`` says the database
is down, and everything recovers without a restart once it is back.

Unit tests make every query raise ``OperationalError``; the end-to-end test starts its
own PostgreSQL cluster and gunicorn, stops PostgreSQL under it and starts it again."""

import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import include, path

from artisanat.availability import DatabaseUnavailableMiddleware
from config import urls as project_urls
from strategy.models import Measurement
from tests.servers import free_port

pytestmark = pytest.mark.slow  # servers stopped and started: make test-slow, and CI

PROJECT = Path(__file__).resolve().parents[2]
DRIVER_MESSAGE = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
# What the test database itself runs around each test (savepoints, deferred checks).
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "SET CONSTRAINTS", "PRAGMA")


def assert_generic(body):
    for secret in ("Traceback", "OperationalError", "Connection refused", "SELECT", 'File "', "127.0.0.1"):
        assert secret not in body


@pytest.fixture
def database_down(monkeypatch):
    """From now on every query fails as when the server is stopped (transaction control
    statements still pass, so the test database's own savepoints keep working)."""
    real_execute = CursorWrapper.execute

    def execute(self, sql, params=None):
        if sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            return real_execute(self, sql, params)
        raise OperationalError(DRIVER_MESSAGE)

    def down():
        monkeypatch.setattr(CursorWrapper, "execute", execute)

    return down


@pytest.fixture
def prod_client(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_page_answers_503_with_the_maintenance_page(prod_client, editor, indicator, database_down, caplog):
    prod_client.force_login(editor)
    assert prod_client.get("/strategie/indicateurs/").status_code == 200
    database_down()
    with caplog.at_level(logging.INFO):
        response = prod_client.get("/strategie/indicateurs/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Service momentanément indisponible" in body
    assert_generic(body)
    # Logged once, on its own logger, one line without traceback; nothing as a 500.
    records = [r for r in caplog.records if r.name == "artisanat.availability"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert "GET /strategie/indicateurs/ -> 503" in records[0].getMessage()
    assert records[0].exc_info is None
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_the_api_answers_503_in_its_json_error_shape(prod_client, api, partner_a, indicator, database_down):
    client = api(partner_a)
    assert client.get("/api/v1/indicators/").status_code == 200
    database_down()
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {"code": "service_unavailable", "message": body["message"], "details": {}}
    assert body["message"].startswith("Service momentanément indisponible")
    assert_generic(response.content.decode())


def test_a_write_that_meets_a_stopped_database_is_a_503_and_writes_nothing(
    api, partner_a, indicator, database_down, monkeypatch
):
    client = api(partner_a)
    database_down()
    response = client.post(
        "/api/v1/measurements/",
        {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "5"},
        format="json",
    )
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"
    monkeypatch.undo()  # the database is back
    assert not Measurement.objects.exists()
    assert (
        client.post(
            "/api/v1/measurements/",
            {"indicator": indicator.pk, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "5"},
            format="json",
        ).status_code
        == 201
    )


def test_other_errors_are_still_500(prod_client, editor, monkeypatch):
    """Only an unreachable database is a 503: a programming error stays a 500."""
    from django.db import ProgrammingError

    real_execute = CursorWrapper.execute

    def execute(self, sql, params=None):
        if sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            return real_execute(self, sql, params)
        raise ProgrammingError("relation does not exist")

    prod_client.force_login(editor)
    monkeypatch.setattr(CursorWrapper, "execute", execute)
    assert prod_client.get("/strategie/indicateurs/").status_code == 500


def test_healthz_reports_the_database(prod_client, db, database_down):
    response = prod_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
    assert "Set-Cookie" not in response.headers and not response.cookies  # no session
    assert "no-cache" in response["Cache-Control"]
    database_down()
    response = prod_client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}
    assert response["Retry-After"] == "30"
    assert not response.cookies


def test_healthz_needs_no_sign_in_and_refuses_writes(prod_client, db):
    assert prod_client.get("/healthz").status_code == 200  # anonymous
    assert prod_client.head("/healthz").status_code == 200
    assert prod_client.post("/healthz").status_code == 405


# A failure outside any view (here a middleware) reaches handler500: a 503 as well.


class QueryingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError(DRIVER_MESSAGE)


urlpatterns = [path("", include(project_urls))]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.mark.parametrize(
    ("url", "kind"), [("/strategie/indicateurs/", "text/html"), ("/api/v1/indicators/", "application/json")]
)
def test_a_middleware_that_meets_a_stopped_database_answers_503(prod_client, settings, db, url, kind):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.QueryingMiddleware"]
    response = prod_client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"].startswith(kind)
    assert response["Retry-After"] == "30"
    assert_generic(response.content.decode())


def test_a_view_that_meets_a_stopped_database_answers_503(prod_client, editor, database_down, caplog):
    """Signing in queries the database inside the view: the middleware's process_exception."""
    database_down()
    with caplog.at_level(logging.INFO):
        response = prod_client.post("/connexion/", {"username": "editor", "password": "x" * 12})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Service momentanément indisponible" in response.content.decode()
    records = [r.getMessage() for r in caplog.records if r.name == "artisanat.availability"]
    assert len(records) == 1 and records[0].startswith("database unavailable: POST /connexion/ -> 503")
    assert not [r for r in caplog.records if r.name == "django.request"]  # not logged twice


def test_the_middleware_answers_only_for_an_unreachable_database(rf):
    from django.db import IntegrityError, InterfaceError

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    page, api_call = rf.get("/strategie/"), rf.get("/api/v1/indicators/")
    assert middleware.process_exception(page, OperationalError("server closed the connection")).status_code == 503
    assert middleware.process_exception(api_call, InterfaceError("connection already closed")).status_code == 503
    assert middleware.process_exception(page, IntegrityError("duplicate key")) is None
    assert middleware.process_exception(page, ValueError("bug")) is None


def test_the_middleware_comes_right_after_security(settings):
    # The read replica's middleware (artisanat/db_router.py) reads no database itself and
    # must see this one's 503 to serve the request again on the primary. Above them only
    # middlewares that read no database: security, CORS headers (the public API) and the
    # public answers' header trimming (opendata/middleware.py).
    replica = settings.MIDDLEWARE.index("artisanat.db_router.ReadReplicaMiddleware")
    assert settings.MIDDLEWARE[replica + 1] == "artisanat.availability.DatabaseUnavailableMiddleware"
    assert settings.MIDDLEWARE[:replica] == [
        "django.middleware.security.SecurityMiddleware",
        "corsheaders.middleware.CorsMiddleware",
        "opendata.middleware.PublicAnswerMiddleware",
    ]


# ── settings: timeouts and reconnection ─────────────────────────────────────────────

SETTINGS_PROBE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "d = settings.DATABASES['default']; "
    "print(json.dumps({k: d.get(k) for k in ('OPTIONS', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))"
)


def probe_settings(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    base.update(DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=PROJECT, env=base, capture_output=True, text=True, timeout=60
    )
    return result


def test_postgresql_connections_time_out_and_are_health_checked():
    result = probe_settings(DATABASE_URL="postgres://u@db.example:5432/artisanat")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["OPTIONS"]["connect_timeout"] == 5
    assert config["OPTIONS"]["options"] == "-c statement_timeout=30000"
    assert config["CONN_HEALTH_CHECKS"] is True and config["CONN_MAX_AGE"] == 0

    result = probe_settings(
        DATABASE_URL="postgres://u@db.example:5432/artisanat",
        DJANGO_DB_CONNECT_TIMEOUT="2",
        DJANGO_DB_STATEMENT_TIMEOUT="0",
        DJANGO_DB_CONN_MAX_AGE="60",
    )
    config = json.loads(result.stdout)
    assert config["OPTIONS"]["connect_timeout"] == 2
    assert "options" not in config["OPTIONS"]  # 0: no statement timeout
    assert config["CONN_MAX_AGE"] == 60


def test_management_commands_have_no_statement_timeout_unless_asked():
    """A migration or a data load may run longer than a page should."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options', ''))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env["DATABASE_URL"] = "postgres://u@db.example:5432/artisanat"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "statement_timeout" not in result.stdout
    env["DJANGO_DB_STATEMENT_TIMEOUT"] = "600"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip().splitlines()[-1] == "-c statement_timeout=600000"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DJANGO_DB_CONNECT_TIMEOUT", "0"), ("DJANGO_DB_STATEMENT_TIMEOUT", "soon"), ("DJANGO_DB_CONN_MAX_AGE", "-1")],
)
def test_bad_timeouts_stop_start_up_naming_the_variable(variable, value):
    result = probe_settings(DATABASE_URL="postgres://u@db.example:5432/artisanat", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


# ── end to end: gunicorn on a throw-away PostgreSQL that stops and comes back ───────


def pg_bindir():
    candidates = [os.environ.get("PG_BIN"), "/usr/lib/postgresql/15/bin"]
    if shutil.which("pg_config"):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    for candidate in candidates:
        if candidate and os.access(f"{candidate}/initdb", os.X_OK) and os.access(f"{candidate}/pg_ctl", os.X_OK):
            return candidate
    return None


class Cluster:
    """initdb in a temporary folder; pg_ctl start/stop (as `postgres` when root)."""

    def __init__(self, bindir, folder):
        self.bindir, self.folder, self.port = bindir, Path(folder), free_port()
        self.data = self.folder / "data"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")

    def run(self, *args, check=True):
        return subprocess.run(
            [*self.as_owner, *args], cwd=self.folder, capture_output=True, text=True, timeout=120, check=check
        )

    def init(self):
        self.run(
            f"{self.bindir}/initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self):
        options = f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            f"{self.bindir}/pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode="fast"):
        self.run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/artisanat"


SETUP_SNIPPET = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from artisanat.accounts.services import issue_token
from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Organisation
org = Organisation.objects.create(name="Ministère", acronym="MIN", kind=OrganisationKind.MINISTRY)
user = get_user_model().objects.create_user(username="lecteur", password=None)
Membership.objects.create(user=user, organisation=org, role=Role.VIEWER)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key, issue_token(user)[1])
"""


def fetch(url, headers, timeout=20):
    """(status, body, headers, seconds) without raising on 4xx/5xx."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body, got = response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        status, body, got = error.code, error.read().decode(), error.headers
    return status, body, got, time.monotonic() - started


@pytest.fixture(scope="module")
def stack():
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb/pg_ctl in PG_BIN, /usr/lib/postgresql/15/bin or pg_config)")
    folder = tempfile.mkdtemp(prefix="artisanat-faults-")
    cluster = Cluster(bindir, folder)
    server = None
    try:
        cluster.init()
        cluster.start()
        cluster.run(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "artisanat")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_", "GUNICORN_"))}
        env.update(
            DATABASE_URL=cluster.url,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_DB_CONNECT_TIMEOUT="3",
            DJANGO_DB_CONN_MAX_AGE="600",  # persistent connections: they must reconnect by themselves
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="2",
            GUNICORN_TIMEOUT="30",
            # Its own static folder: the SQLite and PostgreSQL runs of CI go side by side.
            DJANGO_STATIC_ROOT=str(Path(folder) / "static"),
        )

        def manage(*args, **kwargs):
            result = subprocess.run(
                [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, **kwargs
            )
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
            return result.stdout

        manage("migrate", "--noinput", timeout=600)
        manage("collectstatic", "--noinput", "-v", "0", timeout=300)
        session_key, token = manage("shell", "-c", SETUP_SNIPPET, timeout=120).split()[-2:]
        with open(Path(folder) / "gunicorn.log", "w") as log:
            server = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn")],
                cwd=PROJECT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(f"{base}/healthz", {}, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        yield {
            "base": base,
            "cluster": cluster,
            "server": server,
            "log": Path(folder) / "gunicorn.log",
            "page": {"Cookie": f"sessionid={session_key}"},
            "api": {"Authorization": f"Token {token}", "Accept": "application/json"},
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


CONNECT_TIMEOUT = 3


def test_a_stopped_database_answers_503_quickly_and_recovers_without_restart(stack):
    base, cluster, server = stack["base"], stack["cluster"], stack["server"]
    checks = [
        ("/strategie/indicateurs/", stack["page"]),
        ("/api/v1/indicators/", stack["api"]),
        ("/healthz", {}),
    ]
    # Up: every worker opens (and keeps) its connection.
    for _ in range(4):
        for url, headers in checks:
            status, body, _, _ = fetch(base + url, headers)
            assert status == 200, (url, body[:500])

    cluster.stop("fast")
    for _ in range(3):  # several rounds: both workers, each with its now-dead persistent connection
        for url, headers in checks:
            status, body, got, seconds = fetch(base + url, headers)
            assert status == 503, (url, status, body[:500])
            assert seconds < CONNECT_TIMEOUT + 2, (url, seconds)
            assert got["Retry-After"] == "30"
            assert_generic(body)
            if url == "/healthz":
                assert json.loads(body) == {"status": "unavailable", "database": "down"}
            elif url.startswith("/api/"):
                assert json.loads(body)["code"] == "service_unavailable"
            else:
                assert "Service momentanément indisponible" in body

    cluster.start()
    for _ in range(4):
        for url, headers in checks:
            status, body, _, _ = fetch(base + url, headers)
            assert status == 200, (url, status, body[:500])
    assert server.poll() is None  # the same gunicorn, never restarted
    log = stack["log"].read_text()
    assert "Traceback" not in log
    assert "database unavailable" in log
