"""The API's throttles: Django REST framework's, with two changes.

- Their counts live in the ``throttle`` cache (config/settings.py, ``CACHES``), one
  store shared by every gunicorn worker and every server: Redis when ``REDIS_URL`` is
  set, the database otherwise. (DRF's own throttles use the default cache, which is
  each worker's memory here: the limit would be multiplied by the workers and start
  again whenever a worker is recycled.)
- A client is told apart by :func:`artisanat.security_log.client_address`, the one
  reading of the client's address that the lock-out and the security log use too.
  (DRF's ``get_ident`` believes ``X-Forwarded-For`` from anyone unless ``NUM_PROXIES``
  is set.)

Every view names these classes, never ``rest_framework.throttling``'s
(tests/artisanat/test_throttling.py checks).

Each throttle that counted a request notes its quota on the request; the answer carries
them as the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers,
:func:`ratelimit_headers`): ``RateLimit-Policy`` lists every quota that applied
(``"user";q=3000;w=3600``), ``RateLimit`` the tightest one (``"user";r=2998;t=3412``:
requests remaining, seconds until the oldest counted request leaves the window)."""

import logging
import math
from dataclasses import dataclass

from django.core.cache import caches
from django.core.management import call_command
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.exceptions import APIException

from artisanat.security_log import client_address

THROTTLE_CACHE = "throttle"
shared_cache = ConnectionProxy(caches, THROTTLE_CACHE)


logger = logging.getLogger("artisanat.availability")


class CountsUnavailable(APIException):
    """The shared store does not answer (Redis stopped): 503 with ``Retry-After``, as
    for a database that does not answer (artisanat/availability.py). Not counting would
    lift every limit, the token endpoint's included."""

    status_code = 503
    default_code = "service_unavailable"
    default_detail = _("Service momentanément indisponible. Réessayez dans quelques instants.")
    wait = 30


@dataclass(frozen=True)
class Quota:
    """What one throttle counted for this request."""

    policy: str  # the throttle's scope: "user", "anon", "auth", "bulk", "public"
    limit: int
    window: int  # seconds
    remaining: int
    reset: int  # seconds until the oldest counted request leaves the window


QUOTAS = "artisanat_quotas"  # the attribute of the Django request that holds them


class SharedCounts:
    cache = shared_cache

    def get_ident(self, request):
        return client_address(request) or "unknown"

    def allow_request(self, request, view):
        try:
            allowed = super().allow_request(request, view)
        except _store_errors() as exc:
            logger.warning("throttle store unavailable: %s %s -> 503 (%s)", request.method, request.path, exc)
            raise CountsUnavailable() from None
        self.note_quota(request)
        return allowed

    def note_quota(self, request):
        """After allow_request: this throttle's quota on the request (nothing when it did
        not apply, e.g. the anonymous throttle for a signed-in user)."""
        if getattr(self, "rate", None) is None or getattr(self, "key", None) is None:
            return
        history = getattr(self, "history", None)
        if history is None:
            return
        oldest = history[-1] if history else self.now
        quota = Quota(
            policy=self.scope,
            limit=self.num_requests,
            window=self.duration,
            remaining=max(0, self.num_requests - len(history)),
            reset=max(0, math.ceil(oldest + self.duration - self.now)),
        )
        django_request = getattr(request, "_request", request)
        quotas = getattr(django_request, QUOTAS, None)
        if quotas is None:
            quotas = []
            setattr(django_request, QUOTAS, quotas)
        quotas.append(quota)


def ratelimit_headers(request):
    """``RateLimit-Policy`` and ``RateLimit`` for the quotas counted on this request
    (none when no throttle counted it, e.g. when the store did not answer)."""
    quotas = getattr(getattr(request, "_request", request), QUOTAS, None)
    if not quotas:
        return {}
    tightest = min(quotas, key=lambda q: (q.remaining, -q.reset))
    return {
        "RateLimit-Policy": ", ".join(f'"{q.policy}";q={q.limit};w={q.window}' for q in quotas),
        "RateLimit": f'"{tightest.policy}";r={tightest.remaining};t={tightest.reset}',
    }


def _store_errors():
    """Redis's connection errors (the database's are answered 503 by the middleware)."""
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:
        return ()
    return (ConnectionError, TimeoutError)


class AnonRateThrottle(SharedCounts, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(SharedCounts, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(SharedCounts, throttling.ScopedRateThrottle):
    pass


class PublicRateThrottle(ScopedRateThrottle):
    """The public open-data API's throttle (scope ``public``). Unlike the others it fails
    open: when the counts' store does not answer (a Redis restart), the reader is served
    and the event logged. What it guards is published, cached, read-only data: lifting
    its limit for the seconds of an outage exposes nothing, while refusing would take the
    public site down with every Redis restart. The token and write endpoints keep
    failing closed (``CountsUnavailable``)."""

    def allow_request(self, request, view):
        try:
            allowed = throttling.ScopedRateThrottle.allow_request(self, request, view)
        except _store_errors() as exc:
            logger.warning("throttle store unavailable: %s %s -> served (%s)", request.method, request.path, exc)
            return True
        self.note_quota(request)
        return allowed


def create_cache_table(using="default", **kwargs):
    """post_migrate receiver (artisanat/apps.py): the database cache's table exists
    wherever ``migrate`` ran (``make run``, the tests, the bench, the soak, production),
    so the embedded default needs no extra command. ``createcachetable`` creates only
    what is missing and does nothing when the throttle cache is Redis."""
    call_command("createcachetable", database=using, verbosity=0)
