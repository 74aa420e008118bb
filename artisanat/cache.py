"""The shared cache when ``REDIS_URL`` is set: Django's Redis backend that a Redis
which does not answer cannot turn into a 5xx.

What the "default" cache holds can always be rebuilt from the database: whole figures
keyed on the data version (artisanat/data_version.py) and the sessions' copies
(``SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"``: every session is in
the database too). So when Redis is stopped, restarted or unreachable,
:class:`ResilientRedisCache` answers as an empty cache that keeps nothing: a read is a
miss (the page computes the figure, the session is read from the database), a write or
a delete does nothing. One warning in the log (``artisanat.availability``) when Redis
stops answering, one when it answers again; nothing in between.

What it must not do is serve, once Redis is back, a value that a write during the outage
should have replaced or removed (a session signed out while Redis was unreachable but
still holding it): the keys whose ``set`` or ``delete`` failed are remembered in the
process (up to ``PENDING_LIMIT``; beyond, the whole cache is cleared) and deleted first
when Redis answers again. A Redis that was restarted without persistence holds nothing
old anyway.

The API throttles' counts (the "throttle" cache) deliberately stay on Django's plain
``RedisCache``: not counting would lift every limit, so a stopped Redis answers the API
with 503 there (artisanat/api/throttling.py)."""

import logging
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("artisanat.availability")

PENDING_LIMIT = 10_000


def store_errors():
    """What a Redis that does not answer raises (connection refused, reset, timed out)."""
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._down = False
        self._pending = set()  # raw keys whose set/delete failed during the outage
        self._overflow = False

    # -- the outage's bookkeeping ---------------------------------------------------
    def _failed(self, operation, exc, keys=()):
        with self._lock:
            if not self._down:
                self._down = True
                logger.warning(
                    "cache unavailable (Redis): %s -> treated as a miss (%s: %s)", operation, type(exc).__name__, exc
                )
            for key in keys:
                if len(self._pending) >= PENDING_LIMIT:
                    self._overflow = True
                    self._pending.clear()
                    break
                self._pending.add(key)

    def _recovered(self):
        """Called after every successful command; cheap when nothing was down."""
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            pending, overflow = list(self._pending), self._overflow
            try:
                if overflow:
                    self._forget_all()
                elif pending:
                    self._cache.delete_many(pending)
            except store_errors():
                return  # still down: keep everything for the next attempt
            self._down, self._pending, self._overflow = False, set(), False
        logger.warning(
            "cache available again (Redis): %s",
            "cleared (too many writes during the outage)" if overflow else f"{len(pending)} stale key(s) removed",
        )

    def _forget_all(self):
        """Every key of this cache (its KEY_PREFIX), not the whole Redis database: the
        throttles' counts may live in the same one."""
        if not self.key_prefix:
            self._cache.clear()
            return
        client = self._cache.get_client(write=True)
        batch = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)

    def _call(self, operation, command, on_error, stale_keys=()):
        try:
            result = command()
        except store_errors() as exc:
            self._failed(operation, exc, stale_keys)
            return on_error
        self._recovered()
        return result

    # -- the cache API -------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        raw = self.make_and_validate_key(key, version=version)
        return self._call(
            "add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False, [raw]
        )

    def get(self, key, default=None, version=None):
        return self._call("get", lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        raw = self.make_and_validate_key(key, version=version)
        self._call("set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None, [raw])

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        raw = self.make_and_validate_key(key, version=version)
        return self._call("delete", lambda: super(ResilientRedisCache, self).delete(key, version), False, [raw])

    def get_many(self, keys, version=None):
        return self._call("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._call("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        # A counter that cannot be read is not a missing key: say so (ValueError, as
        # for a missing key, is what callers of incr() handle).
        raw = self.make_and_validate_key(key, version=version)
        try:
            result = super().incr(key, delta, version)
        except store_errors() as exc:
            self._failed("incr", exc, [raw])
            raise ValueError(f"Key '{key}' not available: the cache does not answer.") from None
        self._recovered()
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        raws = [self.make_and_validate_key(key, version=version) for key in data]
        return self._call(
            "set_many", lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), list(data), raws
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        raws = [self.make_and_validate_key(key, version=version) for key in keys]
        return self._call(
            "delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None, raws
        )

    def clear(self):
        try:
            result = super().clear()
        except store_errors() as exc:
            self._failed("clear", exc)
            with self._lock:
                self._overflow = True  # everything must go once Redis answers
            return False
        self._recovered()
        return result
