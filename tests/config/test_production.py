"""The production profile (DJANGO_DEBUG=0, README.md "Settings"): `check --deploy`
passes at WARNING, responses carry HSTS, the Content-Security-Policy and the other
security headers, cookies are Secure, HttpOnly and SameSite=Lax, collectstatic builds
the manifest WhiteNoise serves, gunicorn.conf.py reads the environment, and a failure
answers a generic page (or the API's JSON shape under /api/) with no traceback or SQL."""

import json
import logging
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path
from rest_framework.views import APIView

from config import urls as project_urls
from tests.conftest import PASSWORD

PROJECT = Path(__file__).resolve().parents[2]
HOST = "portail.example.ma"
SECRET_SQL = "SELECT password FROM auth_user WHERE id = 1"


def production_env(**extra):
    """The environment of a production start: nothing of the developer's DJANGO_*,
    ARTISANAT_* or DATABASE_URL, a real-looking secret key and the site's host name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_", "DATABASE_URL"))}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS=HOST)
    env.update(extra)
    return env


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


# ── check --deploy ──────────────────────────────────────────────────────────────────


def test_check_deploy_passes_at_warning_level():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_a_protection_is_turned_off():
    """The test above means something: without HSTS the same command fails."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_SSL_REDIRECT", "maybe"),
        ("DJANGO_TRUST_X_FORWARDED_PROTO", "2"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "portail.example.ma"),
    ],
)
def test_bad_production_values_stop_start_up_naming_the_variable(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


# ── the production profile end to end (one subprocess) ──────────────────────────────

PROBE = r"""
import json, sys, tempfile
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, override_settings

out = {}
with tempfile.TemporaryDirectory() as root, override_settings(STATIC_ROOT=root):
    call_command("collectstatic", interactive=False, verbosity=0)
    with open(f"{root}/staticfiles.json") as handle:
        out["manifest"] = sorted(json.load(handle)["paths"])
    out["storage"] = settings.STORAGES["staticfiles"]["BACKEND"]
    client = Client(HTTP_HOST="portail.example.ma", raise_request_exception=False)
    plain = client.get("/connexion/")
    out["http"] = [plain.status_code, plain.headers.get("Location")]
    def probe(response):
        cookies = {
            name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
            for name, c in response.cookies.items()
        }
        return {"status": response.status_code, "headers": dict(response.headers), "cookies": cookies,
                "body": response.content.decode()}
    out["login"] = probe(client.get("/connexion/", secure=True))
    call_command("createcachetable", verbosity=0)  # the API's throttles count in the database (as after migrate)
    out["docs"] = probe(client.get("/api/docs/", secure=True))
    out["missing"] = probe(client.get("/nulle-part/", secure=True))
    out["api_missing"] = probe(client.get("/api/v1/nulle-part/", secure=True))
    out["page500"] = render_to_string("500.html")
    out["settings"] = {name: getattr(settings, name) for name in (
        "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
        "CSRF_TRUSTED_ORIGINS")}
json.dump(out, sys.stdout)
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    database = tmp_path_factory.mktemp("production") / "unused.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        env=production_env(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=f"sqlite:///{database}"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_production_settings(production):
    values = production["settings"]
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # X-Forwarded-Proto is not trusted unless told
    assert values["CSRF_TRUSTED_ORIGINS"] == []


def test_http_is_redirected_to_https(production):
    assert production["http"] == [301, f"https://{HOST}/connexion/"]


def test_security_headers_over_https(production):
    login = production["login"]
    assert login["status"] == 200
    headers = login["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert_strict_csp(headers["Content-Security-Policy"])


def test_csrf_cookie_is_secure_httponly_and_lax(production):
    assert production["login"]["cookies"]["csrftoken"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_static_files_come_from_the_whitenoise_manifest(production):
    assert production["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert {"css/portal.css", "css/swagger-ui-page.css", "img/favicon.svg"} <= set(production["manifest"])
    assert any(p.startswith("drf_spectacular_sidecar/swagger-ui-dist/") for p in production["manifest"])
    assert re.search(r'href="/static/css/portal\.[0-9a-f]{12}\.css"', production["login"]["body"])
    assert re.search(r'href="/static/css/portal\.[0-9a-f]{12}\.css"', production["page500"])


def test_api_docs_in_production(production):
    docs = production["docs"]
    assert docs["status"] == 200
    assert_strict_csp(docs["headers"]["Content-Security-Policy"])
    assert_no_inline_code(docs["body"])
    assert re.search(
        r'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]{12}\.js"', docs["body"]
    )


def test_not_found_is_generic_in_production(production):
    page = production["missing"]
    assert page["status"] == 404
    assert "Page introuvable" in page["body"] and "Traceback" not in page["body"]
    assert_strict_csp(page["headers"]["Content-Security-Policy"])
    api = production["api_missing"]
    assert api["status"] == 404 and api["headers"]["Content-Type"] == "application/json"
    assert json.loads(api["body"])["code"] == "not_found"


# ── Content-Security-Policy (every profile) ─────────────────────────────────────────

STRICT_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def assert_strict_csp(header):
    directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert directives == STRICT_CSP


def assert_no_inline_code(html):
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "no script at all"
    for attributes in scripts:
        src = re.search(r'src="([^"]+)"', attributes)
        assert src, f"inline script: <script{attributes}>"
        assert src.group(1).startswith("/") and not src.group(1).startswith("//"), src.group(1)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert "http://" not in html and "https://" not in html  # nothing from another origin


def test_pages_carry_the_csp_and_security_headers(client, editor):
    client.force_login(editor)
    response = client.get("/")
    assert response.status_code == 200
    assert_strict_csp(response.headers["Content-Security-Policy"])
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_httponly_and_lax(client, editor):
    page = client.get("/connexion/")
    response = client.post(
        "/connexion/",
        {"username": "editor", "password": PASSWORD, "csrfmiddlewaretoken": page.cookies["csrftoken"].value},
    )
    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = response.cookies[name]
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


def test_api_docs_load_their_scripts_from_this_origin(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict_csp(response.headers["Content-Security-Policy"])
    html = response.content.decode()
    assert_no_inline_code(html)
    assert 'src="/api/docs/?script="' in html
    assert 'href="/static/css/swagger-ui-page.css"' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from validator.swagger.io


TEMPLATES = PROJECT / "templates"


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_have_no_inline_script_or_style(template):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    for match in re.finditer(r"<script\b([^>]*)>", source):
        # A data block (schema.org JSON-LD on the public pages) is never run: the only inline one allowed.
        attributes = match.group(1)
        assert "src=" in attributes or attributes.strip() == 'type="application/ld+json"', (
            f"inline <script> in {template}"
        )
    assert "<style" not in source, template
    assert not re.search(r"\sstyle=", source), template
    assert not re.search(r"\son[a-z]+=", source), f"inline event handler in {template}"


# ── error pages: generic, no traceback, JSON under /api/ ────────────────────────────


def boom(request):
    raise RuntimeError(f"database said: {SECRET_SQL}")


class BoomAPIView(APIView):
    permission_classes = []
    authentication_classes = []

    def get(self, request):
        raise RuntimeError(f"database said: {SECRET_SQL}")


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", BoomAPIView.as_view()),
    path("api/plain-boom/", boom),
    path("", include(project_urls)),
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def assert_nothing_leaks(body):
    for secret in ("Traceback", "RuntimeError", "SELECT", "auth_user", "database said", 'File "'):
        assert secret not in body


@pytest.fixture
def failing_client(db, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_page_that_fails_shows_the_generic_500_page(failing_client, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = failing_client.get("/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Erreur du serveur" in body
    assert_nothing_leaks(body)
    assert_strict_csp(response.headers["Content-Security-Policy"])
    assert SECRET_SQL in caplog.text  # the details go to the log, not to the visitor


@pytest.mark.parametrize("url", ["/api/v1/boom/", "/api/plain-boom/"])
def test_an_api_view_that_fails_answers_the_json_error_shape(failing_client, url):
    response = failing_client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {"code": "server_error", "message": body["message"], "details": {}}
    assert body["message"].startswith("Erreur interne du serveur")
    assert_nothing_leaks(response.content.decode())


def test_the_project_urlconf_names_the_error_views():
    assert project_urls.handler404 == "config.error_views.page_not_found"
    assert project_urls.handler500 == "config.error_views.server_error"


def test_not_found_under_api_is_json_and_elsewhere_the_page(failing_client):
    response = failing_client.get("/nulle-part/")
    assert response.status_code == 404 and "Page introuvable" in response.content.decode()
    response = failing_client.get("/api/v1/nulle-part/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_500_and_503_pages_render_without_context_or_database():
    # No db fixture here: a query would raise.
    page500 = render_to_string("500.html")
    page503 = render_to_string("503.html")
    assert "Erreur du serveur" in page500
    assert "Service momentanément indisponible" in page503
    for page in (page500, page503):
        assert "/static/css/portal.css" in page
        assert_no_inline_code_in_page(page)


def assert_no_inline_code_in_page(html):
    assert "<script" not in html and "<style" not in html and not re.search(r"\sstyle=", html)


# ── gunicorn.conf.py ────────────────────────────────────────────────────────────────

GUNICORN_VARIABLES = (
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_LOG_LEVEL",
    "GUNICORN_FORWARDED_ALLOW_IPS",
)


@pytest.fixture
def gunicorn_conf(monkeypatch):
    for name in GUNICORN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return lambda: runpy.run_path(str(PROJECT / "gunicorn.conf.py"))


def test_gunicorn_defaults(gunicorn_conf, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    conf = gunicorn_conf()
    assert conf["wsgi_app"] == "config.wsgi:application"
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == 5
    assert conf["timeout"] == 60 and conf["graceful_timeout"] == 30
    assert conf["accesslog"] == "-" and conf["errorlog"] == "-"
    assert conf["max_requests"] == 1000 and conf["max_requests_jitter"] == 100
    assert conf["preload_app"] is False
    assert conf["worker_tmp_dir"] == ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    assert conf["loglevel"] == "info"


def test_gunicorn_workers_are_capped(gunicorn_conf, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert gunicorn_conf()["workers"] == 12


def test_gunicorn_reads_the_environment(gunicorn_conf, monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8080,unix:/run/artisanat.sock")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "120")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    conf = gunicorn_conf()
    assert conf["bind"] == ["0.0.0.0:8080", "unix:/run/artisanat.sock"]
    assert (conf["workers"], conf["timeout"], conf["max_requests"], conf["max_requests_jitter"]) == (3, 120, 500, 50)


def test_gunicorn_refuses_a_bad_value_naming_the_variable(gunicorn_conf, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("GUNICORN_WORKERS", "many")
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS"):
        gunicorn_conf()
