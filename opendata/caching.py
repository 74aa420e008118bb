"""Public answers, cacheable by anyone: ``Cache-Control: public``, an ``ETag`` derived
from the published state, ``304 Not Modified`` to a matching ``If-None-Match``, and the
rendered answer kept in the shared cache (``caches["default"]``: Redis when REDIS_URL is
set, so every server reads what one computed).

The published state (``public_state``) is what a public answer may depend on:

- the last open-data release (its number): the figures (``PublishedTotal``) change only
  with a release;
- the day: an indicator marked public from a date appears that day;
- the published indicators and their versions: an indicator withdrawn from the public
  (``public_from`` cleared or moved later) disappears at once, without waiting for the
  next release, and an edited definition shows;
- for answers that carry live figures (``live=True``: the contracts' public summary),
  the data version (artisanat/data_version.py) as well.

Computing it costs two small queries; a 304 or a cache hit costs nothing more. Nothing
of the visitor (session, cookie, user) enters a public answer: the language is in the
URL, so the key is the state and the full path."""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags, quote_etag

from artisanat import data_version
from artisanat.dates import today
from strategy.models import Indicator, OpenDataRelease

#: Response headers kept with a cached answer (besides its content type).
KEPT_HEADERS = ("Content-Disposition", "Content-Language", "Link", "Access-Control-Allow-Origin")


def last_release():
    """The last open-data release, ``{"number", "released_at"}``, or None before the first."""
    return OpenDataRelease.objects.order_by("-number").values("number", "released_at").first()


_READ = object()


def public_state(*, live=False, on=None, release=_READ):
    """The string every public answer's ETag is derived from (module docstring);
    ``release``: ``last_release()`` when the caller already read it."""
    on = on or today()
    if release is _READ:
        release = last_release()
    release = release["number"] if release else 0
    # Each published indicator's version (its definition), its date, and its targets
    # (their last change and their number, so an edited or deleted target shows at once).
    published = list(
        Indicator.objects.published(on)
        .annotate(targets_changed=Max("targets__updated_at"), target_count=Count("targets"))
        .order_by("pk")
        .values_list("pk", "version", "public_from", "targets_changed", "target_count")
    )
    digest = hashlib.blake2b(repr(published).encode(), digest_size=8).hexdigest()
    parts = [f"r{release}", on.isoformat(), digest]
    if live:
        parts.append(data_version.current() or "")
    return "|".join(parts)


def _max_age():
    return settings.PUBLIC_MAX_AGE


def _finish(response, etag):
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=_max_age())
    response.public_answer = True  # opendata.middleware.PublicAnswerMiddleware: nothing of the visitor
    return response


def lookup(request, *, live=False, read_cache=True):
    """The first half of a public answer: ``(key, etag, response)`` — ``response`` the
    304 when ``If-None-Match`` names the current ETag, else the kept answer from the
    shared cache (unless ``read_cache`` is false), else None: compute it, then ``keep``."""
    # Kept on the request: an answer that names the release reads it from there.
    request.public_release = last_release()
    state = public_state(live=live, release=request.public_release)
    # The whole address, host and scheme included: the answers carry absolute URLs
    # (canonical, hreflang, JSON-LD, the sitemap), which must not cross from one host
    # name to another.
    key = hashlib.blake2b(f"{state}|{request.build_absolute_uri()}".encode(), digest_size=16).hexdigest()
    etag = quote_etag(key)
    # Only the ETag itself, compared weakly as If-None-Match asks (a proxy that
    # compresses makes it W/"…"): "*" would answer 304 before knowing whether there is
    # an answer at all (a code that is not public is a 404, a bad parameter a 400).
    offered = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    if etag in offered:
        return key, etag, _finish(HttpResponseNotModified(), etag)
    hit = cache.get(f"public:{key}") if read_cache else None
    if hit is not None:
        content, content_type, headers = hit
        response = HttpResponse(content, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return key, etag, _finish(response, etag)
    return key, etag, None


def keep(key, etag, response):
    """The second half: a computed 200 answer is rendered, kept in the shared cache and
    marked public (ETag, Cache-Control); anything else passes through."""
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if response.status_code == 200 and not response.streaming:
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        cache.set(f"public:{key}", (response.content, response["Content-Type"], headers))
        return _finish(response, etag)
    return response


def public_cache(view=None, *, live=False):
    """Decorate a public view (function, or ``View.as_view()``): GET and HEAD answers get
    the published state's ETag and ``Cache-Control: public``, a 304 when the client
    already has them, and are served from the shared cache once computed. Only 200
    answers are kept; anything else passes through. (The public API's views, Django REST
    framework's, call ``lookup`` and ``keep`` themselves, after their throttle:
    opendata/api/views.py.)"""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            key, etag, early = lookup(request, live=live)
            if early is not None:
                return early
            return keep(key, etag, view(request, *args, **kwargs))

        return wrapped

    return decorator(view) if view is not None else decorator


#: What a public answer's ``Vary`` keeps: ``Origin`` (CORS answers differ by it).
#: ``Cookie``, ``Accept-Language``, ``Accept`` and ``Authorization`` are dropped: nothing
#: of the visitor enters a public answer (the language is in the URL; the API's format
#: is ``?format=``, never the Accept header), so a shared cache keeps one copy.
