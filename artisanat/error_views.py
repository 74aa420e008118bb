"""The pages Django shows when a request fails with DEBUG off (artisanat/urls.py names
them): under /api/ the API's JSON error shape, elsewhere the generic templates 404.html
and 500.html. Never a traceback, an SQL statement or an exception message: those go to
the log (django.request) only."""

from django.http import HttpResponseServerError, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from artisanat.api.exceptions import error_body, json_not_found

API_PREFIX = "/api/"


def is_api(request):
    return request.path.startswith(API_PREFIX)


@requires_csrf_token
def page_not_found(request, exception):
    if is_api(request):
        return json_not_found(request)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    if is_api(request):
        message = _("Erreur interne du serveur. L'incident est enregistré ; réessayez plus tard.")
        return JsonResponse(error_body("server_error", message), status=500)
    try:
        # 500.html extends nothing and reads no context: it renders even when the
        # database is what failed.
        return defaults.server_error(request)
    except Exception:  # e.g. a static file missing from the manifest: still say nothing
        return HttpResponseServerError(
            "<!doctype html><title>Erreur du serveur</title><h1>Erreur du serveur (500)</h1>",
            content_type="text/html; charset=utf-8",
        )
