"""Reads from a PostgreSQL streaming replica, for the requests that may read one.

With ``DATABASE_REPLICA_URL`` set (config/settings.py, ``READ_REPLICA``) there is a
"replica" database alias, a hot standby that replays the primary's WAL a few
milliseconds late. :class:`ReadReplicaMiddleware` decides, before anything reads the
database, whether the request may read it, and says so in a context variable that
:class:`ReplicaRouter` reads:

- **the replica**: a GET or HEAD with no session cookie, no ``Authorization`` header and
  no :data:`PRIMARY_COOKIE`, i.e. an anonymous reader (the public pages, the login page);
- **the primary**, everything else: a signed-in page (a session cookie), an API client
  (a token), every write (POST, PUT, PATCH, DELETE), and every request of a client who
  wrote in the last ``READ_PRIMARY_AFTER_WRITE`` seconds: each answer to a write sets the
  short-lived :data:`PRIMARY_COOKIE`, so a client who just wrote never reads a replica
  that has not replayed its write yet.

Writes always go to the primary (``db_for_write``), migrations only run there
(``allow_migrate``): a hot standby refuses writes anyway.

**A replica that does not answer.** A replica-routed request that fails with the
database's 503 (artisanat/availability.py) is served again on the primary when the
replica does not accept a connection any more, and the process sends its anonymous
reads to the primary for ``READ_REPLICA_RETRY_SECONDS`` before trying the replica again
(one warning in the log, ``artisanat.availability``, when it goes and when it comes
back). Only GET and HEAD are ever served twice, and they write nothing.

Without ``DATABASE_REPLICA_URL`` the middleware and the router change nothing: every
query goes to "default"."""

import contextlib
import contextvars
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("artisanat.availability")

REPLICA = "replica"
PRIMARY = "default"
#: Set on every answer to a write; while present, the client reads the primary.
PRIMARY_COOKIE = "artisanat_primary"
SAFE_METHODS = ("GET", "HEAD")

_reading_replica = contextvars.ContextVar("artisanat_reading_replica", default=False)


def reading_replica():
    """True while a request that may read the replica is being served."""
    return _reading_replica.get()


class ReplicaRouter:
    """Reads on the replica only inside a request the middleware allowed; every write
    and every migration on the primary."""

    def db_for_read(self, model, **hints):
        if settings.READ_REPLICA and _reading_replica.get():
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class _ReplicaHealth:
    """Per process: since when the replica is considered down (None: up)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0

    def usable(self):
        return time.monotonic() >= self.down_until

    def mark_down(self, exc):
        with self.lock:
            was_up = self.usable()
            self.down_until = time.monotonic() + settings.READ_REPLICA_RETRY_SECONDS
        if was_up:
            logger.warning(
                "read replica unavailable: anonymous reads go to the primary for %s s (%s: %s)",
                settings.READ_REPLICA_RETRY_SECONDS,
                type(exc).__name__,
                str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "",
            )

    def mark_up(self):
        with self.lock:
            if self.down_until:
                self.down_until = 0.0
                logger.warning("read replica available again: anonymous reads go to it")


health = _ReplicaHealth()


def replica_answers():
    """Opens a fresh connection to the replica; the error when it cannot."""
    connection = connections[REPLICA]
    try:
        connection.close()
        connection.ensure_connection()
    except DatabaseError as exc:
        with contextlib.suppress(DatabaseError):
            connection.close()
        return exc
    return None


def may_read_replica(request):
    return (
        request.method in SAFE_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and PRIMARY_COOKIE not in request.COOKIES
        and "authorization" not in request.headers
    )


class ReadReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.READ_REPLICA:
            return self.get_response(request)
        if not may_read_replica(request):
            response = self.get_response(request)
            if request.method not in SAFE_METHODS:
                response.set_cookie(
                    PRIMARY_COOKIE,
                    "1",
                    max_age=settings.READ_PRIMARY_AFTER_WRITE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        if not health.usable():
            return self.get_response(request)
        token = _reading_replica.set(True)
        try:
            response = self.get_response(request)
        finally:
            _reading_replica.reset(token)
        if response.status_code == 503:
            error = replica_answers()
            if error is not None:
                health.mark_down(error)
                return self.get_response(request)  # on the primary
        elif health.down_until:
            health.mark_up()
        return response
