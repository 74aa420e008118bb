"""When the database is unreachable: 503 instead of 500, quickly, and `/healthz`.

``DatabaseUnavailableMiddleware`` (second in MIDDLEWARE, right after SecurityMiddleware)
turns ``django.db.OperationalError`` / ``InterfaceError`` raised by a view (a refused or
timed-out connection, a connection lost mid-request, a statement cancelled by the
statement timeout) into HTTP 503 with ``Retry-After``: the generic maintenance page
``templates/503.html`` for pages, the API's JSON error shape under ``/api/``. Never a
traceback or an SQL statement in the answer; one warning line in the log
(``artisanat.availability``) per failed request.

A failure outside any view (a middleware or the session save) reaches handler500,
which answers the same 503 through ``unavailable_response`` (config/error_views.py).

The connection settings that keep a stopped database from hanging a worker
(``DJANGO_DB_CONNECT_TIMEOUT``, ``DJANGO_DB_STATEMENT_TIMEOUT``, ``CONN_HEALTH_CHECKS``)
are in config/settings.py.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from artisanat.api.exceptions import error_body

logger = logging.getLogger("artisanat.availability")

RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)

_FALLBACK_PAGE = (
    "<!doctype html><title>Service momentanément indisponible</title><h1>Service momentanément indisponible (503)</h1>"
)


def is_unavailable_error(exc):
    return isinstance(exc, UNAVAILABLE_ERRORS)


def unavailable_response(request, exc=None):
    """The 503 answer: JSON under /api/, the generic 503.html page elsewhere."""
    if exc is not None:
        # One line, no traceback: the cause (class and first line of the driver's message).
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        logger.warning(
            "database unavailable: %s %s -> 503 (%s: %s)",
            request.method,
            request.path,
            type(exc).__name__,
            first_line[:200],
        )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            error_body(
                "service_unavailable", _("Service momentanément indisponible. Réessayez dans quelques instants.")
            ),
            status=503,
        )
    else:
        try:
            # 503.html reads no context and no database.
            content = render_to_string("503.html", request=None)
        except Exception:  # e.g. no static manifest yet: still say nothing more
            content = _FALLBACK_PAGE
        response = HttpResponse(content, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged above, once: django.request would log every answer >= 500 again (with the
    # traceback when it comes through handler500).
    response._has_been_logged = True
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_unavailable_error(exception):
            return unavailable_response(request, exception)
        return None


@csrf_exempt
@never_cache
@require_safe
def healthz(request):
    """No authentication, no session, one cheap query: {"status", "database"} and
    200 when the database answers, 503 (with Retry-After) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("healthz: database down (%s: %s)", type(exc).__name__, str(exc).strip()[:200])
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "up"})
