"""A documented ceiling on the size of any request body: ``ARTISANAT_REQUEST_MAX_BYTES``
(README, settings table). Beyond it the answer is 413 before the body is read: the
API's JSON error shape under /api/, the standalone page ``templates/413.html``
elsewhere (the measurement form's evidence upload, the admin).

Two ways a body announces its size:

- ``Content-Length``: refused at once if larger than the limit, nothing read;
- none (``Transfer-Encoding: chunked``, which gunicorn accepts): the body is read up to
  the limit plus one byte; more than that is refused, less is handed on to Django as an
  ordinary body of known length (Django itself reads nothing without a Content-Length).

The bulk endpoint keeps its own, smaller, limit on the file it parses
(``ARTISANAT_API_BULK_MAX_BYTES``, 413 too); settings.py refuses a bulk limit above
this one, which could never be reached."""

import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from artisanat.api.exceptions import error_body

API_PREFIX = "/api/"
CHUNK = 64 * 1024


def too_large_response(request, limit):
    message = _("Requête trop volumineuse : %(n)d octets au plus.") % {"n": limit}
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(error_body("too_large", message, {"body": [message]}, max_bytes=limit), status=413)
    else:
        content = render_to_string("413.html", {"limit": limit, "message": message})
        response = HttpResponse(content, status=413, content_type="text/html; charset=utf-8")
    # No "Connection: close" here: WSGI forbids hop-by-hop headers (runserver's wsgiref
    # refuses them); the server decides what to do with the unread rest of the body.
    return response


def _declared_length(meta):
    raw = meta.get("CONTENT_LENGTH") or ""
    try:
        return int(raw)
    except ValueError:
        return None


def _read_at_most(stream, limit):
    """Up to limit + 1 bytes of the stream, in chunks (never one huge read)."""
    parts, size = [], 0
    while size <= limit:
        part = stream.read(min(CHUNK, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_MAX_BYTES
        length = _declared_length(request.META)
        if length is not None and length > 0:
            if length > limit:
                return too_large_response(request, limit)
        elif self._has_unannounced_body(request):
            body = _read_at_most(request.META["wsgi.input"], limit)
            if len(body) > limit:
                return too_large_response(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)

    @staticmethod
    def _has_unannounced_body(request):
        meta = request.META
        return "wsgi.input" in meta and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
