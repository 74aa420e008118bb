"""The pages Django shows when a request fails with DEBUG off (config/urls.py names
them): under /api/ the API's JSON error shape, elsewhere the generic templates 404.html
and 500.html. Never a traceback, an SQL statement or an exception message: those go to
the log (django.request) only."""

import logging
import sys

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token
from rest_framework.exceptions import PermissionDenied as PermissionDeniedError

from artisanat.api.exceptions import error_body, json_not_found
from artisanat.availability import is_unavailable_error, unavailable_response
from artisanat.exceptions import InvalidParameter
from artisanat.security_log import security_event

API_PREFIX = "/api/"
ADMIN_PREFIX = "/admin/"


def is_api(request):
    return request.path.startswith(API_PREFIX)


@requires_csrf_token
def page_not_found(request, exception):
    if is_api(request):
        return json_not_found(request)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def bad_request(request, exception):
    """A page asked with a parameter it cannot read: 400.html saying which and why (only
    for our own InvalidParameter; any other 400 says nothing of its cause)."""
    name = message = None
    if isinstance(exception, InvalidParameter):
        name, message = exception.name, exception.message
    if is_api(request):
        details = {name: [str(message)]} if name else {}
        return JsonResponse(error_body("invalid", message or _("Requête invalide."), details), status=400)
    return render(request, "400.html", {"parameter": name, "message": message}, status=400)


@requires_csrf_token
def permission_denied(request, exception):
    """Every refusal of a page or of the admin (PermissionDenied) is a security event."""
    security_event("permission_denied", request=request, level=logging.WARNING, status=403, surface=surface_of(request))
    if is_api(request):
        return JsonResponse(error_body("permission_denied", PermissionDeniedError.default_detail), status=403)
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """A form posted without a valid CSRF token (a forged cross-site request, or a page
    left open past its session) is refused like any other: a security event, then
    Django's own 403 page."""
    from django.views.csrf import csrf_failure as default_csrf_failure

    security_event(
        "permission_denied", request=request, level=logging.WARNING, status=403, surface=surface_of(request), csrf=True
    )
    return default_csrf_failure(request, reason=reason)


def surface_of(request):
    """Which surface refused: "api", "admin" or "page" (for the security log)."""
    if is_api(request):
        return "api"
    if request.path.startswith(ADMIN_PREFIX):
        return "admin"
    return "page"


@requires_csrf_token
def server_error(request):
    # Called inside Django's `except` block: a database that stopped answering outside
    # any view (a middleware, the session save) is a 503 too (artisanat/availability.py).
    exc = sys.exc_info()[1]
    if is_unavailable_error(exc):
        return unavailable_response(request, exc)  # logs one line, no traceback
    if is_api(request):
        message = _("Erreur interne du serveur. L'incident est enregistré ; réessayez plus tard.")
        return JsonResponse(error_body("server_error", message), status=500)
    try:
        # 500.html (standalone.html, not base.html) reads no context: it renders even when the
        # database is what failed.
        return defaults.server_error(request)
    except Exception:  # e.g. a static file missing from the manifest: still say nothing
        return HttpResponseServerError(
            "<!doctype html><title>Erreur du serveur</title><h1>Erreur du serveur (500)</h1>",
            content_type="text/html; charset=utf-8",
        )
