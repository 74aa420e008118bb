"""Redis as the shared cache (issue 16, item 4): with ``REDIS_URL`` the "default" cache
(figures keyed on the data version, the sessions' copies) is Redis, and a Redis that
does not answer is an empty cache, never a 5xx (artisanat/cache.py). Against a real
throw-away redis-server (the fixture of tests/artisanat/test_throttling.py)."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.cache import caches

from artisanat.cache import ResilientRedisCache
from tests.artisanat.test_throttling import PROJECT, REDIS_SERVER
from tests.servers import free_port


class RedisServer:
    """A throw-away redis-server on a free port that a test may stop, start again
    (empty: no persistence), pause (SIGSTOP: alive, not answering) and resume."""

    def __init__(self, folder):
        self.folder, self.port, self.process = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.exceptions.ConnectionError:
                pass
            assert self.process.poll() is None, "redis-server stopped"
            assert time.monotonic() < deadline, "redis-server did not answer within 20 s"
            time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_url(tmp_path):
    """The fixture of tests/artisanat/test_throttling.py (same skip / ARTISANAT_REQUIRE_REDIS
    rule), as a server the test can stop and start."""
    if REDIS_SERVER is None:
        reason = "redis-server is not installed (Debian package redis-server): the Redis path is not tested"
        if os.environ.get("ARTISANAT_REQUIRE_REDIS") == "1":
            pytest.fail(f"ARTISANAT_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def resilient(location, timeout=1):
    return ResilientRedisCache(
        location,
        {"KEY_PREFIX": "t", "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout}},
    )


def test_a_stopped_redis_is_an_empty_cache_that_keeps_nothing(caplog):
    cache = resilient(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    with caplog.at_level(logging.WARNING, logger="artisanat.availability"):
        assert cache.get("figure", "absent") == "absent"
        cache.set("figure", 1)
        assert cache.add("figure", 1) is False
        assert cache.delete("figure") is False
        assert cache.get_many(["a", "b"]) == {}
        cache.set_many({"a": 1})
        cache.delete_many(["a"])
        assert cache.has_key("a") is False
        with pytest.raises(ValueError):
            cache.incr("a")
    assert [r.getMessage()[:35] for r in caplog.records] == ["cache unavailable (Redis): get -> t"]


def test_with_redis_it_is_a_cache(redis_url):
    cache = resilient(redis_url.url)
    cache.set("figure", {"valeur": 1})
    assert cache.get("figure") == {"valeur": 1}
    cache.delete("figure")
    assert cache.get("figure") is None


def test_what_changed_during_an_outage_is_not_served_afterwards(redis_url, caplog):
    """Redis alive but not answering (a network cut; here SIGSTOP): a session signed out
    then must not come back from Redis once it answers again."""
    cache = resilient(redis_url.url)
    cache.set("session", "signed-in")
    cache.set("other", "kept")
    redis_url.pause()
    try:
        assert cache.delete("session") is False  # timed out: remembered
        assert cache.get("other") is None  # a miss, not an error
    finally:
        redis_url.resume()
    with caplog.at_level(logging.WARNING, logger="artisanat.availability"):
        assert cache.get("other") == "kept"  # answers again: the stale key goes first
    assert cache.get("session") is None
    assert any("1 stale key(s) removed" in r.getMessage() for r in caplog.records)


@pytest.fixture
def redis_caches(settings, redis_url):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "artisanat.cache.ResilientRedisCache",
            "LOCATION": redis_url.url,
            "KEY_PREFIX": "artisanat-cache",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "default"
    return redis_url


@pytest.mark.django_db
def test_signed_in_pages_answer_with_redis_stopped_and_restarted(redis_caches, client, viewer):
    """The home (figures in the cache) and the session (cached_db): Redis up, stopped,
    then started again empty: the same signed-in client is served every time."""
    client.force_login(viewer)
    assert client.get("/").status_code == 200
    assert caches["default"].get(f"django.contrib.sessions.cached_db{client.session.session_key}") is not None
    redis_caches.stop()
    assert client.get("/").status_code == 200  # still signed in: the session is in the database
    assert client.get("/strategie/").status_code == 200
    redis_caches.start()  # empty
    assert client.get("/").status_code == 200
    assert client.get("/strategie/").status_code == 200


def _settings_with(**env):
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CACHES['default']['BACKEND'], s.SESSION_ENGINE, s.READ_REPLICA, "
        "sorted(s.DATABASES), s.DATABASES['replica'].get('NAME'), s.DATABASES['replica'].get('TEST', {}).get('MIRROR')]))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ARTISANAT_")) and k not in {"REDIS_URL", "DATABASE_REPLICA_URL"}
    }
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1", DATABASE_URL="", **env)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_settings_with_and_without_redis_and_a_replica():
    backend, sessions, replica, aliases, _name, test = _settings_with()
    assert backend == "django.core.cache.backends.locmem.LocMemCache"
    assert sessions == "django.contrib.sessions.backends.db"
    assert (replica, aliases, test) == (False, ["default", "replica"], "default")
    backend, sessions, replica, aliases, name, test = _settings_with(
        REDIS_URL="redis://cache.internal:6379/0", DATABASE_REPLICA_URL="postgres://lecteur@replica.internal/artisanat"
    )
    assert backend == "artisanat.cache.ResilientRedisCache"
    assert sessions == "django.contrib.sessions.backends.cached_db"
    assert (replica, name, test) == (True, "artisanat", "default")
