"""The API throttles (issue 12, items 4 and 5): counted per client address as
artisanat/security_log.py reads it (``X-Forwarded-For`` only from trusted proxies), in
the shared "throttle" cache — the database by default, Redis with ``REDIS_URL`` — so
that every worker and every server counts the same requests."""

import ast
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.config.test_settings import start_django
from tests.servers import GUNICORN, clean_env, free_port

PROJECT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
TOKEN = "/api/v1/auth/token/"
PROXY = "127.0.0.1"


@pytest.fixture
def low_rates(monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "auth": "2/minute", "anon": "3/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def wrong_password(client):
    return client.post(TOKEN, {"username": "partner_a", "password": "faux"}, format="json").status_code


# ---------------------------------------------------------------- who is counted (item 4)


def test_without_trusted_proxies_a_new_forwarded_for_is_still_the_same_client(settings, low_rates, partner_a):
    settings.TRUSTED_PROXIES = []
    codes = [
        wrong_password(APIClient(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")) for i in range(5)
    ]
    assert codes == [401, 401, 429, 429, 429]


def test_behind_a_trusted_proxy_each_real_client_has_its_own_count(settings, low_rates, partner_a):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    a = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert [wrong_password(a) for _ in range(3)] == [401, 401, 429]
    # Client A writing another address in front of its own is still client A.
    forged = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.55, 203.0.113.1")
    assert wrong_password(forged) == 429
    b = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert wrong_password(b) == 401


def test_every_throttle_identifies_the_client_as_the_lockout_does(settings):
    from django.test import RequestFactory
    from rest_framework.request import Request

    from artisanat.api.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

    forwarded = "192.0.2.55, 203.0.113.1"
    request = Request(RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded))
    for trusted, client in (([], PROXY), (["127.0.0.1/32"], "203.0.113.1")):
        settings.TRUSTED_PROXIES = trusted
        for throttle in (AnonRateThrottle, UserRateThrottle, ScopedRateThrottle):
            assert throttle().get_ident(request) == client


def test_every_view_uses_the_projects_throttles():
    """rest_framework.throttling's classes count in each worker's memory and believe
    X-Forwarded-For: only artisanat/api/throttling.py may name them."""
    offenders = []
    for package in ("config", "portal", "contracts", "strategy", "artisanat"):
        for path in (PROJECT / package).rglob("*.py"):
            if path == PROJECT / "artisanat/api/throttling.py":
                continue
            source = path.read_text(encoding="utf-8")
            if "rest_framework.throttling" in source:
                offenders.append(str(path.relative_to(PROJECT)))
            for node in ast.walk(ast.parse(source)):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "rest_framework"
                    and (any(alias.name == "throttling" for alias in node.names))
                ):
                    offenders.append(str(path.relative_to(PROJECT)))
    assert offenders == []


# ---------------------------------------------------------------- where it is counted (item 5)


def test_the_counts_live_in_the_shared_cache_not_in_the_workers_memory(low_rates, as_partner_a, partner_a):
    for _ in range(3):
        assert as_partner_a.get("/api/v1/regions/").status_code == 200
    assert as_partner_a.get("/api/v1/regions/").status_code == 429
    # A worker's own memory (the default cache, the figures') forgets: a recycled worker.
    cache.clear()
    assert as_partner_a.get("/api/v1/regions/").status_code == 429
    assert len(caches["throttle"].get(f"throttle_user_{partner_a.pk}")) == 3


def test_the_throttle_cache_is_the_database_by_default(settings, db):
    assert settings.CACHES["throttle"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # A fresh database has its table: migrate created it (artisanat/apps.py).
    assert "artisanat_cache" in connection.introspection.table_names()
    caches["throttle"].set("probe", [1.0], 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM artisanat_cache")
        assert cursor.fetchone()[0] >= 1


def test_migrate_creates_the_cache_table(tmp_path):
    """``migrate`` alone (make run, the bench, the soak, production) leaves the table
    ready: no createcachetable to remember."""
    import sqlite3

    database = tmp_path / "neuve.sqlite3"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_")) and k != "REDIS_URL"}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{database}")
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(database) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "artisanat_cache" in tables


def _settings_of(**env):
    probe = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CACHES['throttle'], settings.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES']]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_")) and k != "REDIS_URL"}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1", DATABASE_URL="", **env)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    import json

    return json.loads(done.stdout)


def test_redis_url_puts_the_counts_in_redis():
    throttle, classes = _settings_of(REDIS_URL="redis://cache.internal:6379/2")
    assert throttle == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
        "KEY_PREFIX": "artisanat",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    assert classes == ["artisanat.api.throttling.AnonRateThrottle", "artisanat.api.throttling.UserRateThrottle"]
    assert _settings_of()[0]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_a_bad_redis_url_stops_start_up_naming_the_variable():
    done = start_django(DJANGO_DEBUG="1", REDIS_URL="memcached://127.0.0.1:11211")
    assert done.returncode != 0
    assert "REDIS_URL" in done.stderr.strip().splitlines()[-1]


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free port, in a temporary folder."""
    if REDIS_SERVER is None:
        reason = "redis-server is not installed (Debian package redis-server): the Redis path is not tested"
        if os.environ.get("ARTISANAT_REQUIRE_REDIS") == "1":  # CI: a missing server is a failure
            pytest.fail(f"ARTISANAT_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert server.poll() is None, "redis-server stopped"
            assert time.monotonic() < deadline, "redis-server did not answer within 20 s"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_with_redis_the_counts_live_in_redis(settings, redis_url, low_rates, as_partner_a):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "artisanat",
        },
    }
    for _ in range(3):
        assert as_partner_a.get("/api/v1/regions/").status_code == 200
    assert as_partner_a.get("/api/v1/regions/").status_code == 429
    import redis

    keys = redis.Redis.from_url(redis_url).keys("artisanat:*throttle_user_*")
    assert len(keys) == 1


def test_a_stopped_redis_answers_503_not_500_nor_unlimited(settings, low_rates, as_partner_a):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        },
    }
    response = as_partner_a.get("/api/v1/regions/")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "30"


# ---------------------------------------------------------------- several workers


SETUP = """
from django.contrib.auth import get_user_model
from artisanat.accounts.services import issue_token
from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Organisation

fca = Organisation.objects.create(name="FCA", acronym="FCA", kind=OrganisationKind.FEDERATION)
user = get_user_model().objects.create_user(username="partner", password="un-mot-de-passe-assez-long")
Membership.objects.create(user=user, organisation=fca, role=Role.REPORTER)
print("TOKEN " + issue_token(user)[1])
"""

WORKERS = 3
LIMIT = 5
REQUESTS = 20


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _throttled_by_several_workers(tmp_path, **extra_env):
    """gunicorn with WORKERS workers and LIMIT requests a minute per user on a file
    SQLite database: REQUESTS requests, one after the other. Returns the answers' codes
    and the worker (process id) that served each one."""
    database = tmp_path / "throttle.sqlite3"
    port = free_port()
    env = clean_env(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-and-random-secret-for-the-throttle-test-0123456789",
        DJANGO_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_LOG_LEVEL="WARNING",
        ARTISANAT_API_THROTTLE_USER=f"{LIMIT}/minute",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_LOG_LEVEL="WARNING",
        **extra_env,
    )
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
    token = next(line for line in done.stdout.splitlines() if line.startswith("TOKEN "))[6:]

    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [str(GUNICORN), "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(s)s %(U)s"],
            cwd=PROJECT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:  # up: /healthz is not throttled
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)
        codes = [_get(f"http://127.0.0.1:{port}/api/v1/regions/", token) for _ in range(REQUESTS)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text(errors="replace")
    served = [line.split() for line in text.splitlines() if line.startswith("ACCESS ") and "/api/v1/regions/" in line]
    assert "Traceback" not in text, text[-3000:]
    return codes, {pid for _, pid, _, _ in served}


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the server runs on a file SQLite database either way")
@pytest.mark.skipif(not GUNICORN.exists(), reason=f"gunicorn is not installed beside {sys.executable}")
@pytest.mark.parametrize("store", ["database", "redis"])
def test_several_workers_share_one_count(tmp_path, request, store):
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    codes, workers = _throttled_by_several_workers(tmp_path, **extra)
    assert len(workers) > 1, "every request went to the same worker: the test proves nothing"
    assert codes.count(200) == LIMIT, codes
    assert codes.count(429) == REQUESTS - LIMIT, codes
    assert codes[:LIMIT] == [200] * LIMIT
