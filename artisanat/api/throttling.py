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
(tests/artisanat/test_throttling.py checks)."""

import logging

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


class SharedCounts:
    cache = shared_cache

    def get_ident(self, request):
        return client_address(request) or "unknown"

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except _store_errors() as exc:
            logger.warning("throttle store unavailable: %s %s -> 503 (%s)", request.method, request.path, exc)
            raise CountsUnavailable() from None


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
            return throttling.ScopedRateThrottle.allow_request(self, request, view)
        except _store_errors() as exc:
            logger.warning("throttle store unavailable: %s %s -> served (%s)", request.method, request.path, exc)
            return True


def create_cache_table(using="default", **kwargs):
    """post_migrate receiver (artisanat/apps.py): the database cache's table exists
    wherever ``migrate`` ran (``make run``, the tests, the bench, the soak, production),
    so the embedded default needs no extra command. ``createcachetable`` creates only
    what is missing and does nothing when the throttle cache is Redis."""
    call_command("createcachetable", database=using, verbosity=0)
